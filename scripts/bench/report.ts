/**
 * The bench's results as Markdown: the table, a short legend under it, and the
 * machine they were measured on. The legend says what each column is; how each
 * is measured, and why, is bench/README.md's job.
 */
import { cpus, totalmem } from "node:os";
import { round1 } from "../../lib/stats.ts";
import type { Figures, RunResult } from "./figures.ts";
import { BENCHED_STEPS, type Latency, TICK_RATE } from "./steps.ts";

/**
 * The largest datagram that crosses the internet without being
 * split: above it, a lost fragment loses the whole message.
 */
export const SAFE_DATAGRAM_BYTES = 1200;
/** Below this share of the states a player should get, the step no longer holds its rate. */
const HELD_SHARE = 0.95;
/** A process with one event loop that uses this much of a core is near its limit. */
const BUSY_PERCENT = 85;

/** How a latency figure is labelled in the table and the charts. */
const LATENCY_LABELS: Record<Latency, string> = {
  "round trip": "rtt",
  "input to state shown": "shown",
};

const flag = (text: string | number, raised: boolean) => `${text}${raised ? " ⚠" : ""}`;
/** Milliseconds to a precision a screen deserves: one decimal under 10, whole numbers above. */
const ms = (value: number | null) =>
  value === null ? "–" : String(value < 10 ? value : Math.round(value));

interface Column {
  header: string;
  cell: (figures: Figures, result: RunResult, results: RunResult[]) => string;
}

/** Only in a table with floor rows: the rest of the table keeps to a terminal's 120 columns. */
const TIMES_FLOOR: Column = {
  header: "× floor",
  cell: (_, result, results) => timesFloor(result, results),
};

const COLUMNS: Column[] = [
  {
    header: "p50/p99 ms",
    cell: ({ latencyMs: { p50, p99 } }, { plan }) =>
      `${LATENCY_LABELS[BENCHED_STEPS[plan.step]!.latency]} ${ms(p50)}/${ms(p99)}`,
  },
  {
    header: "states/s",
    cell: (f) => flag(f.statesPerSecond, f.statesPerSecond < HELD_SHARE * TICK_RATE),
  },
  { header: "lost %", cell: (f) => (f.lostPercent === null ? "–" : String(f.lostPercent)) },
  { header: "down B/s", cell: (f) => String(f.bytesPerSecond.down) },
  { header: "up B/s", cell: (f) => String(f.bytesPerSecond.up) },
  {
    header: "largest B",
    cell: (f, { plan }) =>
      flag(
        f.largestMessageBytes,
        BENCHED_STEPS[plan.step]!.transport === "udp" &&
          f.largestMessageBytes > SAFE_DATAGRAM_BYTES,
      ),
  },
  { header: "server %", cell: (f) => flag(f.serverCpuPercent, f.serverCpuPercent >= BUSY_PERCENT) },
  TIMES_FLOOR,
  { header: "RSS MB", cell: (f) => String(Math.round(f.serverPeakMb)) },
  { header: "crowd %", cell: (f) => flag(f.crowdCpuPercent, f.crowdCpuPercent >= BUSY_PERCENT) },
];

function players({ plan, seated, mapFull }: RunResult): string {
  if (mapFull) return `${seated} full`;
  return seated === plan.players ? String(seated) : `${seated} of ${plan.players}`;
}

/**
 * A step's server CPU per player over its floor's (floor.ts), measured right after it with
 * as many players: what the step pays above the cost of its own network, both ways.
 */
function timesFloor(result: RunResult, results: RunResult[]): string {
  const { plan } = result;
  const floor = results.find(
    (other) =>
      other.plan.floorBytes !== undefined &&
      [other.plan.step, other.plan.players, other.plan.map].join() ===
        [plan.step, plan.players, plan.map].join(),
  );
  const perPlayer = ({ figures, seated }: RunResult) => figures!.serverCpuPercent / seated;
  if (plan.floorBytes !== undefined || !floor?.figures || !floor.seated || !result.seated)
    return "–";
  return String(round1(perPlayer(result) / perPlayer(floor)));
}

function row(result: RunResult, columns: Column[], results: RunResult[]): string[] {
  const { figures } = result;
  const measured = columns.map((column) => (figures ? column.cell(figures, result, results) : "–"));
  return [label(result.plan), players(result), ...measured];
}

/** A row's first cell: the step, its map if not its own, and whether it is the step's floor. */
export function label({ step, map, floorBytes }: RunResult["plan"]): string {
  const floor = floorBytes === undefined ? "" : ` floor ${floorBytes} B`;
  return `${step}${map === undefined ? "" : ` ${map}`}${floor}`;
}

/** A Markdown table padded into columns, so that it reads as well in a terminal as on GitHub. */
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((row) => row[i]!.length)),
  );
  const line = (cells: string[]) =>
    `| ${cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `| ${widths.map((width, i) => (i < 2 ? "-".repeat(width) : `${"-".repeat(width - 1)}:`)).join(" | ")} |`;
  return [line(header), rule, ...rows.map(line)].join("\n");
}

function resultsTable(results: RunResult[]): string {
  const hasFloor = results.some(({ plan }) => plan.floorBytes !== undefined);
  const columns = COLUMNS.filter((column) => hasFloor || column !== TIMES_FLOOR);
  return markdownTable(
    ["step", "players", ...columns.map((column) => column.header)],
    results.map((result) => row(result, columns, results)),
  );
}

/** What went wrong in each run, one line a run, under the table. */
function runNotes(results: RunResult[]): string[] {
  return results
    .filter((result) => result.notes.length > 0)
    .map(({ plan, notes }) => `- ${label(plan)} × ${plan.players}: ${notes.join("; ")}`);
}

/** What each column is, in a line each (bench/README.md says how and why it is measured). */
function legend(results: RunResult[]): string[] {
  const steps = new Map(results.map(({ plan }) => [plan.step, plan.folder.slice(3)]));
  return [
    `- **step**: ${[...steps].map(([step, name]) => `${step} ${name}`).join(", ")}.`,
    "- **players**: in the game while measured; `full`: more were asked for than the map has floor cells.",
    "- **p50/p99 ms**: the latency the probes measured, the median probe's (a 1-player row has no probe). " +
      `\`${LATENCY_LABELS["round trip"]}\`: a request's round trip (02–04); ` +
      `\`${LATENCY_LABELS["input to state shown"]}\`: from an input to the first state that shows it (05 on), ` +
      "waiting for the tick included; a step onto another square, which waits for it, is not timed.",
    `- **states/s**, **lost %**: per player, from the crowd; ⚠ under ${HELD_SHARE * TICK_RATE}. ` +
      "Lost: tick gaps (05 on), requests never answered (04).",
    "- **down**, **up B/s**: payload bytes a second per player, server → player and player → server.",
    `- **largest B**: the largest message a player received; ⚠ a datagram over ${SAFE_DATAGRAM_BYTES} bytes.`,
    "- **server %**, **RSS MB**: the server's CPU (100 % is one core) and its peak memory.",
    "- **floor**: a server that does nothing but send each player a datagram a tick, of the step's mean size, " +
      "and read what its players send: as many datagrams as the step's did, of their mean size.",
    "- **× floor**: the step's server CPU per player over that of its floor, measured right after it.",
    `- **crowd %**: the crowd's CPU; ⚠ (and for the server) at ${BUSY_PERCENT} % or more, ` +
      "that process was the limit.",
  ];
}

function machineDescription(): string {
  const memory = `${Math.round(totalmem() / 2 ** 30)} GB`;
  const node = `Node ${process.version} on ${process.platform}`;
  return `${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, ${memory}, ${node}`;
}

/** The table with its legend and notes, as the bench prints it. */
export function resultsText(results: RunResult[]): string {
  const notes = runNotes(results);
  return [
    resultsTable(results),
    "",
    ...legend(results),
    ...(notes.length ? ["", ...notes] : []),
  ].join("\n");
}

export function resultsMarkdown(
  results: RunResult[],
  command: string,
  date: Date,
  charts: { file: string; alt: string }[],
): string {
  return [
    "# Benchmark results",
    "",
    `Measured by \`${command}\` on ${date.toISOString().slice(0, 16).replace("T", " ")} UTC, ` +
      `${machineDescription()}. How each figure is measured, and why: [README.md](README.md).`,
    "",
    resultsText(results),
    "",
    ...charts.map(({ file, alt }) => `![${alt}](${file})`),
    "",
  ].join("\n");
}
