/**
 * Step 04 (steps/04-udp-dedicated-ports): the game over UDP, a dedicated port per player, an answer
 * to every message.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
import { portPool, runBot } from "./helpers.ts";
import {
  type Peer,
  dedicatedPortTests,
  mainPortStrangerTests,
  join,
  nextState,
  udpPeer,
} from "./udp.ts";
import * as protocol from "../steps/04-udp-dedicated-ports/protocol.ts";

const STEP = "04-udp-dedicated-ports";

describe("step 04: what every UDP step keeps", () => dedicatedPortTests(STEP));
describe("step 04: strangers on the main port", () => mainPortStrangerTests(STEP));

describe("step 04: one answer per message", () => {
  let server: RunningServer;
  let alice: Peer<protocol.ServerMessage>;
  let port: number;
  beforeAll(async () => {
    server = await startServer(STEP, ["--ports", portPool(4)]);
    alice = await udpPeer(protocol);
    port = (await join(alice, server.port, "alice")).port!;
  });
  afterAll(async () => {
    alice.close();
    await server.stop();
  });

  it("answers a malformed datagram from the player with an ERROR, and still serves them", async () => {
    alice.send("INPUT alice SIDEWAYS", port);
    expect((await alice.next((d) => d.port === port))?.message).toEqual({
      type: "ERROR",
      reason: "unknown direction SIDEWAYS",
    });
    alice.send("INPUT bob UP", port);
    expect((await alice.next((d) => d.port === port))?.message).toEqual({
      type: "ERROR",
      reason: "this port plays alice",
    });
    expect((await nextState(alice, port, "alice")).players).toHaveLength(1);
  });

  it("drops a datagram over 1024 bytes without answering", async () => {
    alice.send(`INPUT alice UP ${"0".repeat(2000)}`, port);
    expect(await alice.next(() => true, 300)).toBeUndefined();
  });

  it("lets a client that sends faster move faster: the speed hack step 05 removes", async () => {
    const start = (await nextState(alice, port, "alice")).players[0]!; // alone, in the library's top-left corner
    for (let i = 0; i < 5; i++) alice.send("INPUT alice RIGHT", port);
    let end = start;
    for (let i = 0; i < 5; i++) {
      const answer = await alice.next((d) => d.message.type === "STATE");
      if (answer?.message.type === "STATE") end = answer.message.state.players[0]!;
    }
    expect(end.x - start.x).toBe(5); // five datagrams in a burst, five cells
  });

  it("lets two real clients see each other", async () => {
    const [first, second] = await Promise.all([
      runBot(STEP, server.port, "bot1", 2),
      runBot(STEP, server.port, "bot2", 2),
    ]);
    for (const bot of [first, second])
      expect(bot.summary).toMatchObject({ step: "04", connected: true, players: 3 });
  });
});
