/**
 * A small seeded random number generator (mulberry32), so that bots and the
 * network simulator behave the same way every time a test runs with the same seed,
 * and the one hash of a name that every client computes the same way.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A whole number from 0 to 2³² − 1 made from a text (Java's string hash): a
 * player's colour and a bot's seed come from its name, so every client picks
 * the same colour for a player without being told, and a bot named bot1 plays
 * the same way every time.
 */
export function hashOf(text: string): number {
  let hash = 0;
  for (let i = 0; i < text.length; i++) hash = (Math.imul(hash, 31) + text.charCodeAt(i)) >>> 0;
  return hash;
}
