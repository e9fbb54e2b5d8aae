/**
 * The bench's floor rows: after a step that sends each player one datagram a
 * tick from one socket (08 on), the same crowd plays floor-server.ts, which
 * sends nothing but that datagram, of the step's mean state size measured in
 * the run just before; and the floor's bots send it as many datagrams as the
 * step's players sent, of their mean size. The step's CPU over the floor's is
 * what the step pays above its own network, both ways (report.ts: the
 * `× floor` column).
 *
 * Both ways, because reading a datagram costs a server about what sending one
 * does. Sending 1,000 players 48-byte states, the floor took 9.7 % of a core
 * while its bots sent only their input's changes (2 datagrams a second each;
 * step 13's players send 7), and 13.9 % while they sent 20 a second (npm run
 * bench -- --steps 13 --players 1000 --seconds 10 --probes 0, the bots changed
 * by hand).
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import type { RunningServer } from "../harness/launch.ts";
import { ROOT } from "../harness/steps.ts";
import { type InputMessage, type Play, oneSocket } from "./bots-udp.ts";
import { type BotAdapter, type BotContext, FRAME_RATE } from "./crowd.ts";
import { tickOf } from "./peek.ts";
import * as step09 from "../../steps/09-lantern-interest/protocol.ts";
import type { Figures } from "./figures.ts";

/** Steps 08 on send each player one datagram a tick from one socket, as the floor does. */
export const hasFloor = (step: string, transport: "tcp" | "udp") =>
  transport === "udp" && step >= "08";

/** What a floor's bots send up: as many datagrams a second as the step's players sent, of their mean size. */
export interface FloorInputs {
  perSecond: number;
  bytes: number;
}

/**
 * The floor speaks step 08's join, and its bots send step 09's inputs, padded to `inputs.bytes`.
 * An input longer than that, as step 09 writes it (17 bytes or more), goes whole: the floor's
 * bots then send a few bytes more than the step's (from 16 to 512 players, step 09's floor rows
 * were sent 32 to 35 bytes a second up, its own rows 29 to 33), but no more datagrams to read.
 */
export function floorAdapter(inputs: FloorInputs): BotAdapter {
  const protocol = {
    ...step09,
    encodeClientMessage: (message: step09.ClientMessage | step09.Connect) =>
      message.type === "INPUT"
        ? step09.encodeClientMessage(message).padEnd(inputs.bytes)
        : step09.encodeClientMessage(message),
  };
  return (bot) => oneSocket(bot, protocol, inputsAtRate(bot, inputs.perSecond));
}

/**
 * `perSecond` inputs a second, whatever the input does: a frame sends one each time the frames so
 * far owe one more (at 14 a second, 7 frames of 10 send one). Each carries its sequence number,
 * which the floor's states ack as a step's do.
 */
export function inputsAtRate(
  bot: BotContext,
  perSecond: number,
): Play<InputMessage & { seq: number }> {
  // in FRAME_RATEths of an input, so that 14.5 a second, summed over 40 frames, makes 29 exactly
  let owed = 0;
  let seq = 0;
  return {
    frame(input, _now, send) {
      owed += perSecond;
      for (; owed >= FRAME_RATE; owed -= FRAME_RATE)
        send({ type: "INPUT", username: bot.name, input, seq: ++seq });
      return true;
    },
    datagram(datagram) {
      const tick = tickOf(datagram);
      if (tick !== undefined) bot.meter.state(tick);
    },
  };
}

/** Room for the floor's `STATE tick=<tick> <name>,0,0,<ack>`: a smaller state is sent this big. */
export const SMALLEST_FLOOR_BYTES = 48;

/** What the floor's bots send: what a step's players sent (measured in the run just before). */
export function meanInputs({ bytesPerSecond, messagesPerSecond }: Figures): FloorInputs {
  const perSecond = messagesPerSecond.up;
  return { perSecond, bytes: perSecond === 0 ? 0 : Math.round(bytesPerSecond.up / perSecond) };
}

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
