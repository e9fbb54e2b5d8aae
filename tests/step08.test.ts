/** Step 08 (steps/08-one-socket-handshake): one UDP socket for everyone, a cookie handshake before any seat. */
import { readFileSync, readdirSync, readlinkSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
import { runBot } from "./helpers.ts";
import {
  CONNECT_BYTES,
  type Peer,
  forgerTests,
  handshake,
  namesIn,
  nextOfType,
  natRebindingTest,
  rejoinTest,
  udpPeer,
} from "./udp.ts";
import * as protocol from "../steps/08-one-socket-handshake/protocol.ts";

const STEP = "08-one-socket-handshake";
/** Sends `text` to the server and returns its answer, or undefined if none comes within `ms`. */
async function ask(
  peer: Peer<protocol.ServerMessage>,
  port: number,
  text: string,
  ms = 300,
): Promise<protocol.ServerMessage | undefined> {
  peer.forget();
  peer.socket.send(text, port, "127.0.0.1");
  return (await peer.next(() => true, ms))?.message;
}

/** The UDP sockets a process holds (Linux): its file descriptors that are sockets listed in /proc/net/udp. */
function udpSocketsOf(pid: number): number {
  const udpInodes = new Set(
    readFileSync("/proc/net/udp", "utf8")
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(/\s+/)[9]),
  );
  return readdirSync(`/proc/${pid}/fd`).filter((fd) => {
    try {
      const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
      return inode !== undefined && udpInodes.has(inode);
    } catch {
      return false; // closed while we looked
    }
  }).length;
}

describe("step 08: the handshake", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(STEP, ["--cookie-seconds", "0.5", "--per-address", "3"]);
  });
  afterAll(() => server.stop());

  /** The server's answer to a whole handshake: the welcome, or an ERROR. */
  const answerTo = async (peer: Peer<protocol.ServerMessage>, name: string) =>
    (await handshake(peer, server.port, name)).message;

  it("answers a padded CONNECT with a CHALLENGE no bigger, then seats a CONNECT that brings its cookie", async () => {
    const alice = await udpPeer(protocol);
    alice.socket.send(`CONNECT alice`.padEnd(CONNECT_BYTES), server.port, "127.0.0.1");
    const challenge = await alice.next();
    expect(challenge?.message.type).toBe("CHALLENGE");
    expect(challenge!.bytes).toBeLessThanOrEqual(CONNECT_BYTES);
    expect(challenge!.port).toBe(server.port); // one socket: everything comes from the one port
    if (challenge?.message.type !== "CHALLENGE") return;
    const welcome = await ask(alice, server.port, `CONNECT alice ${challenge.message.cookie}`);
    expect(welcome).toMatchObject({ type: "CONNECTED", port: server.port, username: "alice" });
    alice.close();
  });

  it("drops a CONNECT too small to answer, and anything else from an unverified address", async () => {
    const stranger = await udpPeer(protocol);
    for (const text of ["CONNECT bob", "GETSTATE bob", "INPUT bob UP 1", "x", "HELLO there"]) {
      expect(await ask(stranger, server.port, text, 150)).toBeUndefined();
    }
    stranger.close();
  });

  it("answers a wrong cookie with a new CHALLENGE, never a seat", async () => {
    const mallory = await udpPeer(protocol);
    const answer = await ask(
      mallory,
      server.port,
      `CONNECT mallory ${"A".repeat(22)}`.padEnd(CONNECT_BYTES),
    );
    expect(answer?.type).toBe("CHALLENGE");
    expect(await server.line(/mallory joined/, 300)).toBeUndefined();
    mallory.close();
  });

  it("does not take a cookie from another port, nor one that has expired", async () => {
    const [first, second] = await Promise.all([udpPeer(protocol), udpPeer(protocol)]);
    const challenge = await ask(first, server.port, `CONNECT carol`.padEnd(CONNECT_BYTES));
    if (challenge?.type !== "CHALLENGE") throw new Error("no CHALLENGE");
    // the cookie binds the address and port it was sent to: from another port it is no good
    const replayed = await ask(
      second,
      server.port,
      `CONNECT carol ${challenge.cookie}`.padEnd(CONNECT_BYTES),
    );
    expect(replayed?.type).toBe("CHALLENGE");
    await sleep(1100); // two cookie lifetimes (--cookie-seconds 0.5)
    const expired = await ask(
      first,
      server.port,
      `CONNECT carol ${challenge.cookie}`.padEnd(CONNECT_BYTES),
    );
    expect(expired?.type).toBe("CHALLENGE");
    expect(await server.line(/carol joined/, 300)).toBeUndefined();
    first.close();
    second.close();
  });

  it("refuses a name already taken, and more than --per-address players from one address", async () => {
    // players from one address of their own, so that the other tests' players do not count
    const here = "127.0.0.3";
    const peers = await Promise.all([
      udpPeer(protocol, here),
      udpPeer(protocol, here),
      udpPeer(protocol, here),
      udpPeer(protocol, here),
    ]);
    expect(await answerTo(peers[0]!, "dave")).toMatchObject({ type: "CONNECTED" });
    expect(await answerTo(peers[1]!, "dave")).toEqual({
      type: "ERROR",
      reason: "username dave is taken",
    });
    expect(await answerTo(peers[1]!, "erin")).toMatchObject({ type: "CONNECTED" });
    expect(await answerTo(peers[2]!, "fay")).toMatchObject({ type: "CONNECTED" });
    expect(await answerTo(peers[3]!, "gus")).toEqual({
      type: "ERROR",
      reason: "at most 3 players per address",
    });
    const elsewhere = await udpPeer(protocol, "127.0.0.4");
    expect(await answerTo(elsewhere, "gus")).toMatchObject({ type: "CONNECTED" });
    for (const peer of [...peers, elsewhere]) peer.close();
  });

  it("holds one socket, however many players", async () => {
    const before = udpSocketsOf(server.process.pid!);
    const players = await Promise.all(
      Array.from({ length: 6 }, (_, i) => udpPeer(protocol, `127.0.1.${i + 1}`)),
    );
    for (const [i, peer] of players.entries()) {
      expect(await answerTo(peer, `many${i}`)).toMatchObject({ type: "CONNECTED" });
    }
    expect(udpSocketsOf(server.process.pid!)).toBe(before);
    expect(before).toBe(1);
    for (const peer of players) peer.close();
  });
});

describe("step 08: a seated player", () => {
  let server: RunningServer;
  let alice: Peer<protocol.ServerMessage>;
  let cookie: string;
  beforeAll(async () => {
    server = await startServer(STEP);
    alice = await udpPeer(protocol);
    ({ cookie } = await handshake(alice, server.port, "alice"));
  });
  afterAll(async () => {
    alice.close();
    await server.stop();
  });

  it("gets the welcome again when it says CONNECT again with its cookie (its welcome was lost)", async () => {
    alice.forget();
    alice.socket.send(`CONNECT alice ${cookie}`, server.port, "127.0.0.1");
    // states keep coming every tick: the answer is the next message that is not one
    const answer = await alice.next((d) => d.message.type !== "STATE");
    expect(answer?.message).toMatchObject({ type: "CONNECTED", username: "alice" });
  });

  it("has its flood dropped past its rate, while another player plays on", async () => {
    const bob = await udpPeer(protocol);
    await handshake(bob, server.port, "bob");
    // 500 malformed inputs, each worth an ERROR if it were read: past its budget, they are not
    alice.forget();
    const floodedAt = performance.now();
    for (let i = 0; i < 500; i++)
      alice.socket.send("INPUT alice BOGUS 1", server.port, "127.0.0.1");
    let refusals = 0;
    while (await alice.next((d) => d.message.type === "ERROR", 200)) refusals++;
    // a burst of 20, then 40 a second for as long as the server took to read the flood: about a
    // second on an idle machine, longer on a busy one, never 500
    const floodSeconds = (performance.now() - floodedAt) / 1000;
    expect(refusals).toBeGreaterThan(5);
    expect(refusals).toBeLessThanOrEqual(20 + Math.ceil(40 * floodSeconds));
    expect(refusals).toBeLessThan(500);
    expect(namesIn((await nextOfType(bob, "STATE")).state)).toEqual(["alice", "bob"]);
    await sleep(5100); // the report of what was dropped comes every 5 s
    expect(await server.line(/over a player's rate/)).toBeDefined();
    bob.close();
  });
});

describe("step 08: a forger who writes a seated player's address, and the cost of joining", () =>
  forgerTests(STEP));

describe("step 08: the real client", () => {
  it("plays through the handshake and 20% loss both ways", async () => {
    const server = await startServer(STEP, ["--loss", "20"]);
    const bot = await runBot(STEP, server.port, "lossy", 3, ["--loss", "20"]);
    await server.stop();
    expect(bot.code).toBe(0);
    expect(bot.summary).toMatchObject({ step: "08", connected: true, players: 1 });
    expect(bot.summary!.states).toBeGreaterThan(20);
  });

  rejoinTest(STEP);
  natRebindingTest(STEP);

  it("says in one line that nothing listens, and exits 1", async () => {
    const bot = await runBot(STEP, 1, "lonely", 30);
    expect(bot.code).toBe(1);
    expect(bot.stderr).toMatch(/nothing is listening on 127.0.0.1:1|no answer from 127.0.0.1:1/);
  });
});
