/**
 * From what a run observed to the figures in the table. Every figure says here
 * where it comes from; bench/README.md says why it is measured that way.
 */
import type { Summary } from "../../lib/player.ts";
import { percentile, round1 } from "../../lib/stats.ts";
import type { ProcessSample } from "./proc.ts";
import { computedStateBytes } from "./state-size.ts";
import { type BotResult, type WindowFigures, botDurationSeconds } from "./swarm-protocol.ts";

export interface RunPlan {
  /** the step's folder, e.g. 03-tcp-persistent */
  folder: string;
  players: number;
  /** length of the measured window */
  seconds: number;
}

export interface Figures {
  /** input → state round trip as the bots measured it */
  latencyMs: { p50: number; p99: number };
  /** the server's CPU time over the window, as a share of one core */
  serverCpuPercent: number;
  /** the server process's peak resident memory */
  serverPeakMb: number;
  /** per player: up is player → server, down is server → player */
  messagesPerSecond: { up: number; down: number };
  bytesPerSecond: { up: number; down: number };
  /** per player: the TCP connections a player opens a second, each one a handshake the bytes do not show */
  connectionsPerSecond: number;
  /** measured on a datagram step, computed on a stream step (state-size.ts) */
  largestState: { bytes: number; measured: boolean };
  /** the bot swarm's CPU time over the window: on a small machine, the bots compete with the server */
  botsCpuPercent: number;
}

export interface RunResult {
  plan: RunPlan;
  /** undefined when nothing could be measured, and then `problem` says why */
  figures?: Figures;
  problem?: string;
  /** bots that did not play to a clean end, by reason */
  failures: Record<string, number>;
  /** how long the bot threads took to load, to estimate the next runs */
  loadSeconds?: number;
}

/** Why a bot did not play to a clean end, in a few words, or undefined if it did. */
export function failureOf(bot: BotResult): string | undefined {
  if (bot.code === 0 && bot.summary?.connected) return undefined;
  const error =
    bot.error ??
    (bot.summary?.connected === false ? "never connected" : `exited with code ${bot.code}`);
  if (/EADDRNOTAVAIL/.test(error)) return "out of ports (EADDRNOTAVAIL)";
  if (/EMFILE|ENFILE/.test(error)) return "out of file descriptors (EMFILE)";
  if (/ERR_WORKER_OUT_OF_MEMORY|out of memory/i.test(error)) return "out of memory";
  // the client's own words name the server's address, which differs on every run
  return error.replace(/\d+\.\d+\.\d+\.\d+:\d+/g, "the server").slice(0, 80);
}

export function countFailures(bots: BotResult[]): Record<string, number> {
  const failures: Record<string, number> = {};
  for (const reason of bots.map(failureOf))
    if (reason) failures[reason] = (failures[reason] ?? 0) + 1;
  return failures;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

/**
 * The figures of one run: the server sampled at the window's two ends, the
 * swarm's window counts, and the bots' own summaries. Returns a problem
 * instead when no bot played to a clean end.
 */
export function figuresOf(
  plan: RunPlan,
  server: { opened: ProcessSample; closed: ProcessSample },
  window: WindowFigures,
  bots: BotResult[],
): { figures: Figures } | { problem: string } {
  const played = bots.filter((bot) => !failureOf(bot)).map((bot) => bot.summary!);
  if (played.length === 0 || window.bots === 0) return { problem: "no bot played to a clean end" };
  // A client reports its own p50 and p99 only, so the figures are the median bot's. The worst bot's p99 would
  // grow with the number of bots alone (more bots, more unlucky ones); the median bot's stays comparable.
  const medianBot = (figure: (rtt: Summary["rttMs"]) => number | null) =>
    percentile(
      played.map((bot) => figure(bot.rttMs)).filter((ms) => ms !== null),
      0.5,
    ) ?? 0;
  const latencyMs = { p50: medianBot((rtt) => rtt.p50), p99: medianBot((rtt) => rtt.p99) };
  // A bot's counts cover its whole --duration, not only the window.
  const duration = botDurationSeconds(plan.seconds, plan.players);
  const serverSeconds = (server.closed.at - server.opened.at) / 1000;
  const perPlayer = (count: number) => count / window.bots / window.seconds;
  return {
    figures: {
      latencyMs,
      serverCpuPercent: round1(
        ((server.closed.cpuSeconds - server.opened.cpuSeconds) / serverSeconds) * 100,
      ),
      serverPeakMb: round1(server.closed.peakMemoryBytes / 2 ** 20),
      messagesPerSecond: {
        up: round1(mean(played.map((bot) => bot.moves / duration))),
        down: round1(mean(played.map((bot) => bot.states / duration))),
      },
      bytesPerSecond: {
        up: Math.round(perPlayer(window.bytesUp)),
        down: Math.round(perPlayer(window.bytesDown)),
      },
      connectionsPerSecond: round1(perPlayer(window.connections)),
      largestState:
        window.largestStateDatagram > 0
          ? { bytes: window.largestStateDatagram, measured: true }
          : { bytes: computedStateBytes(plan.players), measured: false },
      botsCpuPercent: round1((window.cpuSeconds / window.seconds) * 100),
    },
  };
}
