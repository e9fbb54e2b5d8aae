/**
 * What the bot swarm (swarm.ts) tells the bench (run.ts): one JSON object per
 * line on the swarm's stdout. And the timing both sides plan with.
 */
import type { Summary } from "../../lib/player.ts";

export type SwarmEvent =
  /** some bot threads have loaded; sent every second or so while they load */
  | { event: "loading"; ready: number; of: number }
  /** every bot thread has loaded and waits at the gate; the bots start now */
  | { event: "ready"; loadSeconds: number }
  /** some bots have opened their first socket; sent every second or so until all have */
  | { event: "starting"; onNetwork: number; of: number }
  /** every bot is on the network and has settled: the measured window starts */
  | { event: "window-open" }
  | { event: "window-close"; window: WindowFigures }
  | { event: "bot"; result: BotResult }
  /** the swarm gives up, and says why (the machine or the step cannot hold this many bots) */
  | { event: "failed"; reason: string }
  | { event: "done" };

/** What the swarm counted between window-open and window-close. */
export interface WindowFigures {
  seconds: number;
  /** the bots that played through the whole window: the byte counts are theirs */
  bots: number;
  /** payload bytes those bots sent (player → server) and received (server → player) */
  bytesUp: number;
  bytesDown: number;
  /** TCP connections those bots opened: one per message in step 02, one per game in step 03 */
  connections: number;
  /** the largest STATE datagram any bot received, or 0 for a step that sends no datagrams */
  largestStateDatagram: number;
  /** CPU time the swarm process used (every bot thread), in seconds */
  cpuSeconds: number;
}

export interface BotResult {
  name: string;
  /** the client's exit code: 0 after a clean goodbye */
  code: number;
  /** the JSON summary the client printed last, if it printed one */
  summary?: Summary;
  /** the client's `error: …` line, or why its thread died */
  error?: string;
}

/** After every bot is on the network, a pause so that every join has been answered before the window opens. */
export const SETTLE_SECONDS = 0.5;

/** How long, once the gate opens, the bots may take to get on the network: 1 s, plus 20 ms a bot for a busy machine. */
export function rampSeconds(bots: number): number {
  return 1 + bots / 50;
}

/** Each bot's --duration: long enough to play through the ramp, the settling and the whole measured window. */
export function botDurationSeconds(windowSeconds: number, bots: number): number {
  return rampSeconds(bots) + SETTLE_SECONDS + windowSeconds;
}

/** How long the bot threads may take to load before the swarm reports that the machine cannot hold them. */
export function loadTimeoutSeconds(bots: number): number {
  return 20 + bots * 0.5;
}
