/**
 * The client's tick clock for tick-tagged inputs (step 11): which server tick
 * the client's next input is for, kept just far enough ahead of the server's
 * that the input arrives before its tick.
 *
 * "Just far enough" is measured, not guessed: every state says how many ticks
 * early the input of its tick arrived (lib/input-buffer.ts). The clock never
 * jumps: it makes its frames a little shorter to get further ahead, or a little
 * longer to come closer, as Overwatch's "time dilation" does.
 */

/**
 * The reports the clock looks back over: 100 ticks, 5 s at 20 Hz. The clock keeps the least early
 * of them on time, so a burst of losses seen in the last 5 s is one the next inputs survive.
 */
const WINDOW = 100;
/**
 * How much shorter a frame is while an input of the window missed its tick: 10 %, a tick gained
 * every 10 frames. A missed tick can cost a correction, so the clock hurries.
 */
const HURRY = 0.1;
/**
 * How much longer a frame is while every input of the window had 2 ticks or more to spare: 2 %,
 * a tick given back every 50 frames. Too early only costs latency, so the clock is in no hurry.
 */
const EASE = 0.02;
/** Ticks added to the first guess of the lead (a round trip), before any report has come. */
const FIRST_MARGIN = 2;

export class InputClock {
  /** the server tick the client's next input is for */
  tick: number;
  /** how many ticks early the server had the input of the newest state reported (-1: none in time) */
  early: number | undefined;
  /**
   * the newest tick reported, at first the one before the client's first input (the states of
   * earlier ticks say nothing of its inputs): a state duplicated or reordered is not reported again
   */
  private newestReported: number;
  /** ticks gained on the server since the start: frames shorter than a tick add, longer ones take */
  private gained = 0;
  /** the ticks whose input waited a frame for its datagram (a steady key), until reported */
  private readonly sentLate = new Set<number>();
  /** the latest reports of how early an input arrived, less what the clock had gained then */
  private readonly reports: number[] = [];

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
    this.early = early;
    // Had it gone in its own frame, it would have arrived a tick earlier: that is what the clock
    // keeps on time. (Missed, it would have been less than a tick early: hurrying is right.)
    const sentOnTime = this.sentLate.delete(tick) && early >= 0 ? early + 1 : early;
    for (const late of this.sentLate) if (late < tick - WINDOW) this.sentLate.delete(late);
    this.reports.push(sentOnTime - this.gained);
    if (this.reports.length > WINDOW) this.reports.shift();
  }

  /** The input of `tick` waits for the next frame's datagram: its report will be a tick short. */
  wentLate(tick: number): void {
    this.sentLate.add(tick);
  }

  /**
   * The ticks to spare of the window's least early input, had it been sent now: the clock has
   * gained ticks since some of them were sent. Undefined until a report comes.
   */
  get spare(): number | undefined {
    if (this.reports.length === 0) return undefined;
    return Math.min(...this.reports) + this.gained;
  }

  /** Moves on to the next tick's input; returns how long this frame lasts, for `tickMs` a tick. */
  nextFrame(tickMs: number): number {
    const spare = this.spare;
    const stretch = spare === undefined ? 0 : spare < 1 ? -HURRY : spare >= 2 ? EASE : 0;
    this.gained -= stretch;
    this.tick++;
    return tickMs * (1 + stretch);
  }
}
