/** The value below which `share` (0..1) of the samples fall, by the nearest-rank method; 0 for no samples. */
export function percentile(samples: readonly number[], share: number): number {
  if (samples.length === 0) return 0;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

/** Rounds to one decimal, the precision a millisecond figure deserves on a screen or in a summary. */
export const round1 = (value: number) => Math.round(value * 10) / 10;
