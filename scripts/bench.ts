/**
 * `npm run bench`: what each step costs. For every game step and player count,
 * runs the step's real server and that many bots of its real client, and
 * measures latency, server CPU and memory, messages and bytes per player, the
 * largest state message, and the bots that failed. Prints a Markdown table;
 * after a full run (or with --out) writes results.md and chart.svg.
 * How each figure is measured, and why: bench/README.md.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exitWithUsageError, numberOption, parseOptions } from "../lib/args.ts";
import { ROOT, STEPS_DIR, findStep, stepFolders } from "../lib/steps.ts";
import { chartSvg } from "./bench/chart.ts";
import type { RunPlan, RunResult } from "./bench/figures.ts";
import { markdownTable, methodNotes, resultsMarkdown } from "./bench/report.ts";
import { measureRun, stopEverything } from "./bench/run.ts";
import { botDurationSeconds } from "./bench/swarm-protocol.ts";

const DEFAULT_PLAYERS = "1,4,16,64,256";

const { values } = parseOptions(
  {
    command: "npm run bench --",
    summary:
      "Measures what each step costs: latency, server CPU and memory, and traffic, from 1 to 256 players.",
  },
  {
    steps: {
      type: "string",
      placeholder: "NN,NN",
      description: "the steps to measure (default: every game step, 02 to the newest)",
    },
    players: {
      type: "string",
      default: DEFAULT_PLAYERS,
      placeholder: "N,N",
      description: "the player counts to measure",
    },
    seconds: {
      type: "string",
      default: "5",
      placeholder: "S",
      description: "seconds measured in each run",
    },
    out: {
      type: "string",
      placeholder: "DIR",
      description: "write results.md and chart.svg there (default: bench/, after a full run only)",
    },
  },
);

/** A game step is one from 02 on (01 is an echo server) whose server and client are both written. */
const isPlayable = (folder: string) =>
  ["server.ts", "client.ts"].every((file) => existsSync(join(STEPS_DIR, folder, file)));
const gameSteps = stepFolders().filter((folder) => folder >= "02" && isPlayable(folder));

function chosenSteps(list: string | undefined): string[] {
  if (list === undefined) return gameSteps;
  return list.split(",").map((name) => {
    const folder =
      findStep(name.trim()) ??
      exitWithUsageError(
        `--steps: there is no step '${name}' (steps: ${stepFolders().join(", ")})`,
      );
    if (folder < "02") exitWithUsageError(`--steps: ${folder} is an echo server, not a game`);
    if (!gameSteps.includes(folder))
      exitWithUsageError(`--steps: ${folder} has no server.ts and client.ts yet`);
    return folder;
  });
}

function playerCounts(list: string): number[] {
  const counts = list.split(",").map((count) => {
    const players = numberOption(count.trim(), "--players", { min: 1, max: 1000 });
    if (!Number.isInteger(players))
      exitWithUsageError(`--players: '${count}' is not a whole number of players`);
    return players;
  });
  return [...new Set(counts)].sort((a, b) => a - b);
}

const steps = chosenSteps(values.steps);
const counts = playerCounts(values.players);
const seconds = numberOption(values.seconds, "--seconds", { min: 0.5, max: 600 });
const fullRun =
  steps.join() === gameSteps.join() && counts.join() === playerCounts(DEFAULT_PLAYERS).join();
// Only a full run replaces the committed results, so a quick try never overwrites them.
const outDir = values.out ?? (fullRun ? join(ROOT, "bench") : undefined);
const plans: RunPlan[] = steps.flatMap((folder) =>
  counts.map((players) => ({ folder, players, seconds })),
);

/** Seconds a bot thread takes to load, learnt from the runs so far: the estimate of the time left improves as the bench runs. */
let loadSecondsPerBot = 0.15;
/** A run's length: server and swarm start, the bots load, then play their --duration. */
const runSeconds = (plan: RunPlan) =>
  4 + plan.players * loadSecondsPerBot + botDurationSeconds(plan.seconds, plan.players);

function timeLeft(index: number, startedAt: number): string {
  const current = Math.max(0, runSeconds(plans[index]!) - (performance.now() - startedAt) / 1000);
  const total = plans.slice(index + 1).reduce((sum, plan) => sum + runSeconds(plan), current);
  return total < 60
    ? `${Math.ceil(total)} s`
    : `${Math.floor(total / 60)} min ${Math.round(total % 60)} s`;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    stopEverything();
    process.exit(130);
  });
}

const results: RunResult[] = [];
for (const [index, plan] of plans.entries()) {
  const startedAt = performance.now();
  const players = `${plan.players} player${plan.players === 1 ? "" : "s"}`;
  const progress = (stage: string) =>
    console.error(
      `bench [${index + 1}/${plans.length}] ${plan.folder}, ${players}: ${stage} (about ${timeLeft(index, startedAt)} left)`,
    );
  const result = await measureRun(plan, progress);
  if (result.problem) progress(`not held: ${result.problem}`);
  if (result.loadSeconds !== undefined && plan.players >= 16)
    loadSecondsPerBot = result.loadSeconds / plan.players;
  results.push(result);
}

const table = markdownTable(results);
console.log(`${table}\n\n${methodNotes()}`);
if (outDir) {
  mkdirSync(outDir, { recursive: true });
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  writeFileSync(join(outDir, "results.md"), resultsMarkdown(results, command, new Date()));
  writeFileSync(join(outDir, "chart.svg"), chartSvg(results));
  console.error(`bench: wrote ${join(outDir, "results.md")} and ${join(outDir, "chart.svg")}`);
} else {
  console.error(
    "bench: a partial run, so bench/results.md is left as it is (--out DIR writes this one)",
  );
}
