/**
 * What a stranger with many addresses can still do to the UDP servers of steps 04 and 05,
 * measured from one process that plays 32 machines (127.0.0.2 to 127.0.0.33: Linux routes all
 * of 127/8 to this one) of 8 sockets each, the most `--per-address` lets one address have:
 *
 * - how fast it fills a pool of 256 dedicated ports, so that nobody else gets in;
 * - how many bytes the server sends for the bytes it receives, to an address it never checked:
 *   its ERRORs, its welcome, and (step 05) the states its tick sends to every seat. On the
 *   internet the source address of a datagram can be forged, so a stranger can take the seats
 *   in a victim's name and the server sends all of it to the victim: a reflection attack.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { type Experiment, poolPorts, printTable, progress, server } from "./lab.ts";

const ADDRESSES = 32;
const PER_ADDRESS = 8;
/** The step 05 seats kept for the broadcast, and for how long. */
const BROADCAST_SEATS = 64;
const BROADCAST_SECONDS = 10;
/** A seat is given up after 5 s of silence: a word every 4 s keeps it. */
const KEEP_ALIVE_MS = 4000;

/** The sockets of the attacker, and every byte they send and receive. */
class Attacker {
  sentBytes = 0;
  receivedBytes = 0;
  readonly sockets: dgram.Socket[] = [];
  /** the first datagram each socket received from the server's main port */
  readonly answers = new Map<dgram.Socket, Buffer>();

  async open(count: number, perAddress: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const socket = dgram.createSocket("udp4");
      socket.on("message", (bytes) => {
        this.receivedBytes += bytes.length;
        if (!this.answers.has(socket)) this.answers.set(socket, bytes);
      });
      socket.bind(0, `127.0.0.${2 + Math.floor(i / perAddress)}`);
      await once(socket, "listening");
      this.sockets.push(socket);
    }
  }

  send(socket: dgram.Socket, text: string, port: number): void {
    this.sentBytes += Buffer.byteLength(text);
    socket.send(text, port, "127.0.0.1");
  }

  close(): void {
    for (const socket of this.sockets) socket.close();
  }
}

/** The port a welcome gives, or undefined for anything else. */
const welcomePort = (answer: Buffer | undefined) =>
  answer && /^CONNECTED (\d+) /.exec(answer.toString("utf8"))?.[1];

async function fillThePool(): Promise<void> {
  const seats = ADDRESSES * PER_ADDRESS;
  const target = await server("04", ["--ports", await poolPorts(seats)]);
  const attacker = new Attacker();
  await attacker.open(seats + 1, PER_ADDRESS);
  progress(`step 04: ${ADDRESSES} addresses × ${PER_ADDRESS} sockets say CONNECTED`);
  const startedAt = performance.now();
  attacker.sockets
    .slice(0, seats)
    .forEach((socket, i) => attacker.send(socket, `CONNECTED seat${i}`, target.port));
  while (attacker.answers.size < seats && performance.now() - startedAt < 10_000) await sleep(5);
  const filledMs = performance.now() - startedAt;
  const welcomes = attacker.sockets.filter((socket) => welcomePort(attacker.answers.get(socket)));
  const latecomer = attacker.sockets[seats]!;
  // another address than any of the attacker's: an honest player who comes next
  attacker.send(latecomer, "CONNECTED honest", target.port);
  await sleep(200);
  const welcome = (seat: number) => {
    const bytes = attacker.answers.get(attacker.sockets[seat]!)?.length ?? 0;
    const asked = `CONNECTED seat${seat}`.length;
    return `${bytes} B for a ${asked} B request (${Math.round(bytes / asked)}×)`;
  };
  printTable([
    ["what", "figure"],
    ["seats taken", `${welcomes.length} of ${seats}, in ${Math.round(filledMs)} ms`],
    ["the next player gets", attacker.answers.get(latecomer)?.toString("utf8") ?? "(nothing)"],
    ["the first welcome", welcome(0)],
    ["the last welcome", welcome(seats - 1)],
  ]);
  attacker.close();
  await target.stop();
}

async function mainPortErrors(): Promise<void> {
  const target = await server("04");
  const stranger = new Attacker();
  await stranger.open(1, 1);
  const socket = stranger.sockets[0]!;
  const requests = [
    "x",
    "HELLO",
    "GETSTATE alice",
    "CONNECTED",
    "CONNECTED bad!name",
    "INPUT alice SIDEWAYS",
  ];
  progress("step 04: junk to the main port, one datagram at a time");
  const rows: string[][] = [["sent", "bytes", "answer", "bytes"]];
  for (const request of requests) {
    stranger.answers.clear();
    stranger.send(socket, request, target.port);
    await sleep(100);
    const answer = stranger.answers.get(socket);
    rows.push([
      request,
      String(request.length),
      answer?.toString("utf8") ?? "(none)",
      String(answer?.length ?? 0),
    ]);
  }
  printTable(rows);
  stranger.close();
  await target.stop();
}

async function tickBroadcast(): Promise<void> {
  const target = await server("05", ["--ports", await poolPorts(BROADCAST_SEATS)]);
  const attacker = new Attacker();
  await attacker.open(BROADCAST_SEATS, PER_ADDRESS);
  progress(
    `step 05: ${BROADCAST_SEATS} seats taken and kept for ${BROADCAST_SECONDS} s with a word every ${KEEP_ALIVE_MS / 1000} s`,
  );
  attacker.sockets.forEach((socket, i) => attacker.send(socket, `CONNECTED seat${i}`, target.port));
  await sleep(500);
  const keepAlive = () =>
    attacker.sockets.forEach((socket, i) => {
      const port = Number(welcomePort(attacker.answers.get(socket)));
      if (port) attacker.send(socket, `GETSTATE seat${i}`, port);
    });
  const timer = setInterval(keepAlive, KEEP_ALIVE_MS);
  await sleep(BROADCAST_SECONDS * 1000 - 500);
  clearInterval(timer);
  const ratio = Math.round(attacker.receivedBytes / attacker.sentBytes);
  console.log(
    `  sent ${(attacker.sentBytes / 1024).toFixed(1)} KB, received ${(attacker.receivedBytes / 1024 / 1024).toFixed(1)} MB: ${ratio}× what it sent`,
  );
  attacker.close();
  await target.stop();
}

export const experiment: Experiment = {
  about:
    "what 32 addresses × 8 sockets can do: fill the pool, and make the server send more than it gets",
  steps: ["04", "05", "06", "07", "08"],
  seconds: 12,
  async run() {
    await fillThePool();
    await mainPortErrors();
    await tickBroadcast();
  },
};
