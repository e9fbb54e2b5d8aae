/**
 * `npx tsx scripts/bench/v8-costs.ts`: times two costs that bench/README.md found in the
 * servers' hot paths, each against the way the steps now write it:
 * - an object spread and then added to, `{ ...square, ack }`, against the object written out;
 * - a closure made with a name (tsx names it, with a call, each time it is made) against one
 *   made without.
 * Each line is the time to make one, in µs, the best of five rounds of a million.
 */
const ROUNDS = 5;
const MADE = 1_000_000;

/** The last thing made: kept, so that V8 cannot leave out the making. */
export let lastMade: unknown;

/** The best time of ROUNDS rounds of MADE calls of `make`, in µs a call. */
function microseconds(make: (i: number) => unknown): number {
  let best = Infinity;
  for (let round = 0; round < ROUNDS; round++) {
    const start = performance.now();
    for (let i = 0; i < MADE; i++) lastMade = make(i);
    best = Math.min(best, performance.now() - start);
  }
  return (best * 1000) / MADE;
}

const square = { name: "bot123", x: 40, y: 12 };
const input = { tick: 1834, input: "UP" };

function withNamedClosure(i: number): number {
  const plusOne = (value: number) => value + i;
  return plusOne(1);
}

function withClosureUnnamed(i: number): number {
  return ((value: number) => value + i)(1);
}

const costs: [string, (i: number) => unknown][] = [
  ["{ ...square, ack, ackTick }", (i) => ({ ...square, ack: i, ackTick: i })],
  [
    "{ name: square.name, x: square.x, y: square.y, ack, ackTick }",
    (i) => ({ name: square.name, x: square.x, y: square.y, ack: i, ackTick: i }),
  ],
  ["{ ...input, seen }", (i) => ({ ...input, seen: i })],
  [
    "{ tick: input.tick, input: input.input, seen }",
    (i) => ({ tick: input.tick, input: input.input, seen: i }),
  ],
  ["const plusOne = (value) => value + i (named)", withNamedClosure],
  ["((value) => value + i) (unnamed)", withClosureUnnamed],
];

if (process.argv.includes("--help")) {
  console.log("usage: npx tsx scripts/bench/v8-costs.ts");
  console.log(
    "Times what bench/README.md's \"Two costs that were not the game's\" found, in µs a call.",
  );
} else {
  for (const [what, make] of costs)
    console.log(`${microseconds(make).toFixed(3).padStart(7)} µs  ${what}`);
}
