/**
 * What every server does around its networking: say where it listens, fail in
 * one line, keep its log readable under a flood, and (TCP) count its connections.
 */
import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { networkInterfaces } from "node:os";
import type { OptionSpecs } from "./args.ts";
import { listenProblem } from "./network-errors.ts";
import { visible } from "./trace.ts";

/** The addresses other machines on the network can reach this one at. */
function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && address.family === "IPv4" && !address.internal)
    .map((address) => address!.address);
}

/**
 * The first line every server prints (tests and `npm
 * start` read it), then how players elsewhere join.
 */
export function announce({ address, port }: { address: string; port: number }): void {
  console.log(`listening on ${address}:${port}`);
  const lan = lanAddresses();
  if (address === "0.0.0.0" && lan.length > 0) {
    console.log(`players on other machines: --host ${lan.join(" or --host ")} --port ${port}`);
  } else if (address.startsWith("127.")) {
    console.log("only this machine can join (use --host 0.0.0.0 to let the network in)");
  }
}

/**
 * The 'error' handler of a server's own socket. An error that means it cannot
 * listen (the port is taken, the address is wrong) ends the server with one
 * line saying why. Any other error, such as running out of file descriptors
 * for one more connection, is logged: the players already in must not pay.
 */
export function exitOnListenError(error: NodeJS.ErrnoException, port: number): void {
  const problem = listenProblem(error, port);
  if (problem === undefined) return log(`server socket: ${error.message}`);
  console.error(`error: ${problem}`);
  process.exit(1);
}

/**
 * A timestamped log line, so a server's output reads as what happened when. Log lines quote
 * what strangers sent: their control characters are made visible, never sent to a terminal.
 */
export function log(line: string): void {
  console.log(`${new Date().toISOString().slice(11, 23)} ${visible(line)}`);
}

/**
 * How many datagrams the kernel threw away for the UDP socket at `address`:`port` because its
 * receive queue was full, or undefined where the system does not say (Linux counts them in the
 * last column of /proc/net/udp). The program never sees these: only the kernel knows they came.
 * The default queue holds 256 small datagrams (measured here: 212,992 bytes, 832 a datagram), and
 * while a tick runs nobody empties it: a tick that runs long makes the kernel drop inputs.
 */
export function kernelDrops({
  address,
  port,
}: {
  address: string;
  port: number;
}): number | undefined {
  let table: string;
  try {
    table = readFileSync("/proc/net/udp", "utf8");
  } catch {
    return undefined;
  }
  // /proc/net/udp writes 127.0.0.1:9999 as 0100007F:270F: the address's bytes as a little-endian
  // number, then the port, both in hex
  const octets = address.split(".").map((octet) => Number(octet).toString(16).padStart(2, "0"));
  const local = `${octets.reverse().join("")}:${port.toString(16).padStart(4, "0")}`.toUpperCase();
  const row = table.split("\n").find((line) => line.trim().split(/\s+/)[1] === local);
  const drops = row?.trim().split(/\s+/).at(-1);
  return drops === undefined ? undefined : Number(drops);
}

/** The lines a RateLimitedLog writes in one window at most, whatever else comes. */
export const LINES_PER_WINDOW = 20;
/** A RateLimitedLog's window. */
export const LOG_WINDOW_MS = 5000;

/**
 * A log that a flood cannot flood. In each window of a few seconds it writes
 * the same line at most a few times, and a few dozen lines in all; the others
 * are only counted, and the count is written when the window ends. Strangers
 * decide how often a server refuses something, and what it says.
 */
export class RateLimitedLog {
  private windowStart = -Infinity;
  private written = 0;
  private skipped = 0;
  /** how often each line came in this window (a flood of different lines stops adding to it) */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly write: (line: string) => void = log,
    private readonly sameLinePerWindow = 3,
    private readonly linesPerWindow = LINES_PER_WINDOW,
    private readonly windowMs = LOG_WINDOW_MS,
  ) {}

  line(text: string, now = performance.now()): void {
    if (now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.written = 0;
      this.seen.clear();
    }
    const times = this.seen.get(text) ?? 0;
    if (this.seen.size < 1000) this.seen.set(text, times + 1);
    if (times < this.sameLinePerWindow && this.written < this.linesPerWindow) {
      this.written++;
      return this.write(text);
    }
    if (this.skipped++ === 0) {
      const windowLeft = this.windowStart + this.windowMs - now;
      setTimeout(() => this.writeSkipped(), windowLeft).unref();
    }
  }

  private writeSkipped(): void {
    this.write(`… and ${this.skipped} more in the last ${this.windowMs / 1000} s`);
    this.skipped = 0;
  }
}

/** The option of every TCP server: how many connections it holds at once. */
export const CONNECTION_OPTIONS = {
  "max-connections": {
    type: "string",
    default: "1000",
    placeholder: "N",
    description: "connections held at once; more are refused (each one costs a file descriptor)",
  },
} satisfies OptionSpecs;

/**
 * Caps the connections a TCP server holds at once. Each costs a file
 * descriptor and some memory, and nothing stops a stranger from opening
 * thousands: past the cap, the server refuses newcomers instead of failing.
 */
export class ConnectionLimit {
  private open = 0;

  constructor(readonly max: number) {}

  /** Counts the socket in until it closes; false when the server already holds `max`. */
  admit(socket: Socket): boolean {
    if (this.open >= this.max) return false;
    this.open++;
    socket.once("close", () => this.open--);
    return true;
  }
}
