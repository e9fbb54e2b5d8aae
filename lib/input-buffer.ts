/**
 * Inputs tagged with the tick they are meant for, both ends of the wire.
 *
 * The client numbers every input with the server tick it should be applied in,
 * and sends each one again in the next datagrams (RecentInputs), so that a lost
 * datagram costs nothing: the next one carries the same inputs. The server keeps
 * them in a buffer per player (InputBuffer) and takes exactly one out each tick:
 * the one for that tick, however many copies arrived, in whatever order. It also
 * says how early that input arrived, so that the client can keep its clock just
 * far enough ahead (lib/input-clock.ts).
 */
import type { Input } from "./game.ts";

/**
 * How many of its latest inputs every datagram carries. Only the copies that arrive before the
 * input's tick help (a later one is dropped as late), and the client's clock (lib/input-clock.ts)
 * runs ahead by the longest burst of losses of the last 5 s: at 30 % loss, 3 to 5 datagrams.
 * 8 copies cover a burst of 7, which befalls 0.3^8 = 7e-5 of the inputs; a ninth copy would
 * nearly always arrive late. (Sent every frame, 12 cost 2.3 times step 10's bytes up and 8 about
 * twice, npm run experiment -- input-buffer: an INPUT's name and ticks weigh more than its runs.)
 */
export const REDUNDANT_INPUTS = 8;

/**
 * How far ahead of the server's tick an input may be meant for: 20 ticks, 1 s at 20 Hz. An honest
 * clock (lib/input-clock.ts) runs half a round trip and its margin for bursts of losses ahead
 * (3 to 5 ticks at 30 % loss), and further while a busy machine holds the server's ticks up. At
 * 10, four bots through 30 % loss and 100 ms of lag on a machine at load 7 on 2 cores had 1,569
 * inputs dropped as too early in 25 s: told those ticks missed, their clocks hurried further
 * still. At 20, none. No further: an INPUT carries no secret, the first input for a tick is
 * final, and a forger who claims the ticks beyond the player's lead always gets there first.
 * An input for a later tick is dropped, so a player holds at most 20 inputs in memory.
 */
export const FUTURE_TICKS = 20;

/**
 * An input and the server tick it is meant for; `seen`, where a step sends it (12 on), is the tick
 * the player's screen showed when the input was made.
 */
export interface TickedInput {
  tick: number;
  input: Input;
  seen?: number;
}

/**
 * What became of one input the server received: kept for its tick, a copy of one it holds or has
 * applied, or dropped and counted.
 */
export type Receipt = "kept" | "copy" | "conflict" | "late" | "too old" | "too early";

/** How early the input applied in a tick arrived, in ticks: 0 is just in time, MISSED that none had. */
export const MISSED = -1;

/** Inputs dropped, by why: a client that keeps its clock sends none of these but a late one now and then. */
export interface DroppedInputs {
  conflict: number;
  late: number;
  tooOld: number;
  tooEarly: number;
}

export const noInputsDropped = (): DroppedInputs => ({
  conflict: 0,
  late: 0,
  tooOld: 0,
  tooEarly: 0,
});

/** The tick of an empty slot: below any tick, even one a forger names. */
const NO_TICK = -Infinity;

/** An input waiting in the buffer for `tick`; a slot whose tick has passed (or is NO_TICK) holds none. */
interface Waiting {
  tick: number;
  input: Input;
  seen: number | undefined;
  /** the server tick in which it first arrived */
  arrivedIn: number;
}

/** The slot of `tick` in `ring`, one for each tick modulo its length (below 0 too: it trusts no caller). */
function slotOf<Slot>(ring: readonly Slot[], tick: number): Slot {
  return ring[((tick % ring.length) + ring.length) % ring.length]!;
}

/**
 * One player's inputs on the server, each waiting for its tick.
 *
 * Its inputs wait in rings, one slot for each tick modulo the ring's length, written in place. An
 * input waits a tick or three, and at 1,000 players a server takes 20,000 a second: kept in Maps,
 * their entries and the Maps' tables outlived V8's young generation: step 11's server kept 30 to
 * 34 MB past it in 8 s, and 5 to 6 with rings and lib/game.ts's array of occupied cells
 * (bench/README.md, "Garbage that outlived the young generation").
 */
export class InputBuffer {
  /** the inputs for ticks still to come: a tick is at most FUTURE_TICKS ahead, so each has its own slot */
  private readonly waiting: Waiting[] = Array.from({ length: FUTURE_TICKS }, () => ({
    tick: NO_TICK,
    input: "NONE",
    seen: undefined,
    arrivedIn: 0,
  }));
  /**
   * the last REDUNDANT_INPUTS ticks that had no input of their own (NO_TICK: this slot's tick had one),
   * with the input repeated in each: one arriving for such a tick is late, unless it is the input
   * repeated (a held key, which lost nothing)
   */
  private readonly missed: { tick: number; input: Input }[] = Array.from(
    { length: REDUNDANT_INPUTS },
    () => ({ tick: NO_TICK, input: "NONE" }),
  );
  /** the newest tick simulated */
  private tick: number;
  /** the last input applied: a tick without one of its own repeats it */
  private last: Input = "NONE";

  /**
   * `tick`: the server's tick now, the last one simulated; `dropped`: where to count what is
   * dropped (a server counts every player's in one place, to log them).
   */
  constructor(
    tick: number,
    readonly dropped: DroppedInputs = noInputsDropped(),
  ) {
    this.tick = tick;
  }

  /** An input the client says is for `tick`, received now, between two ticks. */
  receive({ tick, input, seen }: TickedInput): Receipt {
    if (tick > this.tick + FUTURE_TICKS) return this.drop("tooEarly", "too early");
    if (tick <= this.tick) {
      const repeated = slotOf(this.missed, tick);
      if (repeated.tick === tick && repeated.input !== input) {
        repeated.tick = NO_TICK;
        return this.drop("late", "late");
      }
      // The copies of inputs already applied come in every datagram: they are the redundancy. So do
      // a held key's inputs sent after their tick: the server repeated the same key in it.
      return tick > this.tick - REDUNDANT_INPUTS ? "copy" : this.drop("tooOld", "too old");
    }
    const held = slotOf(this.waiting, tick);
    if (held.tick !== tick) {
      held.tick = tick;
      held.input = input;
      held.seen = seen;
      held.arrivedIn = this.tick;
      return "kept";
    }
    // The first word for a tick is final: a client that changes its mind later would be
    // rewriting a tick it already showed, and a forger could not undo what its player sent.
    return held.input === input ? "copy" : this.drop("conflict", "conflict");
  }

  /**
   * The input for the next tick, taken out: the one sent for it, or the last one again if none
   * arrived in time (a held key stays held). `early` is how many ticks before this one it arrived;
   * `seen`, what the first copy said the screen showed (undefined for a repeated input).
   */
  next(): { tick: number; input: Input; early: number; seen?: number } {
    const tick = ++this.tick;
    const held = slotOf(this.waiting, tick);
    // This tick's slot held the tick REDUNDANT_INPUTS before, which is now too old to be late.
    const missed = slotOf(this.missed, tick);
    if (held.tick !== tick) {
      missed.tick = tick;
      missed.input = this.last;
      return { tick, input: this.last, early: MISSED };
    }
    missed.tick = NO_TICK;
    this.last = held.input;
    return { tick, input: held.input, early: tick - 1 - held.arrivedIn, seen: held.seen };
  }

  private drop(why: keyof DroppedInputs, receipt: Receipt): Receipt {
    this.dropped[why]++;
    return receipt;
  }
}

/**
 * How often a held key's datagram goes: every 4th frame, 200 ms at 20 Hz, as often as a client
 * that sends only changes says which state it holds. A held key loses nothing when its datagram
 * waits: a tick without an input repeats the last one, the same key (a datagram every other frame
 * cost 2.9 times such a client's bytes up in `npm run bench`, with the crowd turning every 0.5 s).
 */
export const STEADY_SEND_FRAMES = 4;

/** The client's latest inputs, by tick: what every datagram sends again. */
export class RecentInputs {
  private readonly inputs: TickedInput[] = [];
  /** frames since the last datagram went */
  private framesWaited = 0;

  /**
   * The input for `tick`, the client's next one. The ticks of one INPUT follow one another:
   * after a gap, the older ones are forgotten.
   */
  add(tick: number, input: Input): void {
    if (this.inputs.at(-1)?.tick !== tick - 1) this.inputs.length = 0;
    this.inputs.push({ tick, input });
    if (this.inputs.length > REDUNDANT_INPUTS) this.inputs.shift();
  }

  /**
   * Whether this frame's datagram must go: every frame while the latest change is one of the last
   * `copiesInTime` inputs (a later copy would come after its tick, lib/input-clock.ts), then every
   * STEADY_SEND_FRAMES-th frame while the key stays held. Call once a frame, after `add`.
   */
  due(copiesInTime: number): boolean {
    const newest = this.inputs.at(-1)?.input;
    let sinceChange = 0;
    while (sinceChange < this.inputs.length && this.inputs.at(-1 - sinceChange)!.input === newest)
      sinceChange++;
    // A whole window of one input is a key held since before it: no change left to send again.
    const held = sinceChange === REDUNDANT_INPUTS;
    const changeRecent = !held && sinceChange <= copiesInTime;
    this.framesWaited = changeRecent ? 0 : (this.framesWaited + 1) % STEADY_SEND_FRAMES;
    return this.framesWaited === 0;
  }

  /** The last REDUNDANT_INPUTS inputs, oldest first. */
  get latest(): readonly TickedInput[] {
    return this.inputs;
  }
}
