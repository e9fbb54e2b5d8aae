/**
 * `npm run experiment -- NAME`: measures one of the figures the step READMEs quote, with the
 * steps' real servers and clients on this machine, so that every figure can be checked and
 * none drifts from the code. Each experiment is a file in scripts/experiments/. With --check,
 * it runs those the READMEs quote and fails if a quoted figure left its range (scripts/readme-figures.ts).
 */
import { readdirSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { basename, join } from "node:path";
import { exitWithUsageError, parseOptions } from "../lib/args.ts";
import { ROOT } from "./harness/steps.ts";
import { type Experiment, figures, stopServers } from "./experiments/lab.ts";
import { type QuotedFigure, allQuotedFigures, mismatch } from "./readme-figures.ts";

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
const { values, positionals } = parseOptions(
  {
    command: "npm run experiment --",
    summary:
      "Runs one experiment: the steps' real servers and clients on 127.0.0.1, and the figures " +
      `the READMEs quote.\n\nexperiments:\n${list}`,
    positionals: "NAME",
  },
  {
    check: {
      type: "boolean",
      description:
        "run the experiments the READMEs quote (or the NAMEs given) and fail if a figure left its range",
    },
    exact: {
      type: "boolean",
      description:
        "with --check: check only the figures quoted as one exact number (what npm test checks)",
    },
  },
);
if (!values.check && positionals.length !== 1)
  exitWithUsageError(`name one experiment: ${[...experiments.keys()].join(", ")}`);
for (const name of positionals)
  if (!experiments.has(name))
    exitWithUsageError(
      `there is no experiment ${name} (experiments: ${[...experiments.keys()].join(", ")})`,
    );

/** Runs one experiment and prints what it measured; false if it failed. */
async function runExperiment(name: string): Promise<boolean> {
  const experiment = experiments.get(name)!;
  const startedAt = performance.now();
  console.log(`${name}: ${experiment.about}`);
  figures.clear();
  try {
    await experiment.run();
    console.log(`(${((performance.now() - startedAt) / 1000).toFixed(0)} s)`);
    return true;
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    return false;
  } finally {
    await stopServers();
  }
}

/** The figures of one experiment that left their range, one line each (none: they all hold). */
async function misses(name: string, quoted: QuotedFigure[]): Promise<string[]> {
  const ran = await runExperiment(name);
  return quoted
    .map((each) => (ran ? mismatch(each, figures) : `${each.where}: ${name} failed`))
    .filter((line) => line !== undefined);
}

/**
 * Runs the experiments the READMEs quote, one after the other, and holds each figure to its
 * quote. An experiment whose figures miss is run once more, and the second run decides: a
 * machine busy with other work can push one run out of its ranges, while a change to the code
 * moves its figures every time.
 */
async function check(names: string[]): Promise<boolean> {
  const quoted = allQuotedFigures().filter((each) => each.exact || !values.exact);
  for (const { where, experiment } of quoted)
    if (!experiments.has(experiment))
      exitWithUsageError(`${where}: there is no experiment ${experiment}`);
  const [load] = loadavg();
  const cores = availableParallelism();
  console.log(`check: load average ${load!.toFixed(1)} on ${cores} cores`);
  if (load! > 2 * cores)
    console.log("check: a machine this busy slows the bots and servers: timed figures may miss");
  console.log("");
  const toRun = names.length > 0 ? names : [...new Set(quoted.map((each) => each.experiment))];
  let failures = 0;
  for (const name of toRun) {
    const ofThis = quoted.filter((each) => each.experiment === name);
    let missed = await misses(name, ofThis);
    if (missed.length > 0) {
      for (const line of missed) console.log(`  missed once: ${line}`);
      console.log(`check: ${name} again, to tell a busy machine from a change\n`);
      missed = await misses(name, ofThis);
    }
    for (const line of missed) console.log(`✗ ${line}`);
    console.log(
      `check: ${ofThis.length - missed.length} of ${ofThis.length} figures quoted from ${name} hold\n`,
    );
    failures += missed.length;
  }
  console.log(
    failures === 0 ? "check: every figure holds" : `check: ${failures} figure(s) left their range`,
  );
  return failures === 0;
}

// Ctrl-C reaches the servers too (they are in this terminal's process group); we only wait for them.
process.once("SIGINT", () => void stopServers().then(() => process.exit(130)));
const passed = values.check ? await check(positionals) : await runExperiment(positionals[0]!);
if (!passed) process.exitCode = 1;
