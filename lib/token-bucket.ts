/**
 * Token buckets: how a server lets each sender do something at a rate, with a burst. A bucket
 * holds up to `burst` tokens, refilled at `perSecond`; each act takes one, and an act that finds
 * the bucket empty is refused. What a flood sends past its rate costs the server one comparison.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAt: number;

  constructor(
    readonly burst: number,
    readonly perSecond: number,
    now = performance.now(),
  ) {
    this.tokens = burst;
    this.refilledAt = now;
  }

  /** Takes a token if there is one: false when the sender is over its rate. */
  take(now = performance.now()): boolean {
    this.refill(now);
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** Whether the bucket is full again: its sender has done nothing for a while. */
  full(now = performance.now()): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    const refill = ((now - this.refilledAt) / 1000) * this.perSecond;
    this.tokens = Math.min(this.burst, this.tokens + refill);
    this.refilledAt = now;
  }
}

/**
 * A bucket per key (an IP address, say), kept only while it is not full: a sender that stopped
 * costs no memory once its bucket has refilled, so a flood from many addresses costs at most
 * the addresses of the last `burst / perSecond` seconds.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly burst: number,
    readonly perSecond: number,
  ) {}

  take(key: string, now = performance.now()): boolean {
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new TokenBucket(this.burst, this.perSecond, now)));
    return bucket.take(now);
  }

  /** Forgets the buckets that are full again: call it now and then. */
  forgetFull(now = performance.now()): void {
    for (const [key, bucket] of this.buckets) if (bucket.full(now)) this.buckets.delete(key);
  }
}
