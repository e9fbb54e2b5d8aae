/**
 * The server's clock, as a client sees it (step 07): which tick the server is
 * at now, and how long one tick lasts. The tick rate is not in the protocol,
 * so the client learns it from the tick numbers of the states it receives.
 * Prediction paces its frames with it, and interpolation draws the others
 * a little behind it.
 */

/**
 * The servers' default --tick-rate is 20: the first guess, until the client has heard three ticks.
 */
const FIRST_GUESS_MS = 50;
/** Over this many ticks the jitter of single arrivals averages out enough to trust the measure. */
const TICKS_TO_MEASURE = 3;

export class TickClock {
  /** the measured time between two ticks of the server */
  tickMs = FIRST_GUESS_MS;
  private first: { tick: number; at: number } | undefined;
  private newest: { tick: number; at: number } | undefined;

  /**
   * A state with this tick arrived at `now`: only a
   * newer tick than any heard before tells the time.
   */
  heard(tick: number, now: number): void {
    if (this.newest && tick <= this.newest.tick) return;
    this.first ??= { tick, at: now };
    this.newest = { tick, at: now };
    const ticks = this.newest.tick - this.first.tick;
    if (ticks >= TICKS_TO_MEASURE && now > this.first.at)
      this.tickMs = (now - this.first.at) / ticks;
  }

  /**
   * The server's tick now, with its fraction: the newest
   * heard plus the time since, at most one tick ahead.
   */
  serverTick(now: number): number | undefined {
    if (!this.newest) return undefined;
    return this.newest.tick + Math.min(1, (now - this.newest.at) / this.tickMs);
  }
}
