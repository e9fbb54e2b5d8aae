/**
 * The probes: a few real `client.ts --bot` processes that play among the crowd
 * and measure what a player sees. Their JSON summaries give the bench its
 * latency; the crowd gives the load and the counts.
 */
import type { ChildProcess } from "node:child_process";
import { runBot } from "../harness/launch.ts";
import type { Summary } from "../../lib/player.ts";
import { percentile } from "../../lib/stats.ts";

/** The part of a client's summary the bench reads: a ping with no sample is null. */
type ProbeSummary = Pick<Summary, "connected" | "rttMs">;

export interface ProbeReport {
  name: string;
  summary?: ProbeSummary;
  /** the client's `error: …` line, when it printed one */
  error?: string;
}

/** How long a probe may take to leave after it is asked to: its goodbye waits at most a second. */
const LEAVE_TIMEOUT_MS = 3000;

export class Probe {
  readonly report: Promise<ProbeReport>;
  private readonly process: ChildProcess;

  /** Starts a client that plays at most `seconds`, unless stop() ends it sooner. */
  constructor(
    readonly name: string,
    folder: string,
    server: { host: string; port: number },
    seconds: number,
  ) {
    const { process, result } = runBot(folder, { ...server, name, seconds });
    this.process = process;
    this.report = result.then(({ summary, error }) => ({ name, summary, error }));
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Asks the client to leave, as Ctrl-C would: it says goodbye and prints its summary. */
  stop(): void {
    if (!this.running) return;
    this.process.kill("SIGTERM");
    setTimeout(() => this.running && this.process.kill("SIGKILL"), LEAVE_TIMEOUT_MS).unref();
  }
}

/**
 * The latency the probes measured: the median probe's p50 and p99. Each client
 * reports its own percentiles only; the median probe's stay comparable from one
 * player count to the next, where the worst probe's p99 would grow with the
 * number of probes alone. Null when no probe had a sample.
 */
export function probeLatency(reports: ProbeReport[]): { p50: number | null; p99: number | null } {
  const median = (values: (number | null | undefined)[]) => {
    const samples = values.filter((value) => typeof value === "number");
    return percentile(samples, 0.5) ?? null;
  };
  return {
    p50: median(reports.map((report) => report.summary?.rttMs.p50)),
    p99: median(reports.map((report) => report.summary?.rttMs.p99)),
  };
}
