/**
 * `npm run bench`: what each step costs. For every game step and player count,
 * runs the step's real server, a crowd of bots that speak its protocol, and a
 * few real clients among them as probes, and measures the latency, the states
 * and bytes each player gets, the largest datagram, and the CPU and memory of
 * the server. Prints a Markdown table; after a full run (or with --out) writes
 * results.md and the charts. How each figure is measured, and why: bench/README.md.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { exitWithUsageError, numberOption, parseOptions } from "../lib/args.ts";
import { ROOT, stepArgument, stepFolders, stepNumber } from "./harness/steps.ts";
import { CHARTS, chartSvg } from "./bench/chart.ts";
import type { RunPlan, RunResult } from "./bench/figures.ts";
import { SAFE_DATAGRAM_BYTES, label, resultsMarkdown, resultsText } from "./bench/report.ts";
import { measureRun, stopEverything } from "./bench/run.ts";
import { hasFloor, meanInputs, meanStateBytes } from "./bench/floor.ts";
import { BENCHED_STEPS } from "./bench/steps.ts";
import { floorCells } from "./bench/crowd.ts";
import { MAPS, type MapName } from "../lib/map.ts";
import { mapOption } from "../lib/room.ts";

const DEFAULT_PLAYERS = "1,16,64,256,512,1000";
/**
 * On a map that holds them (the mansion, steps 09 on), the default run goes on to this many: the
 * house's 624 seats are full at 1,000 already.
 */
const MOST_PLAYERS = 2000;
const QUICK = { players: "16,512", seconds: "2" };

const { values } = parseOptions(
  {
    command: "npm run bench --",
    summary:
      "Measures what each step costs: latency, states and bytes per player, the largest datagram, " +
      "server CPU and memory.",
  },
  {
    steps: {
      type: "string",
      placeholder: "NN,NN",
      description: "the steps to measure (default: every step from 02 that the bench knows)",
    },
    players: {
      type: "string",
      placeholder: "N,N",
      description:
        `the player counts to measure (default: ${DEFAULT_PLAYERS}, ` +
        `and ${MOST_PLAYERS} where the map holds them)`,
    },
    seconds: {
      type: "string",
      placeholder: "S",
      description: "seconds measured in each run (default: 5)",
    },
    probes: {
      type: "string",
      default: "4",
      placeholder: "N",
      description: "real clients among the players, whose ping gives the latency",
    },
    quick: {
      type: "boolean",
      default: false,
      description: `a look in about 3 minutes: every step, ${QUICK.players} players, ${QUICK.seconds} s each`,
    },
    json: {
      type: "boolean",
      default: false,
      description:
        "print every figure of every run as JSON instead of the table (with those the table leaves out)",
    },
    map: {
      type: "string",
      placeholder: "NAME",
      description: "start every server on this map (house or mansion) instead of its step's own",
    },
    profile: {
      type: "string",
      placeholder: "DIR",
      description:
        "record each run's server CPU profile as DIR/<step>-<players>.cpuprofile, and what it allocated " +
        "that outlived V8's young generation as .heapprofile",
    },
    out: {
      type: "string",
      placeholder: "DIR",
      description: "write results.md and the charts there (default: bench/, after a full run only)",
    },
  },
);

/** The folders of the steps the bench has a crowd adapter for (steps.ts), in order. */
const benchedFolders = stepFolders().filter((folder) => stepNumber(folder) in BENCHED_STEPS);
const unbenched = stepFolders().filter(
  (folder) => folder >= "02" && !benchedFolders.includes(folder),
);
if (values.steps === undefined && unbenched.length > 0)
  console.error(
    `bench: no crowd adapter for ${unbenched.join(", ")} in scripts/bench/steps.ts yet, so they are left out`,
  );

function chosenSteps(list: string | undefined): string[] {
  if (list === undefined) return benchedFolders;
  return list.split(",").map((name) => {
    const folder = stepArgument(name.trim(), "--steps");
    if (!benchedFolders.includes(folder))
      exitWithUsageError(
        `--steps: the bench cannot play ${folder} (it knows ${benchedFolders.join(", ")}; see scripts/bench/steps.ts)`,
      );
    return folder;
  });
}

function wholeNumberOption(value: string, name: string, range: { min: number; max: number }) {
  const number = numberOption(value.trim(), name, range);
  if (!Number.isInteger(number)) exitWithUsageError(`${name}: '${value}' is not a whole number`);
  return number;
}

function playerCounts(list: string): number[] {
  const counts = list
    .split(",")
    .map((count) => wholeNumberOption(count, "--players", { min: 1, max: 5000 }));
  return [...new Set(counts)].sort((a, b) => a - b);
}

const folders = chosenSteps(values.steps);
const counts = playerCounts(values.players ?? (values.quick ? QUICK.players : DEFAULT_PLAYERS));
const map = values.map === undefined ? undefined : mapOption(values.map);

/** The player counts for a step: with no --players, MOST_PLAYERS too on a map that holds them. */
function countsFor(folder: string): number[] {
  const onMap: MapName = map ?? BENCHED_STEPS[stepNumber(folder)]!.map;
  const holdsMost = floorCells(MAPS[onMap]) >= MOST_PLAYERS;
  return values.players === undefined && !values.quick && holdsMost
    ? [...counts, MOST_PLAYERS]
    : counts;
}
const seconds = numberOption(values.seconds ?? (values.quick ? QUICK.seconds : "5"), "--seconds", {
  min: 0.5,
  max: 600,
});
const probes = wholeNumberOption(values.probes, "--probes", { min: 0, max: 16 });
const fullRun =
  !values.quick &&
  values.map === undefined &&
  values.profile === undefined &&
  folders.join() === benchedFolders.join() &&
  values.players === undefined;
if (values.profile !== undefined) mkdirSync(values.profile, { recursive: true });
// Only a full run replaces the committed results, so a quick try never overwrites them.
const outDir = values.out ?? (fullRun ? join(ROOT, "bench") : undefined);
const plans: RunPlan[] = folders.flatMap((folder) =>
  countsFor(folder).flatMap((players) => {
    const plan: RunPlan = {
      step: stepNumber(folder),
      folder,
      players,
      seconds,
      // at least one bot of the crowd, which counts what a player receives
      probes: Math.min(probes, players - 1),
      ...(map === undefined ? {} : { map }),
      ...(values.profile === undefined ? {} : { profileDir: values.profile }),
    };
    // its floor right after it, back to back on the same machine (floor.ts)
    const floor = hasFloor(plan.step, BENCHED_STEPS[plan.step]!.transport);
    return floor ? [plan, { ...plan, probes: 0, floorBytes: 0 }] : [plan];
  }),
);

/** A first guess at a run's length: the server and probes start, the crowd joins, the window. */
const guessSeconds = (plan: RunPlan) =>
  2 + (plan.probes > 0 ? 2 : 0) + plan.players / 300 + plan.seconds;
/** How much longer than guessed the runs so far took: the estimate improves as the bench runs. */
let pace = 1;

function timeLeft(index: number, startedAt: number): string {
  const current = Math.max(
    0,
    guessSeconds(plans[index]!) * pace - (performance.now() - startedAt) / 1000,
  );
  const total = plans
    .slice(index + 1)
    .reduce((sum, plan) => sum + guessSeconds(plan) * pace, current);
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
for (const [index, planned] of plans.entries()) {
  const startedAt = performance.now();
  const stepFigures = planned.floorBytes === undefined ? undefined : results.at(-1)?.figures;
  const floorBytes = stepFigures && meanStateBytes(stepFigures);
  const plan =
    floorBytes === undefined
      ? planned
      : { ...planned, floorBytes, floorInputs: meanInputs(stepFigures!) };
  const progress = (stage: string) =>
    console.error(
      `bench [${index + 1}/${plans.length}] ${label(plan)} × ${plan.players}: ${stage} ` +
        `(about ${timeLeft(index, startedAt)} left)`,
    );
  const noFloor =
    plan.floorBytes === 0
      ? "no floor: its step measured no state"
      : plan.floorBytes !== undefined && plan.floorBytes > SAFE_DATAGRAM_BYTES
        ? `no floor: its step's states (${plan.floorBytes} B) are more than the one datagram a tick it sends`
        : undefined;
  const result = noFloor
    ? { plan, seated: 0, mapFull: false, notes: [noFloor], runSeconds: 0 }
    : await measureRun(plan, progress);
  if (!result.figures) progress(`not measured: ${result.notes.join("; ")}`);
  results.push(result);
  const guessed = results.reduce((sum, { plan }) => sum + guessSeconds(plan), 0);
  pace = results.reduce((sum, { runSeconds }) => sum + runSeconds, 0) / guessed;
}

console.log(values.json ? JSON.stringify(results, null, 2) : resultsText(results));
if (outDir) {
  mkdirSync(outDir, { recursive: true });
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`;
  writeFileSync(join(outDir, "results.md"), resultsMarkdown(results, command, new Date(), CHARTS));
  for (const chart of CHARTS) writeFileSync(join(outDir, chart.file), chartSvg(chart, results));
  console.error(`bench: wrote results.md and ${CHARTS.length} charts into ${outDir}`);
} else {
  console.error("bench: a partial run, so bench/ is left as it is (--out DIR writes this one)");
}
