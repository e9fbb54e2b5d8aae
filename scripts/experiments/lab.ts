/**
 * What the experiments share: the steps' real servers and clients, started as processes on
 * 127.0.0.1 exactly as a learner starts them by hand, the dedicated ports of the UDP servers,
 * the sockets of strangers and of silent players, the traces the programs write
 * (`--trace-file`), and the few lines each experiment prints.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { type BotOptions, type RunningServer, runBot, startServer } from "../harness/launch.ts";
import type { Summary } from "../../lib/player.ts";
import { freePortRange } from "../harness/ports.ts";
import { findStep, hasPortPool } from "../harness/steps.ts";

/** One experiment: a file in scripts/experiments/ whose `experiment` export is this. */
export interface Experiment {
  /** one line for --help: what it measures */
  about: string;
  /** the READMEs that quote its figures, e.g. ["03", "04"] */
  steps: string[];
  /** about how long it takes, for --help */
  seconds: number;
  run(): Promise<void>;
}

/** The step folder of a number: "03" gives 03-tcp-persistent. */
function folderOf(step: string): string {
  const folder = findStep(step);
  if (!folder) throw new Error(`there is no step ${step}`);
  return folder;
}

/**
 * Where the experiments look for the pools of dedicated ports (`--ports FIRST-LAST`) of the UDP
 * servers they start: from 30000 up, below Linux's ephemeral ports (32768 on), where the system
 * never picks a port by itself. The bench looks from 20000 up, and each test worker owns 1000
 * ports from 23000 + 1000 × its VITEST_POOL_ID (24000 on, tests/helpers.ts); a range skips the
 * ports another program holds all the same.
 */
const FIRST_POOL_PORT = 30000;
/** Where the next search starts: past every range handed out, so that none is handed out twice. */
let nextPoolPort = FIRST_POOL_PORT;
/**
 * The last search begun. Searches run one after the other: two servers started together
 * would otherwise both find the same range free, before either server has bound it.
 */
let lastSearch: Promise<unknown> = Promise.resolve();

/** A range of `count` free ports for one server's --ports, none of it handed out before. */
export function poolPorts(count: number): Promise<string> {
  const range = lastSearch.then(async () => {
    const { first, last } = await freePortRange(count, nextPoolPort);
    nextPoolPort = last + 1;
    return `${first}-${last}`;
  });
  lastSearch = range.catch(() => {}); // a failed search leaves nextPoolPort as it was
  return range;
}

/** Servers still running, stopped when the experiment ends however it ends. */
const running = new Set<RunningServer>();

/** Dedicated ports a UDP server gets when the experiment does not say how many. */
const DEFAULT_POOL = 16;

/**
 * Starts a step's real server on a free port of 127.0.0.1: `args` are its options. A UDP
 * server gets a range of dedicated ports of its own unless `args` name one.
 */
export async function server(step: string, args: string[] = []): Promise<RunningServer> {
  const pool =
    hasPortPool(step) && !args.includes("--ports")
      ? ["--ports", await poolPorts(DEFAULT_POOL)]
      : [];
  const started = await startServer(folderOf(step), [...pool, ...args]);
  running.add(started);
  return started;
}

export async function stopServers(): Promise<void> {
  await Promise.all([...running].map((each) => each.stop()));
  running.clear();
}

interface BotRun extends BotOptions {
  step: string;
}

/** Runs a step's real client as a bot (`--bot --duration`) and returns its JSON summary. */
export async function bot({ step, ...options }: BotRun): Promise<Summary> {
  const { code, summary, error } = await runBot(folderOf(step), options).result;
  if (code === 0 && summary) return summary;
  throw new Error(`the step ${step} bot ${options.name} exited ${code}: ${error ?? "no summary"}`);
}

/** One bot on a server of its own: what a row of many experiments measures. */
export interface Trial {
  step: string;
  /** the server's options */
  server?: string[];
  /** the bot's name (its moves and its simulated network are seeded by it) and options */
  name: string;
  client?: string[];
  seconds: number;
}

/** Plays one trial: starts its server, runs its bot, stops the server; returns the bot's summary. */
async function playTrial(trial: Trial): Promise<Summary> {
  const { step, name, seconds } = trial;
  const trialServer = await server(step, trial.server);
  const summary = await bot({ step, port: trialServer.port, name, seconds, args: trial.client });
  await trialServer.stop();
  return summary;
}

/** Plays the trials side by side, each on its own server, and returns the bots' summaries. */
export function playTrials(trials: Trial[]): Promise<Summary[]> {
  return Promise.all(trials.map(playTrial));
}

/**
 * Plays one trial with `--trace-file` on the side it names, and returns the bot's summary and
 * that side's trace (steps 02 and 03 count connections in the server's, step 06 reads the client's).
 */
export async function playTraced(
  trial: Trial,
  side: "server" | "client",
): Promise<{ summary: Summary; trace: TraceLine[] }> {
  const folder = mkdtempSync(join(tmpdir(), "haunted-experiment-"));
  const file = join(folder, `${side}.trace`);
  try {
    const traced = { ...trial, [side]: [...(trial[side] ?? []), "--trace-file", file] };
    const summary = await playTrial(traced);
    return { summary, trace: readTrace(file) };
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/** A stranger's UDP socket, and what it has sent and received. */
export interface Stranger {
  socket: dgram.Socket;
  /** bytes sent and received, and every datagram received, as text, in order */
  counts: { sent: number; received: number; answers: string[] };
  /** Sends `text` to `port` of the servers' address, 127.0.0.1. */
  send(text: string, port: number): void;
}

/**
 * A socket of a stranger on an address of its own: one process plays many machines, from
 * 127.0.0.2 on, since Linux routes all of 127/8 to this one.
 */
export async function stranger(address: string): Promise<Stranger> {
  const socket = dgram.createSocket("udp4");
  const counts = { sent: 0, received: 0, answers: [] as string[] };
  socket.on("message", (bytes) => {
    counts.received += bytes.length;
    counts.answers.push(bytes.toString("utf8"));
  });
  socket.bind(0, address);
  await once(socket, "listening");
  return {
    socket,
    counts,
    send(text, port) {
      counts.sent += Buffer.byteLength(text);
      socket.send(text, port, "127.0.0.1");
    },
  };
}

/** What a silent player needs of its step's protocol.ts: to write its join and its INPUT, and to read. */
interface SilentProtocol<ServerMessage, StillHere> {
  encodeClientMessage(message: { type: "CONNECTED"; username: string } | StillHere): string;
  parseServerMessage(line: string): { ok: true; message: ServerMessage } | { ok: false };
}

/**
 * The answer a stranger receives after the `count` it had, or undefined after `quietMs` of
 * silence: a fixed short wait would take a slow answer on a busy machine for none.
 */
export async function answerAfter(
  peer: Stranger,
  count: number,
  quietMs = 500,
): Promise<string | undefined> {
  for (let waited = 0; peer.counts.answers.length <= count && waited < quietMs; waited += 10)
    await sleep(10);
  return peer.counts.answers[count];
}

/**
 * Joins a server of steps 05 to 07 as a player who never moves, speaking that step's `protocol`:
 * CONNECTED to its main `port`, then `stillHere` (an INPUT NONE) every second to the port the
 * welcome names, or the server would take the silence for a player gone. `heard` gets every
 * message the server sends, parsed.
 */
export async function silentPlayer<
  ServerMessage extends { type: string; port?: number },
  StillHere,
>(
  port: number,
  name: string,
  protocol: SilentProtocol<ServerMessage, StillHere>,
  stillHere: NoInfer<StillHere>,
  heard: (message: ServerMessage) => void,
): Promise<{ leave(): void }> {
  const socket = dgram.createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  let ownPort: number | undefined;
  socket.on("message", (bytes) => {
    const parsed = protocol.parseServerMessage(bytes.toString("utf8"));
    if (!parsed.ok) return;
    if (parsed.message.type === "CONNECTED") ownPort ??= parsed.message.port;
    heard(parsed.message);
  });
  socket.send(
    protocol.encodeClientMessage({ type: "CONNECTED", username: name }),
    port,
    "127.0.0.1",
  );
  const input = protocol.encodeClientMessage(stillHere);
  const keepAlive = setInterval(() => {
    if (ownPort !== undefined) socket.send(input, ownPort, "127.0.0.1");
  }, 1000);
  return {
    leave() {
      clearInterval(keepAlive);
      socket.close();
    },
  };
}

/** One line of a `--trace`, read back (see lib/trace.ts for how it is written). */
export interface TraceLine {
  ms: number;
  sent: boolean;
  /** the peer as the trace writes it, e.g. 127.0.0.1:9999 */
  peer: string;
  bytes: number;
  text: string;
  /** what the simulated network did to a message sent: "", "dropped", "delayed 152 ms"… */
  fate: string;
}

const TRACE_LINE = /^ *([\d.]+) ms ([→←]) (\S+) +(\d+) B "(.*)"(?: {2}(.*))?$/;

/** One line of a trace, or undefined if it is not one. */
export function parseTraceLine(line: string): TraceLine | undefined {
  const match = TRACE_LINE.exec(line);
  if (!match) return undefined;
  const [, ms, arrow, peer, bytes, text, fate = ""] = match;
  return {
    ms: Number(ms),
    sent: arrow === "→",
    peer: peer!,
    bytes: Number(bytes),
    text: text!,
    fate,
  };
}

function readTrace(file: string): TraceLine[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .map(parseTraceLine)
    .filter((line) => line !== undefined);
}

/** Prints rows as columns, the first row as their heading: the figures an experiment measured. */
export function printTable(rows: (string | number)[][]): void {
  const cells = rows.map((row) => row.map(String));
  const widths = cells[0]!.map((_, column) => Math.max(...cells.map((row) => row[column]!.length)));
  for (const row of cells) {
    console.log(
      `  ${row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join("  ")
        .trimEnd()}`,
    );
  }
}

/**
 * The figures the experiment run last measured, by name: what `npm run experiment -- --check`
 * holds against the figures the READMEs quote (scripts/readme-figures.ts).
 */
export const figures = new Map<string, number>();

/** Records a figure the experiment measured, under a name the READMEs' markers use; returns it. */
export function figure(name: string, value: number): number {
  figures.set(name, value);
  return value;
}

/** A progress line, so that nobody wonders whether a 10-second wait is a hang. */
export function progress(what: string): void {
  console.log(`… ${what}`);
}

/** `p50/p99` of a bot's ping, as the summaries give it (– when it had no sample). */
export const ping = (summary: Summary) =>
  `${summary.rttMs.p50 ?? "–"} / ${summary.rttMs.p99 ?? "–"} ms`;
