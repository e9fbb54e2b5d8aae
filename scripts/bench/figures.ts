/**
 * From what a run observed to the figures of its row. bench/README.md says how
 * and why each is measured this way.
 */
import { round1 } from "../../lib/stats.ts";
import type { FloorInputs } from "./floor.ts";
import type { Counts } from "./crowd.ts";
import { type ProbeReport, probeLatency } from "./probes.ts";
import type { ProcessSample } from "./proc.ts";

export interface RunPlan {
  /** the step's number, e.g. "06", and its folder, e.g. 06-input-changes */
  step: string;
  folder: string;
  players: number;
  /** length of the measured window */
  seconds: number;
  /** how many of the players are probes (real clients); the crowd plays the others */
  probes: number;
  /** the map the server is started with (--map), when not the step's own */
  map?: string;
  /**
   * set: a floor row (floor.ts), whose server sends each player a datagram of this many bytes
   * a tick; 0 until the step's run before it has measured its mean state
   */
  floorBytes?: number;
  /** a floor row's: what its bots send, as the step's players did in the run before it */
  floorInputs?: FloorInputs;
  /** where the server writes its CPU profile (--profile), if it records one */
  profileDir?: string;
}

export interface Figures {
  /** the probes' ping, as their step measures it (steps.ts: Latency); null without a sample */
  latencyMs: { p50: number | null; p99: number | null };
  /** per player, from the crowd: states received a second */
  statesPerSecond: number;
  /** the share of states that never came, in %; null on a TCP step, which loses nothing */
  lostPercent: number | null;
  /** per player, from the crowd: up is player → server, down is server → player */
  messagesPerSecond: { up: number; down: number };
  bytesPerSecond: { up: number; down: number };
  /** per player: TCP connections opened a second, each one a handshake the bytes do not show */
  connectionsPerSecond: number;
  /** the largest message any crowd bot received during the window */
  largestMessageBytes: number;
  /** the server's CPU time over the window, as a share of one core */
  serverCpuPercent: number;
  serverPeakMb: number;
  /**
   * the crowd's CPU time over the window: near one core, the crowd, not the server, was the limit
   */
  crowdCpuPercent: number;
}

export interface RunResult {
  plan: RunPlan;
  /**
   * players in the game while it was measured: the crowd's seated bots and the probes that joined
   */
  seated: number;
  /** more players were asked for than the map has floor cells */
  mapFull: boolean;
  /** undefined when nothing could be measured; the notes say why */
  figures?: Figures;
  /** what went wrong or was cut short, a few words each */
  notes: string[];
  /** how long the whole run took, to estimate the time left */
  runSeconds: number;
}

/** What the run sampled at the measured window's two ends. */
export interface WindowSamples {
  seconds: number;
  server: {
    opened: ProcessSample;
    closed: ProcessSample;
    /**
     * the datagrams to the server's (main) socket that the system dropped in the window, its
     * receive queue full: inputs the server never saw; undefined where the system does not say
     */
    kernelDrops: number | undefined;
  };
  crowd: {
    opened: Map<string, Counts>;
    closed: Map<string, Counts>;
    largestMessage: number;
    cpuSeconds: number;
  };
}

/**
 * The row's figures, from the crowd bots that played
 * through the whole window; undefined if none did.
 */
export function figuresOf(
  samples: WindowSamples,
  probes: ProbeReport[],
  transport: "tcp" | "udp",
): Figures | undefined {
  // each bot's counts at the window's two ends
  const bots = [...samples.crowd.closed].flatMap(([name, closed]) => {
    const opened = samples.crowd.opened.get(name);
    return opened ? [{ opened, closed }] : [];
  });
  if (bots.length === 0) return undefined;
  const total = (count: keyof Counts) =>
    bots.reduce((sum, { opened, closed }) => sum + closed[count] - opened[count], 0);
  const perPlayer = (count: keyof Counts) => total(count) / bots.length / samples.seconds;
  const { server } = samples;
  const percentOfCore = (cpuSeconds: number, seconds: number) =>
    round1((cpuSeconds / seconds) * 100);
  return {
    latencyMs: probeLatency(probes),
    statesPerSecond: round1(perPlayer("states")),
    lostPercent:
      transport === "tcp"
        ? null
        : round1((total("lostStates") / (total("states") + total("lostStates") || 1)) * 100),
    messagesPerSecond: {
      up: round1(perPlayer("messagesUp")),
      down: round1(perPlayer("messagesDown")),
    },
    bytesPerSecond: {
      up: Math.round(perPlayer("bytesUp")),
      down: Math.round(perPlayer("bytesDown")),
    },
    connectionsPerSecond: round1(perPlayer("connections")),
    largestMessageBytes: samples.crowd.largestMessage,
    serverCpuPercent: percentOfCore(
      server.closed.cpuSeconds - server.opened.cpuSeconds,
      (server.closed.at - server.opened.at) / 1000,
    ),
    serverPeakMb: round1(server.closed.peakMemoryBytes / 2 ** 20),
    crowdCpuPercent: percentOfCore(samples.crowd.cpuSeconds, samples.seconds),
  };
}
