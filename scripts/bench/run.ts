/**
 * One measured run: the step's real server as a process of its own, the crowd
 * in this process, the probes as processes among it, and the server's /proc
 * figures at the two ends of the measured window. Whatever goes wrong becomes
 * a note of the run, never an exception: a count that the machine or the step
 * cannot hold is a result too.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { type RunningServer, startServer } from "../harness/launch.ts";
import { PORT_TRIES } from "../../lib/port-pool.ts";
import { LINES_PER_WINDOW, LOG_WINDOW_MS, kernelDrops } from "../../lib/serve.ts";
import { freePortRange } from "../harness/ports.ts";
import { hasPortPool } from "../harness/steps.ts";
import { Crowd } from "./crowd.ts";
import { type RunPlan, type RunResult, type WindowSamples, figuresOf } from "./figures.ts";
import { floorAdapter, startFloorServer } from "./floor.ts";
import { Probe } from "./probes.ts";
import { sampleProcess } from "./proc.ts";
import { BENCHED_STEPS } from "./steps.ts";

/** After every player has joined, a pause before the window opens, so that the joins are over. */
const SETTLE_SECONDS = 0.5;
/** How long the probes (Node processes loading TypeScript) may take to join. */
const PROBE_JOIN_TIMEOUT_SECONDS = 15;
/** Where the bench looks for a free range of dedicated ports (--ports), for steps 04 to 07. */
const FIRST_POOL_PORT = 20000;

/** What stops the run in progress (there is one at a time), for a bench interrupted by Ctrl-C. */
let stopCurrentRun: (() => void) | undefined;
export function stopEverything(): void {
  stopCurrentRun?.();
}

/** The first line of an error message, which is the one that says what happened. */
const firstLine = (text: string) => text.split("\n")[0]!;

export async function measureRun(
  plan: RunPlan,
  progress: (stage: string) => void,
): Promise<RunResult> {
  if ((plan.floorBytes === undefined) !== (plan.floorInputs === undefined))
    throw new Error("a floor row is measured with both its step's state size and its inputs");
  const startedAt = performance.now();
  const step = BENCHED_STEPS[plan.step]!;
  const finish = (measured: Pick<RunResult, "seated" | "mapFull" | "notes" | "figures">) => ({
    plan,
    ...measured,
    runSeconds: (performance.now() - startedAt) / 1000,
  });

  progress("starting the server");
  let server: RunningServer;
  try {
    // Room for PORT_TRIES more than the players: another bench (or a test's) may take ports of
    // this range between our check and our server's binds, and the server skips those.
    const pool = hasPortPool(plan.step)
      ? await freePortRange(plan.players + PORT_TRIES, FIRST_POOL_PORT)
      : undefined;
    const ports = pool === undefined ? [] : ["--ports", `${pool.first}-${pool.last}`];
    const map = plan.map === undefined ? [] : ["--map", plan.map];
    const args = [...ports, ...step.serverArgs({ players: plan.players }), ...map];
    server = await profiledIf(plan, () =>
      plan.floorBytes === undefined
        ? startServer(plan.folder, args)
        : startFloorServer(plan.floorBytes, plan.map),
    );
  } catch (error) {
    const why = `the server did not start: ${firstLine(error instanceof Error ? error.message : String(error))}`;
    return finish({ seated: 0, mapFull: false, notes: [why] });
  }
  let serverExit: string | undefined;
  server.process.once("exit", (code, signal) => {
    serverExit = `the server exited (${signal ?? code}) during the run`;
  });

  const crowd = new Crowd(
    plan.floorInputs === undefined ? step.adapter : floorAdapter(plan.floorInputs),
    server,
  );
  const probes: Probe[] = [];
  const stop = () => {
    for (const probe of probes) probe.stop();
    void server.stop();
  };
  stopCurrentRun = stop;
  try {
    const notes: string[] = [];
    const seating = await crowd.join(plan.players - plan.probes, plan.probes, (seated, of) =>
      progress(`seating the crowd: ${seated} of ${of}`),
    );
    for (const [reason, count] of seating.refused) notes.push(`${count} bots refused: ${reason}`);
    const mapFull = seating.mapSeats !== undefined && plan.players > seating.mapSeats;
    if (seating.seated === 0) return finish({ seated: 0, mapFull, notes });

    if (plan.probes > 0) {
      progress("waiting for the server's log to write joins again");
      await joinsLoggedAgain(server, seating.seated + plan.probes);
      progress(`starting ${plan.probes} probe${plan.probes > 1 ? "s" : ""}`);
    }
    const probeSeconds = PROBE_JOIN_TIMEOUT_SECONDS + SETTLE_SECONDS + plan.seconds + 5;
    for (let i = 1; i <= plan.probes; i++)
      probes.push(new Probe(`probe${i}`, plan.folder, server, probeSeconds));
    for (const late of await probesJoined(probes, server))
      notes.push(`${late}: no join in the server's log after ${PROBE_JOIN_TIMEOUT_SECONDS} s`);
    await sleep(SETTLE_SECONDS * 1000);

    progress(`measuring for ${plan.seconds} s`);
    if (plan.profileDir !== undefined) server.process.kill("SIGUSR2"); // server-profiles.ts starts
    const samples = await profiledCrowd(plan, () => measureWindow(plan.seconds, crowd, server));
    if (plan.probes > 0) progress("the probes are leaving");
    for (const probe of probes) probe.stop();
    const reports = await Promise.all(probes.map((probe) => probe.report));
    for (const { name, summary, error } of reports)
      if (!summary?.connected) notes.push(`${name}: ${error ?? "no summary"}`);
    for (const [reason, count] of crowd.failures) notes.push(`${count} bots stopped: ${reason}`);
    const dropped = samples?.server.kernelDrops;
    if (dropped)
      notes.push(`the system dropped ${dropped} datagrams to the server's socket, its queue full`);

    const seated =
      (samples?.crowd.closed.size ?? 0) +
      reports.filter((report) => report.summary?.connected).length;
    if (serverExit) return finish({ seated, mapFull, notes: [...notes, serverExit] });
    const figures = samples && figuresOf(samples, reports, step.transport);
    if (!figures) notes.push("no bot of the crowd played through the measured window");
    return finish({ seated, mapFull, notes, ...(figures && { figures }) });
  } finally {
    stopCurrentRun = undefined;
    crowd.close();
    for (const probe of probes) probe.stop();
    await server.stop();
  }
}

/** Where a run's profiles go, less their ending: <dir>/<step>-<players>, and -floor for a floor's. */
function profilePath(plan: RunPlan, dir: string): string {
  return join(dir, `${plan.step}-${plan.players}${plan.floorBytes === undefined ? "" : "-floor"}`);
}

/**
 * With `plan.profileDir`, starts the server with server-profiles.ts loaded, which writes
 * <dir>/<step>-<players>[-floor].cpuprofile and .heapprofile when the server is stopped. A child
 * takes the environment at its spawn: the probes, started later, run without it.
 */
async function profiledIf<T>(plan: RunPlan, start: () => Promise<T>): Promise<T> {
  if (plan.profileDir === undefined) return start();
  const before = { ...process.env };
  const files = profilePath(plan, plan.profileDir);
  const hook = fileURLToPath(new URL("server-profiles.ts", import.meta.url));
  process.env.NODE_OPTIONS = `${before.NODE_OPTIONS ?? ""} --expose-gc --import tsx --import ${hook}`;
  process.env.BENCH_PROFILE = files;
  try {
    return await start();
  } finally {
    process.env = before;
  }
}

/**
 * With `plan.profileDir`, records this process's CPU profile (the crowd's) over `window`, as
 * <dir>/<step>-<players>[-floor]-crowd.cpuprofile: the crowd must stay cheap, or it, not the
 * server, limits the players the bench can measure.
 */
async function profiledCrowd<T>(plan: RunPlan, window: () => Promise<T>): Promise<T> {
  if (plan.profileDir === undefined) return window();
  const file = `${profilePath(plan, plan.profileDir)}-crowd.cpuprofile`;
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  try {
    return await window();
  } finally {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  }
}

/** Samples the server and the crowd at both ends of `seconds`; undefined if the server is gone. */
async function measureWindow(
  seconds: number,
  crowd: Crowd,
  server: RunningServer,
): Promise<WindowSamples | undefined> {
  const opened = { server: sampleProcess(server.process.pid!), crowd: crowd.counts() };
  const socket = { address: server.host, port: server.port };
  const dropsAtOpen = kernelDrops(socket);
  crowd.takeLargestMessage();
  const cpuAtOpen = process.cpuUsage();
  await sleep(seconds * 1000);
  const cpu = process.cpuUsage(cpuAtOpen);
  const closed = { server: sampleProcess(server.process.pid!), crowd: crowd.counts() };
  const dropsAtClose = kernelDrops(socket);
  if (!opened.server || !closed.server) return undefined;
  const dropped =
    dropsAtOpen === undefined || dropsAtClose === undefined
      ? undefined
      : dropsAtClose - dropsAtOpen;
  return {
    seconds: (closed.server.at - opened.server.at) / 1000,
    server: { opened: opened.server, closed: closed.server, kernelDrops: dropped },
    crowd: {
      opened: opened.crowd,
      closed: closed.crowd,
      largestMessage: crowd.takeLargestMessage(),
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
    },
  };
}

/**
 * The server writes who joins at most LINES_PER_WINDOW times a window (lib/serve.ts's
 * RateLimitedLog) and only counts the others: a probe that joined in the window of the crowd's
 * last joins was never seen joining (at 1,000 players each one was waited for 15 s in vain). So,
 * when `joins` could fill a window, the probes start once that window has closed: the server has
 * written how many lines it left out, or a whole window has passed.
 */
async function joinsLoggedAgain(server: RunningServer, joins: number): Promise<void> {
  if (joins <= LINES_PER_WINDOW) return;
  const from = server.output.length;
  const closesAt = performance.now() + LOG_WINDOW_MS;
  const leftOutCounted = (line: string) => /… and \d+ more in the last \d+ s$/.test(line);
  while (performance.now() < closesAt && !server.output.slice(from).some(leftOutCounted))
    await sleep(100);
}

/**
 * Waits until every probe has joined (the server logs `<name> joined`) or has
 * exited (refused, say), for PROBE_JOIN_TIMEOUT_SECONDS at most. Returns the
 * names of the probes still waiting then.
 */
async function probesJoined(probes: Probe[], server: RunningServer): Promise<string[]> {
  const timeoutMs = PROBE_JOIN_TIMEOUT_SECONDS * 1000;
  const joinedOrGone = await Promise.all(
    probes.map((probe) =>
      Promise.race([
        server
          .line(new RegExp(`\\b${probe.name} joined\\b`), timeoutMs)
          .then((line) => line !== undefined),
        // a probe that has exited (refused, say) will never join: it is not waited for
        probe.report.then(() => true),
      ]),
    ),
  );
  return probes.filter((_, i) => !joinedOrGone[i]).map((probe) => probe.name);
}
