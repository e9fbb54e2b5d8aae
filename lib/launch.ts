/**
 * Starting the steps' real scripts as processes, for `npm start`, the tests
 * and the benchmark: each runs exactly as a learner would run it by hand.
 */
import { type ChildProcess, type SpawnOptions, spawn } from "node:child_process";
import { EventEmitter } from "node:events";
import { join } from "node:path";
import { createInterface } from "node:readline";
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
