/** Step 05 (steps/05-tick-broadcast): the server steps the world and broadcasts the state every tick. */
import dgram from "node:dgram";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
import { HOUSE_MAP } from "../lib/map.ts";
import { portPool, runBot } from "./helpers.ts";
import { type Peer, dedicatedPortTests, mainPortStrangerTests, join, udpPeer } from "./udp.ts";
import * as protocol from "../steps/05-tick-broadcast/protocol.ts";

const STEP = "05-tick-broadcast";

describe("step 05: what every UDP step keeps", () => dedicatedPortTests(STEP));
describe("step 05: strangers on the main port", () => mainPortStrangerTests(STEP));

describe("step 05: a state for everyone, every tick", () => {
  let server: RunningServer;
  let alice: Peer<protocol.ServerMessage>;
  let port: number;
  beforeAll(async () => {
    server = await startServer(STEP, ["--ports", portPool(4), "--tick-rate", "10"]);
    alice = await udpPeer(protocol);
    port = (await join(alice, server.port, "alice")).port!;
  });
  afterAll(async () => {
    alice.close();
    await server.stop();
  });

  it("sends states without being asked, about tick-rate times a second, with rising tick numbers", async () => {
    alice.forget();
    const listenedAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const listenedMs = performance.now() - listenedAt;
    const ticks: number[] = [];
    for (
      let state = await alice.next(() => true, 0);
      state;
      state = await alice.next(() => true, 0)
    ) {
      if (state.message.type === "STATE") ticks.push(state.message.state.tick);
    }
    // 10 Hz for a second: about 10, fewer when a busy machine holds the server back, and never
    // more ticks than the time this test waited allows (a busy machine makes it wait longer)
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    expect(ticks.at(-1)! - ticks[0]!).toBeLessThanOrEqual(Math.ceil(listenedMs / 100) + 1);
    expect(ticks).toEqual([...ticks].sort((a, b) => a - b));
  });

  it("applies at most one input per player per tick: the speed hack of steps 02 to 04 is gone", async () => {
    const positionNow = async () => {
      alice.forget();
      const datagram = await alice.next((d) => d.message.type === "STATE");
      return datagram?.message.type === "STATE" ? datagram.message.state.players[0]!.x : NaN;
    };
    const start = await positionNow(); // alone, in the library's top-left corner, with room to the right
    for (let i = 0; i < 8; i++) alice.send("INPUT alice RIGHT", port);
    await new Promise((resolve) => setTimeout(resolve, 150)); // a tick and a half at 10 Hz
    expect((await positionNow()) - start).toBeLessThanOrEqual(2); // eight datagrams, at most one cell per tick
    expect((await positionNow()) - start).toBeGreaterThanOrEqual(1);
  });

  it("lets two real clients see each other", async () => {
    const [first, second] = await Promise.all([
      runBot(STEP, server.port, "bot1", 2),
      runBot(STEP, server.port, "bot2", 2),
    ]);
    for (const bot of [first, second]) {
      expect(bot.summary).toMatchObject({ step: "05", connected: true, players: 3 });
      expect(bot.summary!.rttMs.p50).toBeGreaterThan(0); // input to the state that shows it: at least part of a tick
    }
  });
});

describe("step 05: the client shows only states newer than the last one shown", () => {
  it("ignores states that arrive late or twice", async () => {
    // a stand-in server on a real socket, sending states out of order on purpose
    const fake = dgram.createSocket("udp4");
    fake.bind(0, "127.0.0.1");
    await once(fake, "listening");
    const fakePort = fake.address().port;
    const stateWithTick = (tick: number) =>
      protocol.encodeServerMessage({
        type: "STATE",
        state: { tick, ghost: "alice", players: [{ name: "alice", x: 1, y: 1 }] },
      });
    fake.on("message", (bytes, from) => {
      const parsed = protocol.parseClientMessage(bytes.toString());
      if (!parsed.ok || parsed.message.type !== "CONNECTED") return;
      const welcome: protocol.Welcome = {
        type: "CONNECTED",
        port: fakePort,
        username: "alice",
        map: HOUSE_MAP,
        state: { ghost: "alice", players: [{ name: "alice", x: 1, y: 1 }] },
      };
      fake.send(protocol.encodeServerMessage(welcome), from.port, "127.0.0.1");
      [1, 2, 5, 3, 4, 5, 2, 6].forEach((tick, i) =>
        setTimeout(() => fake.send(stateWithTick(tick), from.port, "127.0.0.1"), 100 + i * 20),
      );
    });
    const bot = await runBot(STEP, fakePort, "alice", 1.2);
    fake.close();
    expect(bot.code).toBe(0);
    expect(bot.summary!.states).toBe(1 + 4); // the welcome, then ticks 1, 2, 5, 6
  });
});
