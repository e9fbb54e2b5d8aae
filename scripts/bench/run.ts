/**
 * One measured run: a step's real server as its own process, the bot swarm as
 * another, and the server's /proc figures at the two ends of the swarm's window.
 * Whatever goes wrong becomes the run's `problem`, never an exception: a count
 * the machine or the step cannot hold is a result too.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { type RunningServer, startServer } from "../../lib/launch.ts";
import { ROOT } from "../../lib/steps.ts";
import { type RunPlan, type RunResult, countFailures, figuresOf } from "./figures.ts";
import { type ProcessSample, sampleProcess } from "./proc.ts";
import {
  type BotResult,
  type SwarmEvent,
  type WindowFigures,
  botDurationSeconds,
  loadTimeoutSeconds,
} from "./swarm-protocol.ts";

const SWARM = join(ROOT, "scripts", "bench", "swarm.ts");

/** What stops the run in progress, for a bench that is interrupted (Ctrl-C). */
const stopCurrentRun = new Set<() => void>();
/** Signals the run's server and swarm to end: they go even if the bench exits at once. */
export function stopEverything(): void {
  for (const stop of stopCurrentRun) stop();
}

/** A generous ceiling for one run, in case the swarm hangs: loading, playing, and a minute to spare. */
function deadlineSeconds(plan: RunPlan): number {
  return loadTimeoutSeconds(plan.players) + botDurationSeconds(plan.seconds, plan.players) + 60;
}

/** The first line of an error message, which is the one that says what happened. */
const firstLine = (text: string) => text.split("\n")[0]!;

function parseEvent(line: string): SwarmEvent | undefined {
  try {
    return JSON.parse(line) as SwarmEvent;
  } catch {
    return undefined; // not an event: the swarm's stdout carries nothing else, but a stray line must not stop the bench
  }
}

/** Everything the bench learns from the swarm's events, and from the server at the window's two ends. */
interface Observed {
  bots: BotResult[];
  opened?: ProcessSample;
  closed?: ProcessSample;
  window?: WindowFigures;
  loadSeconds?: number;
  /** the swarm's reason for giving up, if it gave up */
  gaveUp?: string;
  /** the swarm reached its end: every bot's result is in */
  done: boolean;
}

function startSwarm(plan: RunPlan, server: RunningServer): ChildProcess {
  const where = ["--host", server.host, "--port", String(server.port)];
  const args = [
    SWARM,
    "--step",
    plan.folder,
    ...where,
    "--bots",
    String(plan.players),
    "--seconds",
    String(plan.seconds),
  ];
  return spawn(process.execPath, ["--import", "tsx", ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** Follows the swarm's events until it exits, sampling the server when the window opens and closes. */
async function watchSwarm(
  swarm: ChildProcess,
  serverPid: number,
  progress: (stage: string) => void,
): Promise<Observed> {
  const observed: Observed = { bots: [], done: false };
  for await (const line of createInterface({ input: swarm.stdout! })) {
    const event = parseEvent(line);
    if (event?.event === "loading") progress(`loading bots: ${event.ready} of ${event.of} ready`);
    if (event?.event === "ready") {
      observed.loadSeconds = event.loadSeconds;
      progress("bots loaded, starting them all at once");
    }
    if (event?.event === "starting")
      progress(`starting bots: ${event.onNetwork} of ${event.of} on the network`);
    if (event?.event === "window-open") {
      observed.opened = sampleProcess(serverPid);
      progress("measuring");
    }
    if (event?.event === "window-close") {
      observed.closed = sampleProcess(serverPid);
      observed.window = event.window;
      progress("waiting for the bots to leave");
    }
    if (event?.event === "bot") observed.bots.push(event.result);
    if (event?.event === "failed") {
      observed.gaveUp = event.reason;
      swarm.kill("SIGKILL"); // at once: a process ends its 256 threads one by one, which takes seconds
    }
    if (event?.event === "done") observed.done = true;
  }
  return observed;
}

export async function measureRun(
  plan: RunPlan,
  progress: (stage: string) => void,
): Promise<RunResult> {
  progress("starting the server");
  let server: RunningServer;
  try {
    server = await startServer(plan.folder);
  } catch (error) {
    return {
      plan,
      problem: `the server did not start: ${firstLine((error as Error).message)}`,
      failures: {},
    };
  }
  let serverDied: string | undefined;
  const noticeDeath = (code: number | null, signal: string | null) =>
    (serverDied = `the server exited (${signal ?? code}) during the run`);
  server.process.once("exit", noticeDeath);

  const swarm = startSwarm(plan, server);
  const swarmErrors: string[] = [];
  createInterface({ input: swarm.stderr! }).on("line", (line) => swarmErrors.push(line));
  const stop = () => {
    swarm.kill("SIGKILL"); // ends every bot thread at once
    void server.stop();
  };
  stopCurrentRun.add(stop);
  let lateBy: string | undefined;
  const deadline = setTimeout(
    () => {
      lateBy = `the run took longer than ${deadlineSeconds(plan)} s`;
      swarm.kill("SIGKILL");
    },
    deadlineSeconds(plan) * 1000,
  );

  const observed = await watchSwarm(swarm, server.process.pid!, progress);
  clearTimeout(deadline);
  stopCurrentRun.delete(stop);
  server.process.off("exit", noticeDeath); // the server's end from here on is the bench's own doing
  await server.stop();

  const { bots, opened, closed, window, done, loadSeconds } = observed;
  const common = {
    plan,
    failures: countFailures(bots),
    ...(loadSeconds !== undefined && { loadSeconds }),
  };
  if (serverDied || observed.gaveUp || lateBy || !done || !window || !opened || !closed) {
    const why =
      swarmErrors.find((line) => /error/i.test(line)) ?? swarmErrors.at(-1) ?? "it gave no reason";
    return {
      ...common,
      problem:
        serverDied ??
        observed.gaveUp ??
        lateBy ??
        `the bot swarm stopped before the end: ${why.trim().slice(0, 120)}`,
    };
  }
  return { ...common, ...figuresOf(plan, { opened, closed }, window, bots) };
}
