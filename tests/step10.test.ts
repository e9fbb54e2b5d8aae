/** Step 10 (steps/10-delta-snapshots): states sent as deltas against the state a player says it holds. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../lib/launch.ts";
import type { Delta } from "../lib/protocol.ts";
import { runBot } from "./helpers.ts";
import { type Peer, udpPeer } from "./udp.ts";

const STEP = "10-delta-snapshots";
const PADDED = 100;

async function handshake(peer: Peer, port: number, name: string): Promise<void> {
  peer.socket.send(`CONNECT ${name}`.padEnd(PADDED), port, "127.0.0.1");
  const challenge = await peer.next((d) => d.message.type === "CHALLENGE");
  if (challenge?.message.type !== "CHALLENGE") throw new Error(`no CHALLENGE for ${name}`);
  peer.socket.send(`CONNECT ${name} ${challenge.message.cookie}`, port, "127.0.0.1");
  if (!(await peer.next((d) => d.message.type === "CONNECTED"))) throw new Error("no welcome");
}

/** The next DELTA this peer receives. */
async function nextDelta(peer: Peer): Promise<Delta> {
  peer.forget();
  const datagram = await peer.next((d) => d.message.type === "DELTA");
  if (datagram?.message.type !== "DELTA") throw new Error("no DELTA");
  return datagram.message.delta;
}

describe("step 10: deltas against the acknowledged state", () => {
  let server: RunningServer;
  let alice: Peer;
  beforeAll(async () => {
    server = await startServer(STEP);
    alice = await udpPeer();
    await handshake(alice, server.port, "alice");
  });
  afterAll(async () => {
    alice.close();
    await server.stop();
  });

  it("sends whole states, with no base, while the player has said it holds none", async () => {
    for (let i = 0; i < 3; i++) expect((await nextDelta(alice)).base).toBeUndefined();
  });

  it("writes the next deltas against the newest state the player says it holds", async () => {
    const held = (await nextDelta(alice)).tick;
    alice.send(`INPUT alice NONE 1 ${held}`, server.port);
    const next = await nextDelta(alice);
    expect(next.base).toBe(held);
    expect(next.tick).toBeGreaterThan(held);
    // alice stands still: only her own square is written, as every delta must
    expect(next.changes).toHaveLength(1);
  });

  it("does not take a tick it never sent as held: later real ones still count", async () => {
    // taken as held, this tick (newer than any real one) would make every real one after it look old
    alice.send(`INPUT alice NONE 2 999999999`, server.port);
    const held = (await nextDelta(alice)).tick;
    alice.send(`INPUT alice NONE 3 ${held}`, server.port);
    expect((await nextDelta(alice)).base).toBe(held);
  });
});

describe("step 10: the real client", () => {
  it("plays through 10% loss and 20 ms of jitter both ways, its picture built from deltas", async () => {
    const network = ["--loss", "10", "--jitter", "20"];
    const server = await startServer(STEP, network);
    const bot = await runBot(STEP, server.port, "deltas", 3, network);
    await server.stop();
    expect(bot.code).toBe(0);
    expect(bot.summary).toMatchObject({ step: "10", connected: true, players: 1 });
    expect(bot.summary!.states).toBeGreaterThan(20);
  });
});
