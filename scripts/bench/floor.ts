/**
 * The bench's floor rows: after a step that sends each player one datagram a
 * tick from one socket (08 on), the same crowd plays floor-server.ts, which
 * sends nothing but that datagram, of the step's mean state size measured in
 * the run just before. The step's CPU over the floor's is what the step pays
 * above its own sends (report.ts: the `× floor` column).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { RunningServer } from "../harness/launch.ts";
import { ROOT } from "../harness/steps.ts";
import { inputChanges, oneSocket } from "./bots-udp.ts";
import type { BotAdapter } from "./crowd.ts";
import * as step09 from "../../steps/09-lantern-interest/protocol.ts";
import type { Figures } from "./figures.ts";

/** Steps 08 on send each player one datagram a tick from one socket, as the floor does. */
export const hasFloor = (step: string, transport: "tcp" | "udp") =>
  transport === "udp" && step >= "08";

/** The floor speaks step 08's join and answers as a step 09 state does, tick and ack. */
export const FLOOR_ADAPTER: BotAdapter = (bot) => oneSocket(bot, step09, inputChanges(bot));

/** Room for the floor's `STATE tick=<tick> <name>,0,0,<ack>`: a smaller state is sent this big. */
export const SMALLEST_FLOOR_BYTES = 48;

/** The mean size of the datagrams a step's players received: what the floor sends each tick. */
export function meanStateBytes({ bytesPerSecond, messagesPerSecond }: Figures): number | undefined {
  if (messagesPerSecond.down === 0) return undefined;
  return Math.max(SMALLEST_FLOOR_BYTES, Math.round(bytesPerSecond.down / messagesPerSecond.down));
}

/** Starts floor-server.ts on a free port, as scripts/harness/launch.ts starts a step's server. */
export async function startFloorServer(bytes: number, map = "mansion"): Promise<RunningServer> {
  const script = fileURLToPath(new URL("floor-server.ts", import.meta.url));
  const args = ["--host", "127.0.0.1", "--port", "0", "--bytes", String(bytes), "--map", map];
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output: string[] = [];
  createInterface({ input: child.stderr! }).on("line", (line) => output.push(line));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  };
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output.push(line);
      const listening = /^listening on (\S+):(\d+)$/.exec(line);
      if (!listening) return;
      const [, host = "", port = ""] = listening;
      // the floor logs no joins: the bench runs it without probes, which wait for one
      const printed = async (pattern: RegExp) => output.find((line) => pattern.test(line));
      resolve({ process: child, host, port: Number(port), output, line: printed, stop });
    });
    child.once("exit", (code) =>
      reject(
        new Error(`the floor server exited (${code}) before listening:\n${output.join("\n")}`),
      ),
    );
  });
}
