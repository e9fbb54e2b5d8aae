/**
 * `npm run experiment -- NAME`: measures one of the figures the step READMEs quote, with the
 * steps' real servers and clients on this machine, so that every figure can be checked and
 * none drifts from the code. Each experiment is a file in scripts/experiments/.
 */
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";
import { exitWithUsageError, parseOptions } from "../lib/args.ts";
import { ROOT } from "./harness/steps.ts";
import { type Experiment, stopServers } from "./experiments/lab.ts";

const FOLDER = join(ROOT, "scripts", "experiments");

/** Every experiment by name: the files of scripts/experiments/ but lab.ts, which they share. */
const experiments = new Map<string, Experiment>();
for (const file of readdirSync(FOLDER).sort()) {
  if (!file.endsWith(".ts") || file === "lab.ts") continue;
  const module: { experiment: Experiment } = await import(join(FOLDER, file));
  experiments.set(basename(file, ".ts"), module.experiment);
}

const list = [...experiments]
  .map(
    ([name, { about, steps, seconds }]) =>
      `  ${name.padEnd(16)} ${about}\n  ${"".padEnd(16)} (${seconds} s; READMEs of steps ${steps.join(", ")})`,
  )
  .join("\n");
const { positionals } = parseOptions(
  {
    command: "npm run experiment --",
    summary:
      "Runs one experiment: the steps' real servers and clients on 127.0.0.1, and the figures " +
      `the READMEs quote.\n\nexperiments:\n${list}`,
    positionals: "NAME",
  },
  {},
);
if (positionals.length !== 1)
  exitWithUsageError(`name one experiment: ${[...experiments.keys()].join(", ")}`);
const name = positionals[0]!;
const experiment =
  experiments.get(name) ??
  exitWithUsageError(
    `there is no experiment ${name} (experiments: ${[...experiments.keys()].join(", ")})`,
  );

// Ctrl-C reaches the servers too (they are in this terminal's process group); we only wait for them.
process.once("SIGINT", () => void stopServers().then(() => process.exit(130)));
const startedAt = performance.now();
console.log(`${name}: ${experiment.about}`);
try {
  await experiment.run();
  console.log(`(${((performance.now() - startedAt) / 1000).toFixed(0)} s)`);
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : error}`);
  process.exitCode = 1;
} finally {
  await stopServers();
}
