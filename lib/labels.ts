/**
 * Who is who: the two characters written on each square.
 *
 * A cell is two columns wide, so a square shows two characters of its name.
 * "bot1", "bot2" and "bot3" all begin with "bo", so the label is chosen among
 * the players present: the first two characters when no one else's begin the
 * same, else the first and the last ("b1", "b2", "b3"), else the last two, else
 * the first character and a free one, else any free pair. Every client works
 * it out from the same names, in the same order, so all of them agree.
 */

/**
 * The characters a username may use (lib/words.ts):
 * a free label is looked for among their pairs.
 */
const NAME_CHARACTERS = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_-";

/** The ways to label a name, the first that is the name's own wins. */
const RULES: readonly ((name: string) => string)[] = [
  (name) => name.slice(0, 2).padEnd(2),
  (name) => name[0]! + name.at(-1)!,
  (name) => name.slice(-2).padStart(2),
];

/**
 * The label of every name: two characters, different for every name (up to
 * 4,096 players, the pairs of username characters; past that some repeat).
 * It does not depend on the order of the names.
 */
export function labelsOf(names: Iterable<string>): Map<string, string> {
  const sorted = [...names].sort();
  const labels = new Map<string, string>();
  const taken = new Set<string>();
  const give = (name: string, label: string) => {
    labels.set(name, label);
    taken.add(label);
  };

  for (const rule of RULES) {
    const unlabelled = sorted.filter((name) => !labels.has(name));
    const wanted = new Map<string, number>();
    for (const name of unlabelled) wanted.set(rule(name), (wanted.get(rule(name)) ?? 0) + 1);
    for (const name of unlabelled) {
      const label = rule(name);
      if (wanted.get(label) === 1 && !taken.has(label)) give(name, label);
    }
  }

  // The few names left share all their labels with others: each takes the first free one.
  const pairs = freePairs(taken);
  for (const name of sorted.filter((name) => !labels.has(name))) {
    give(name, freeWithFirst(name[0]!, taken) ?? pairs.next().value ?? RULES[0]!(name));
  }
  return labels;
}

/** The first free label that begins with `first`, if any. */
function freeWithFirst(first: string, taken: ReadonlySet<string>): string | undefined {
  for (const second of NAME_CHARACTERS) if (!taken.has(first + second)) return first + second;
  return undefined;
}

/** The pairs of username characters not taken, in order, skipping any taken since. */
function* freePairs(taken: ReadonlySet<string>): Generator<string, undefined> {
  for (const first of NAME_CHARACTERS) {
    for (const second of NAME_CHARACTERS) if (!taken.has(first + second)) yield first + second;
  }
  return undefined;
}
