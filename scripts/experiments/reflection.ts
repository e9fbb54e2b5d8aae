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
import { setTimeout as sleep } from "node:timers/promises";
import {
  type Experiment,
  type Stranger,
  answerAfter,
  figure,
  poolPorts,
  printTable,
  progress,
  server,
  stranger,
} from "./lab.ts";

const ADDRESSES = 32;
const PER_ADDRESS = 8;
/** The step 05 seats kept for the broadcast, and for how long. */
const BROADCAST_SEATS = 64;
const BROADCAST_SECONDS = 10;
/** A seat is given up after 5 s of silence: a word every 4 s keeps it. */
const KEEP_ALIVE_MS = 4000;

/**
 * The attacker: `count` strangers, PER_ADDRESS of them on each of its addresses (127.0.0.2 on).
 */
function attackers(count: number): Promise<Stranger[]> {
  return Promise.all(
    Array.from({ length: count }, (_, i) => stranger(`127.0.0.${2 + Math.floor(i / PER_ADDRESS)}`)),
  );
}

/** What all of the attacker's sockets sent or received, in bytes. */
const total = (peers: Stranger[], way: "sent" | "received") =>
  peers.reduce((sum, peer) => sum + peer.counts[way], 0);

/** The port a welcome gives, or undefined for anything else. */
const welcomePort = (answer: string | undefined) => answer && /^CONNECTED (\d+) /.exec(answer)?.[1];

async function fillThePool(): Promise<void> {
  const seats = ADDRESSES * PER_ADDRESS;
  const target = await server("04", ["--ports", await poolPorts(seats)]);
  const peers = await attackers(seats + 1);
  const seekers = peers.slice(0, seats);
  progress(`step 04: ${ADDRESSES} addresses × ${PER_ADDRESS} sockets say CONNECTED`);
  const startedAt = performance.now();
  seekers.forEach((peer, i) => peer.send(`CONNECTED seat${i}`, target.port));
  const answered = () => seekers.filter((peer) => peer.counts.answers.length > 0).length;
  while (answered() < seats && performance.now() - startedAt < 10_000) await sleep(5);
  const filledMs = performance.now() - startedAt;
  const welcomes = seekers.filter((peer) => welcomePort(peer.counts.answers[0]));
  // another address than any of the attacker's: an honest player who comes next
  const latecomer = peers[seats]!;
  latecomer.send("CONNECTED honest", target.port);
  await sleep(200);
  figure("seats", welcomes.length);
  figure("fillMs", filledMs);
  const welcome = (seat: number, name: string) => {
    const bytes = Buffer.byteLength(seekers[seat]!.counts.answers[0] ?? "");
    const asked = `CONNECTED seat${seat}`.length;
    figure(`${name}.bytes`, bytes);
    figure(`${name}.times`, bytes / asked);
    return `${bytes} B for a ${asked} B request (${Math.round(bytes / asked)}×)`;
  };
  printTable([
    ["what", "figure"],
    ["seats taken", `${welcomes.length} of ${seats}, in ${Math.round(filledMs)} ms`],
    ["the next player gets", latecomer.counts.answers[0] ?? "(nothing)"],
    ["the first welcome", welcome(0, "firstWelcome")],
    ["the last welcome", welcome(seats - 1, "lastWelcome")],
  ]);
  for (const peer of peers) peer.socket.close();
  await target.stop();
}

async function mainPortErrors(): Promise<void> {
  const target = await server("04");
  const peer = await stranger("127.0.0.2");
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
    const answersBefore = peer.counts.answers.length;
    peer.send(request, target.port);
    const answer = await answerAfter(peer, answersBefore);
    figure(
      `answer.${request.replace(/\W+/g, "-")}`,
      answer === undefined ? 0 : Buffer.byteLength(answer),
    );
    rows.push([
      request,
      String(request.length),
      answer ?? "(none)",
      String(answer === undefined ? 0 : Buffer.byteLength(answer)),
    ]);
  }
  printTable(rows);
  peer.socket.close();
  await target.stop();
}

async function tickBroadcast(): Promise<void> {
  const target = await server("05", ["--ports", await poolPorts(BROADCAST_SEATS)]);
  const peers = await attackers(BROADCAST_SEATS);
  progress(
    `step 05: ${BROADCAST_SEATS} seats taken and kept for ${BROADCAST_SECONDS} s with a word every ${KEEP_ALIVE_MS / 1000} s`,
  );
  peers.forEach((peer, i) => peer.send(`CONNECTED seat${i}`, target.port));
  await sleep(500);
  const keepAlive = () =>
    peers.forEach((peer, i) => {
      const port = Number(welcomePort(peer.counts.answers[0]));
      if (port) peer.send(`GETSTATE seat${i}`, port);
    });
  const timer = setInterval(keepAlive, KEEP_ALIVE_MS);
  await sleep(BROADCAST_SECONDS * 1000 - 500);
  clearInterval(timer);
  const sent = total(peers, "sent");
  const received = total(peers, "received");
  figure("tick.sentKB", sent / 1024);
  figure("tick.receivedMB", received / 1024 / 1024);
  figure("tick.times", received / sent);
  console.log(
    `  sent ${(sent / 1024).toFixed(1)} KB, received ${(received / 1024 / 1024).toFixed(1)} MB: ${Math.round(received / sent)}× what it sent`,
  );
  for (const peer of peers) peer.socket.close();
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
