/**
 * Starting the steps' real scripts as processes, for `npm start`, the tests
 * and the benchmark: each runs exactly as a learner would run it by hand.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { EventEmitter, once } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { text } from "node:stream/consumers";
import type { Summary } from "../../lib/player.ts";
import { ROOT, STEPS_DIR } from "./steps.ts";

/** Runs one of a step's scripts with tsx, like `npx tsx steps/<folder>/<script>.ts <args>`. */
export function runScript(
  folder: string,
  script: "server" | "client",
  args: string[],
  options: SpawnOptions = {},
): ChildProcess {
  return spawn(
    process.execPath,
    ["--import", "tsx", join(STEPS_DIR, folder, `${script}.ts`), ...args],
    { cwd: ROOT, ...options },
  );
}

export interface BotOptions {
  /** the server's address: the client's own default (127.0.0.1) when not given */
  host?: string;
  port: number;
  name: string;
  /** how long the bot plays before it leaves by itself (--duration) */
  seconds: number;
  /** the client's other options, e.g. ["--loss", "5"] */
  args?: string[];
}

/** How a bot client ended, once it has exited and its output is all read. */
export interface BotResult {
  /** 0 when it played its time, 1 when the network failed it, null if a signal ended it */
  code: number | null;
  /** its JSON summary, the last line it prints; undefined if that line is not one (it crashed) */
  summary?: Summary;
  /** its `error: …` line without the `error: `, when the network failed it */
  error?: string;
}

/**
 * Runs a step's real client as a bot (`--bot --duration`): the process, to stop it sooner,
 * and how it ended. Its summary is read once the process has exited, so a bot killed early
 * still gives the summary it printed as it left.
 */
export function runBot(
  folder: string,
  { host, port, name, seconds, args = [] }: BotOptions,
): { process: ChildProcess; result: Promise<BotResult> } {
  const where = host === undefined ? [] : ["--host", host];
  const options = [...where, "--port", String(port), "--name", name];
  const child = runScript(
    folder,
    "client",
    [...options, "--bot", "--duration", String(seconds), ...args],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const result = Promise.all([text(child.stdout!), text(child.stderr!), once(child, "close")]).then(
    ([stdout, stderr, [code]]) => ({ code, ...summaryOf(stdout), ...errorOf(stderr) }),
  );
  return { process: child, result };
}

/** A bot client's summary is the last line it prints. */
function summaryOf(stdout: string): { summary?: Summary } {
  try {
    const summary: Summary | null = JSON.parse(stdout.trim().split("\n").at(-1) ?? "");
    return typeof summary?.connected === "boolean" ? { summary } : {};
  } catch {
    return {}; // no summary: the client died before it could print one, and its error line says why
  }
}

/** Why a bot failed: its one-line `error:`, or, if it crashed instead, the error it threw. */
function errorOf(stderr: string): { error?: string } {
  const lines = stderr.split("\n");
  const line = lines.find((line) => line.startsWith("error: "));
  if (line) return { error: line.slice("error: ".length) };
  const thrown = lines.find((line) => /^\w*Error\b/.test(line));
  return thrown ? { error: thrown } : {};
}

export interface RunningServer {
  process: ChildProcess;
  host: string;
  port: number;
  /** every line the server has printed so far */
  output: string[];
  /**
   * The first line the server has printed, or prints within `timeoutMs`, that `pattern`
   * matches; undefined if none. A line comes through a pipe: it may be read a little after
   * the answer it goes with.
   */
  line(pattern: RegExp, timeoutMs?: number): Promise<string | undefined>;
  stop(): Promise<void>;
}

/** Starts a step's server on a free port and waits for its `listening on HOST:PORT` line. */
export function startServer(folder: string, args: string[] = []): Promise<RunningServer> {
  const child = runScript(folder, "server", ["--host", "127.0.0.1", "--port", "0", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  const newLine = new EventEmitter();
  const line = (pattern: RegExp, timeoutMs = 2000) =>
    new Promise<string | undefined>((resolve) => {
      const found = output.find((printed) => pattern.test(printed));
      if (found !== undefined) return resolve(found);
      const look = (printed: string) => {
        if (!pattern.test(printed)) return;
        clearTimeout(giveUp);
        newLine.off("line", look);
        resolve(printed);
      };
      const giveUp = setTimeout(() => {
        newLine.off("line", look);
        resolve(undefined);
      }, timeoutMs);
      newLine.on("line", look);
    });
  const keep = (printed: string) => {
    output.push(printed);
    newLine.emit("line", printed);
  };
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  createInterface({ input: child.stderr! }).on("line", keep);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (printed) => {
      keep(printed);
      const listening = /^listening on (\S+):(\d+)$/.exec(printed);
      if (!listening) return;
      const [host = "", port = ""] = listening.slice(1);
      resolve({ process: child, host, port: Number(port), output, line, stop });
    });
    child.once("exit", (code) =>
      reject(
        new Error(`the ${folder} server exited (${code}) before listening:\n${output.join("\n")}`),
      ),
    );
  });
}
