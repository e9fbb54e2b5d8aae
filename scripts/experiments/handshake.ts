/**
 * What step 08's handshake changes for a stranger, against step 07's main port and dedicated
 * ports, measured from one process that plays many machines (127.0.0.2 on: Linux routes all of
 * 127/8 to this one):
 *
 * - the bytes the server sends to an address it has not verified, for the bytes it received;
 * - a flood of CONNECTs in other addresses' names: a forger never sees the CHALLENGE sent to the
 *   address it wrote, so it can only guess the cookie. How many seats it takes, what the server
 *   keeps in memory, and whether two honest players keep their 20 states a second meanwhile;
 * - the sockets each server holds with 1, 64 and 256 players.
 */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { RunningServer } from "../harness/launch.ts";
import { CONNECT_BYTES } from "../bench/bots-udp.ts";
import { residentBytes } from "../bench/proc.ts";
import {
  type Experiment,
  answerAfter,
  bot,
  figure,
  poolPorts,
  printTable,
  progress,
  server,
  stranger,
} from "./lab.ts";

const FLOOD_SOCKETS = 512;
const FLOOD_ROUNDS = 10;

/** The UDP sockets a process holds (Linux): its descriptors that are sockets in /proc/net/udp. */
function udpSocketsOf(pid: number): number {
  const udp = readFileSync("/proc/net/udp", "utf8").split("\n").slice(1);
  const inodes = new Set(udp.map((line) => line.trim().split(/\s+/)[9]));
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      return inode !== undefined && inodes.has(inode);
    } catch {
      return false;
    }
  }).length;
}

/** The server process's resident memory now, in MB. */
function residentMb(running: RunningServer): number {
  const bytes = residentBytes(running.process.pid!);
  if (bytes === undefined) throw new Error("the step 08 server has gone");
  return bytes / 1024 / 1024;
}

async function whatAStrangerGets(): Promise<void> {
  progress("steps 07 and 08: what one datagram from an unverified address gets back");
  const rows: (string | number)[][] = [["step", "sent", "bytes", "answer", "bytes", "×"]];
  for (const [step, requests] of [
    [
      "07",
      [
        ["x", "x"],
        ["hello", "HELLO there"],
        ["connect", "CONNECTED alice"],
      ],
    ],
    [
      "08",
      [
        ["x", "x"],
        ["hello", "HELLO there"],
        ["connect", "CONNECT alice"],
        ["padded", "CONNECT alice".padEnd(CONNECT_BYTES)],
        ["cookie", `CONNECT alice ${"A".repeat(22)}`.padEnd(CONNECT_BYTES)],
      ],
    ],
  ] as const) {
    const target = await server(step, step === "07" ? ["--ports", await poolPorts(4)] : []);
    for (const [key, request] of requests) {
      const peer = await stranger("127.0.0.2");
      peer.send(request, target.port);
      const answer = await answerAfter(peer, 0);
      const shown = request.trimEnd() === request ? request : `${request.trimEnd()} (padded)`;
      const ratio = peer.counts.received / peer.counts.sent;
      figure(`step${step}.${key}.bytes`, peer.counts.received);
      figure(`step${step}.${key}.times`, ratio);
      rows.push([
        step,
        shown,
        peer.counts.sent,
        answer === undefined ? "(none)" : answer.split(" ").slice(0, 2).join(" "),
        peer.counts.received,
        ratio === 0 ? "0" : ratio.toFixed(ratio < 10 ? 2 : 0),
      ]);
      peer.socket.close();
    }
    await target.stop();
  }
  printTable(rows);
}

async function aFloodOfForgedConnects(): Promise<void> {
  const target = await server("08");
  const honest = ["honest1", "honest2"].map((name) =>
    bot({ step: "08", port: target.port, name, seconds: 6 }),
  );
  await sleep(1000);
  const before = residentMb(target);
  progress(
    `step 08: ${FLOOD_SOCKETS} sockets on ${FLOOD_SOCKETS / 8} addresses send ${FLOOD_ROUNDS} CONNECTs each, with made-up cookies`,
  );
  const flood = await Promise.all(
    Array.from({ length: FLOOD_SOCKETS }, (_, i) => stranger(`127.0.2.${1 + Math.floor(i / 8)}`)),
  );
  for (let round = 0; round < FLOOD_ROUNDS; round++) {
    flood.forEach((peer, i) => {
      // a forger never sees the CHALLENGE: it can only make a cookie up
      const cookie = Buffer.from(`${round}:${i}`).toString("base64url").padEnd(22, "A");
      peer.send(`CONNECT flood${i} ${cookie}`.padEnd(CONNECT_BYTES), target.port);
    });
    await sleep(200);
  }
  const summaries = await Promise.all(honest);
  const after = residentMb(target);
  const joined = target.output.filter((line) => /flood\d+ joined/.test(line)).length;
  const sent = flood.reduce((sum, peer) => sum + peer.counts.sent, 0);
  const received = flood.reduce((sum, peer) => sum + peer.counts.received, 0);
  figure("flood.seats", joined);
  figure("flood.sentKB", sent / 1024);
  figure("flood.receivedKB", received / 1024);
  figure("flood.times", received / sent);
  figure("flood.memoryGrowthMB", after - before);
  summaries.forEach((summary) => figure(`flood.${summary.name}.states`, summary.states));
  printTable([
    ["what", "figure"],
    ["CONNECTs sent", `${FLOOD_SOCKETS * FLOOD_ROUNDS}, ${(sent / 1024).toFixed(0)} KB`],
    ["seats the flood took", joined],
    [
      "bytes the server sent back",
      `${(received / 1024).toFixed(0)} KB (CHALLENGEs), ${(received / sent).toFixed(2)}×`,
    ],
    ["server memory", `${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after`],
    [
      "honest players' states",
      summaries.map((summary) => `${summary.name} ${summary.states}`).join(", ") + " in 6 s",
    ],
  ]);
  for (const peer of flood) peer.socket.close();
  await target.stop();
}

/** Seats `count` players on a server of step 07 (CONNECTED) or 08 (the handshake). */
async function seat(step: "07" | "08", port: number, count: number) {
  const players = await Promise.all(
    Array.from({ length: count }, (_, i) => stranger(`127.0.3.${1 + Math.floor(i / 8)}`)),
  );
  for (const [i, player] of players.entries()) {
    if (step === "07") player.send(`CONNECTED p${i}`, port);
    else player.send(`CONNECT p${i}`.padEnd(CONNECT_BYTES), port);
  }
  await sleep(300);
  if (step === "08") {
    for (const [i, player] of players.entries()) {
      const cookie = /^CHALLENGE (\S+)/.exec(player.counts.answers[0] ?? "")?.[1];
      player.send(`CONNECT p${i} ${cookie}`, port);
    }
    await sleep(300);
  }
  return players;
}

async function socketsHeld(): Promise<void> {
  const rows: (string | number)[][] = [["step", "1 player", "64 players", "256 players"]];
  for (const step of ["07", "08"] as const) {
    progress(`step ${step}: the UDP sockets of the server with 1, 64 and 256 players`);
    const row: (string | number)[] = [step];
    for (const count of [1, 64, 256]) {
      const target = await server(step, step === "07" ? ["--ports", await poolPorts(count)] : []);
      const players = await seat(step, target.port, count);
      row.push(figure(`step${step}.players${count}.sockets`, udpSocketsOf(target.process.pid!)));
      for (const player of players) player.socket.close();
      await target.stop();
    }
    rows.push(row);
  }
  printTable(rows);
}

export const experiment: Experiment = {
  about:
    "step 08's handshake: answers to unverified addresses, a flood of forged CONNECTs, sockets held",
  steps: ["08"],
  seconds: 20,
  async run() {
    await whatAStrangerGets();
    await aFloodOfForgedConnects();
    await socketsHeld();
  },
};
