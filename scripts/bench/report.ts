/**
 * The bench's results as Markdown: the table, what each column means, and the
 * machine they were measured on.
 */
import { cpus, totalmem } from "node:os";
import type { Figures, RunResult } from "./figures.ts";

/** The largest datagram that crosses the internet without being split: above it, a lost fragment loses the whole message. */
export const SAFE_DATAGRAM_BYTES = 1200;
/** Above this share of the machine's CPU, server and bots wait for each other: the figures then measure the machine too. */
const SATURATED = 0.75;
const CORES = cpus().length;

const COLUMNS = [
  "step",
  "players",
  "p50 (ms)",
  "p99 (ms)",
  "server CPU (%)",
  "server memory (MB)",
  "msg/s up",
  "msg/s down",
  "bytes/s up",
  "bytes/s down",
  "connections/s",
  "largest STATE (bytes)",
  "bots CPU (%)",
  "failed bots",
];

function largestState({ largestState: { bytes, measured } }: Figures): string {
  return `${measured ? "" : "~"}${bytes}${bytes > SAFE_DATAGRAM_BYTES ? " ⚠" : ""}`;
}

function botsCpu({ botsCpuPercent, serverCpuPercent }: Figures): string {
  return `${botsCpuPercent}${botsCpuPercent + serverCpuPercent >= SATURATED * CORES * 100 ? " ⚠" : ""}`;
}

function failedBots(result: RunResult): string {
  const reasons = Object.entries(result.failures).map(([reason, count]) => `${reason} ×${count}`);
  const total = Object.values(result.failures).reduce((sum, count) => sum + count, 0);
  const failed = total === 0 ? "0" : `${total}: ${reasons.join(", ")}`;
  return result.problem ? `not held: ${result.problem}${total > 0 ? ` (${failed})` : ""}` : failed;
}

function row(result: RunResult): string[] {
  const { plan, figures: f } = result;
  const measured = f
    ? [
        f.latencyMs.p50,
        f.latencyMs.p99,
        f.serverCpuPercent,
        f.serverPeakMb,
        f.messagesPerSecond.up,
        f.messagesPerSecond.down,
        f.bytesPerSecond.up,
        f.bytesPerSecond.down,
        f.connectionsPerSecond,
        largestState(f),
        botsCpu(f),
      ].map(String)
    : Array<string>(11).fill("–");
  return [plan.folder, String(plan.players), ...measured, failedBots(result)];
}

export function markdownTable(results: RunResult[]): string {
  const line = (cells: string[]) =>
    `| ${cells.map((cell) => cell.replaceAll("|", "\\|")).join(" | ")} |`;
  return [
    line(COLUMNS),
    line(COLUMNS.map(() => "---")),
    ...results.map((result) => line(row(result))),
  ].join("\n");
}

/** How every column is measured, in a few lines under the table (bench/README.md says why). */
export function methodNotes(): string {
  return [
    "- **p50, p99**: the input → state round trip each bot measured itself (`rttMs` in its summary). Both are the median bot's: its p50 and its p99 (close to the p99 of every round trip pooled, when the bots are alike). Under 100 round trips, a bot's p99 is its slowest one, often its first.",
    "- **server CPU, memory**: the server process's `/proc/<pid>/stat` (utime + stime) over the measured window, as a share of one core; its peak resident memory (`VmHWM` in `/proc/<pid>/status`), Node and tsx included.",
    "- **msg/s**: per player, from the bots' summaries: `moves` (inputs sent, up) and `states` (states received, down), divided by the bots' `--duration`.",
    "- **bytes/s**: per player, the payload bytes on the bots' own sockets during the window (TCP byte counters; UDP datagram sizes). IP, TCP and UDP headers and TCP handshakes are not counted.",
    "- **connections/s**: per player, the TCP connections the bots opened during the window: each one costs a handshake and a goodbye that bytes/s leaves out.",
    `- **largest STATE**: measured on the datagrams a bot received; \`~\` marks a stream step, where it is computed with lib/protocol.ts for players bot1…botN. ⚠: over ${SAFE_DATAGRAM_BYTES} bytes, more than one datagram carries safely.`,
    `- **bots CPU**: the bot swarm (every bot) over the window. ⚠: server and bots together used over ${SATURATED * 100} % of this machine's ${CORES} cores, so the bots' figures include waiting for a core.`,
    "- **lost states**: not measured. A TCP step cannot lose one, and a client's summary does not count them.",
  ].join("\n");
}

export function machineDescription(): string[] {
  return [
    `CPU: ${cpus()[0]?.model ?? "unknown"}, ${cpus().length} cores`,
    `memory: ${Math.round(totalmem() / 2 ** 30)} GB`,
    `Node ${process.version}, ${process.platform}`,
  ];
}

export function resultsMarkdown(results: RunResult[], command: string, date: Date): string {
  return [
    "# Benchmark results",
    "",
    `Measured by \`${command}\` on ${date.toISOString().slice(0, 16).replace("T", " ")} UTC. How each figure is measured, and why: [README.md](README.md).`,
    "",
    ...machineDescription().map((line) => `- ${line}`),
    "",
    markdownTable(results),
    "",
    methodNotes(),
    "",
    "![Latency p99 and server CPU against the number of players, one line per step](chart.svg)",
    "",
  ].join("\n");
}
