/**
 * What the step tests share: real sockets to the real servers, and the real
 * clients run as processes. Nothing here mocks the network.
 */
import { execFile } from "node:child_process";
import { type Socket, createSocket } from "node:dgram";
import net from "node:net";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { onTestFinished } from "vitest";
import { readLines } from "../lib/framing.ts";
import { type Input, stepFrom } from "../lib/game.ts";
import { type GameMap, isWall } from "../lib/map.ts";
import type { Summary } from "../lib/player.ts";
import type { GameState } from "../lib/state.ts";
import { ROOT, STEPS_DIR } from "../scripts/harness/steps.ts";
import { Trace } from "../lib/trace.ts";

export { startServer } from "../scripts/harness/launch.ts";

/**
 * A range of ports for one UDP server's pool (`--ports FIRST-LAST`), apart from
 * every other test's: each test worker (VITEST_POOL_ID) owns a block of 1000
 * ports below the system's ephemeral range and hands its ranges out in turn.
 */
let portsHandedOut = 0;
export function portPool(count: number): string {
  const worker = Number(process.env.VITEST_POOL_ID ?? "1");
  if (portsHandedOut + count > 1000) portsHandedOut = 0;
  const first = 23000 + worker * 1000 + portsHandedOut;
  portsHandedOut += count;
  return `${first}-${first + count - 1}`;
}

/** A UDP socket bound to a free port on 127.0.0.1, closed when the test ends. */
export async function boundUdpSocket(): Promise<Socket> {
  const socket = createSocket("udp4");
  onTestFinished(() => {
    socket.close();
  });
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return socket;
}

/** Waits until `condition` holds, or `timeoutMs` has passed: the assertion after it says which. */
export async function until(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await sleep(5);
}

/** A trace line (lib/trace.ts) with the time at its start replaced by "T": the rest must be exact. */
export const untimed = (line: string) => line.replace(/^ *\d+\.\d ms /, "T ");

/** A trace that keeps its lines, untimed. */
export function tracedLines() {
  const lines: string[] = [];
  const trace = new Trace((line) => lines.push(untimed(line)));
  return { lines, trace };
}

/** One TCP connection: send bytes, then read everything until the server closes. */
export async function askOnce(
  port: number,
  bytes: Buffer | string,
  { endAfterSending = true } = {},
): Promise<Buffer> {
  const socket = net.connect(port, "127.0.0.1");
  if (endAfterSending) socket.end(bytes);
  else socket.write(bytes);
  const pieces: Buffer[] = [];
  for await (const piece of socket) pieces.push(piece);
  return Buffer.concat(pieces);
}

/** A persistent TCP connection that reads the server's answers line by line. */
export async function connectLines(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  const lines = readLines(socket, 1 << 20);
  return {
    socket,
    send: (text: string) => socket.write(text),
    /** the next line the server sends, or undefined once it has closed the connection */
    next: async () => (await lines.next()).value as string | undefined,
    close: () => socket.destroy(),
  };
}

/** A direction in which `name` can take one step right now: floor, and nobody there. */
export function freeDirection(map: GameMap, state: GameState, name: string): Input {
  const me = state.players.find((player) => player.name === name)!;
  const free = (["UP", "DOWN", "LEFT", "RIGHT"] as const).find((input) => {
    const target = stepFrom(me, input);
    return (
      !isWall(map, target) &&
      !state.players.some((other) => other.x === target.x && other.y === target.y)
    );
  });
  if (!free) throw new Error(`${name} is boxed in`);
  return free;
}

/** How a script ended: its exit code (null if it was killed), and all it printed. */
export interface Ended {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `node --import tsx <args>` from the repository's root, as a learner runs a script by
 * hand, and waits for its end. With `timeoutMs`, a script still running then is killed.
 */
export async function runToEnd(args: string[], { timeoutMs = 0 } = {}): Promise<Ended> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", ...args],
      { cwd: ROOT, timeout: timeoutMs },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const { code, stdout, stderr } = error as Ended;
    return { code, stdout, stderr };
  }
}

/** Runs a step's `client.ts` or `server.ts` to its end: scripts/harness/launch.ts's runScript, waited for. */
export function runScriptToEnd(
  folder: string,
  script: "client" | "server",
  args: string[],
  options: { timeoutMs?: number } = {},
): Promise<Ended> {
  return runToEnd([`${STEPS_DIR}/${folder}/${script}.ts`, ...args], options);
}

/** The JSON summary a bot prints as its last line of stdout, if it printed anything. */
export function summaryOf(stdout: string): Summary | undefined {
  const last = stdout.trim().split("\n").at(-1);
  return last ? (JSON.parse(last) as Summary) : undefined;
}

/** Runs a step's real client as a bot for a while and returns its exit code and its JSON summary. */
export async function runBot(
  folder: string,
  port: number,
  name: string,
  seconds: number,
  extra: string[] = [],
) {
  const { code, stdout, stderr } = await runScriptToEnd(folder, "client", [
    ...["--port", String(port), "--name", name, "--bot", "--duration", String(seconds)],
    ...extra,
  ]);
  return { code, summary: summaryOf(stdout), stderr };
}

/** Messages a stranger might send, and the reason the server must give for each. */
export const BAD_MESSAGES: readonly [message: string, reason: RegExp][] = [
  ["HELLO there", /unknown command HELLO/],
  ["", /empty message/],
  ["CONNECTED", /username is empty/],
  ["CONNECTED abcdefghijklmnopq", /longer than 16/],
  ["CONNECTED bad!name", /letters, digits/],
  ["CONNECTED two words", /expected CONNECTED <username>/],
  ["INPUT ghostly UP", /ghostly is not connected/],
  ["INPUT alice SIDEWAYS", /unknown direction SIDEWAYS/],
  ["GETSTATE", /username is empty/],
  ["GETSTATE alice bob", /expected GETSTATE <username>/],
];
