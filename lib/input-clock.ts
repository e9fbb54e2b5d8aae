/**
 * The client's tick clock for tick-tagged inputs: which server tick
 * the client's next input is for, kept just far enough ahead of the server's
 * that the input arrives before its tick.
 *
 * "Just far enough" is measured, not guessed: every state says how many ticks
 * early the input of its tick arrived (lib/input-buffer.ts). The clock never
 * jumps: it makes its frames a little shorter to get further ahead, or a little
 * longer to come closer, as Overwatch's "time dilation" does.
 */
import { REDUNDANT_INPUTS } from "./input-buffer.ts";

/**
 * The reports the clock looks back over: 100, 5 s to 20 s at 20 Hz (a held key's inputs, sent
 * every 4th frame, report 1 tick in 4). The clock keeps the least early input of them on time,
 * so a burst of losses seen in that time is one the next inputs survive.
 */
const WINDOW = 100;
/**
 * How much shorter a frame is while an input of the window missed its tick: 10 %, a tick gained
 * every 10 frames. A missed tick can cost a correction, so the clock hurries.
 */
const HURRY = 0.1;
/**
 * How much longer a frame is while every report of the window says a tick or more early: 5 %, a
 * tick given back every 20 frames. Too early only costs latency, so the clock hurries less to
 * give it back; but it must not take longer than a game's first seconds (at 2 %, the bench's
 * 5 s runs measured 100 ms from a key to its state on loopback, against 16 ms without a buffer).
 */
const EASE = 0.05;
/**
 * Ticks added to the first guess of the lead (a round trip), before any report has come: 1, so
 * that on loopback the first inputs arrive a tick early; on a worse network the clock hurries.
 */
const FIRST_MARGIN = 1;

export class InputClock {
  /** the server tick the client's next input is for */
  tick: number;
  /** how many ticks early the server had the newest input sent in its own frame (-1: none in time) */
  early: number | undefined;
  /**
   * the newest tick reported, at first the one before the client's first input (the states of
   * earlier ticks say nothing of its inputs): a state duplicated or reordered is not reported again
   */
  private newestReported: number;
  /** ticks gained on the server since the start: frames shorter than a tick add, longer ones take */
  private gained = 0;
  /** the ticks whose input waited for a later frame's datagram (a held key), until reported */
  private readonly sentLate = new Set<number>();
  /** the last WINDOW reports: how early an input arrived, and what the clock had gained then */
  private readonly reports: { early: number; gained: number }[] = [];

  /**
   * `serverTick`: the tick of the state in the welcome; `roundTripMs`: how long the welcome took
   * to come after the join was sent. An input sent now arrives about a round trip of ticks later.
   */
  constructor(serverTick: number, roundTripMs: number, tickMs: number) {
    this.tick = serverTick + Math.ceil(roundTripMs / tickMs) + FIRST_MARGIN;
    this.newestReported = this.tick - 1;
  }

  /** The state of `tick` said that the input of its tick arrived `early` ticks before it (-1: none). */
  reported(tick: number, early: number): void {
    if (tick <= this.newestReported) return;
    this.newestReported = tick;
    for (const late of this.sentLate) if (late < tick - WINDOW) this.sentLate.delete(late);
    // An input that waited for a later frame's datagram (a held key's, 3 frames in 4) arrived as
    // late as that frame made it: it says nothing of the clock.
    if (this.sentLate.delete(tick)) return;
    this.early = early;
    this.reports.push({ early, gained: this.gained });
    if (this.reports.length > WINDOW) this.reports.shift();
  }

  /** The input of `tick` waits for a later frame's datagram: its report says nothing of the clock. */
  wentLate(tick: number): void {
    this.sentLate.add(tick);
  }

  /**
   * The ticks to spare of the window's least early input, had it been sent now: the clock has
   * gained ticks since some of them were sent. Undefined until a report comes.
   */
  get spare(): number | undefined {
    if (this.reports.length === 0) return undefined;
    return Math.min(...this.reports.map(({ early, gained }) => early - gained)) + this.gained;
  }

  /**
   * How many datagrams in a row can bring an input before its tick: a copy sent k frames after the
   * first arrives k ticks later, in time only for an input k ticks early or more. So: one more than
   * the most any report of the window said. All of them until a report comes.
   */
  get copiesInTime(): number {
    if (this.reports.length === 0) return REDUNDANT_INPUTS;
    const mostEarly = Math.max(...this.reports.map(({ early }) => early));
    return Math.max(1, Math.min(REDUNDANT_INPUTS, mostEarly + 1));
  }

  /** Moves on to the next tick's input; returns how long this frame lasts, for `tickMs` a tick. */
  nextFrame(tickMs: number): number {
    const spare = this.spare;
    // A report is in whole ticks: `early=1` arrived 1 to 2 ticks before its tick. So the clock eases
    // while every report of the window says 1 or more, and stops at the first 0: inputs then come
    // just under a tick early. (Easing until `spare`, which counts what it gave back, fell below 1
    // took 5 s a step: each stretch made the older reports look closer.)
    const easing = this.reports.every(({ early }) => early >= 1);
    const stretch = spare === undefined ? 0 : spare < 0 ? -HURRY : easing ? EASE : 0;
    this.gained -= stretch;
    this.tick++;
    return tickMs * (1 + stretch);
  }
}
