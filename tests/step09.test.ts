/**
 * Step 09 (steps/09-lantern-interest): the dark mansion, each player's state holding only what their
 * lantern lights.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
import { LANTERN_REACH, isLit } from "../lib/lantern.ts";
import { MANSION_MAP } from "../lib/map.ts";
import { runBot } from "./helpers.ts";
import {
  type Peer,
  forgerTests,
  handshake,
  nextOfType,
  natRebindingTest,
  rejoinTest,
  udpPeer,
} from "./udp.ts";
import * as protocol from "../steps/09-lantern-interest/protocol.ts";

const STEP = "09-lantern-interest";
describe("step 09: the lantern", () => {
  let server: RunningServer;
  let alice: Peer<protocol.ServerMessage>;
  let bob: Peer<protocol.ServerMessage>;
  let aliceWelcome: Extract<protocol.ServerMessage, { type: "CONNECTED" }>;
  beforeAll(async () => {
    server = await startServer(STEP, ["--spawn", "farthest"]);
    [alice, bob] = await Promise.all([udpPeer(protocol), udpPeer(protocol)]);
  });
  afterAll(async () => {
    alice.close();
    bob.close();
    await server.stop();
  });

  it("welcomes with the mansion by name, in one datagram", async () => {
    const { message: welcome, bytes } = await handshake(alice, server.port, "alice");
    if (welcome.type !== "CONNECTED") throw new Error(`alice was refused: ${welcome.type}`);
    aliceWelcome = welcome;
    expect(welcome.mapName).toBe("mansion");
    expect(welcome.map).toBe(MANSION_MAP);
    expect(bytes).toBeLessThanOrEqual(1200);
  });

  it("sends each player only the squares their lantern lights, and always the ghost's name", async () => {
    await handshake(bob, server.port, "bob"); // --spawn farthest: as far from alice as it can
    const [{ state: aliceSees }, { state: bobSees }] = await Promise.all([
      nextOfType(alice, "STATE"),
      nextOfType(bob, "STATE"),
    ]);
    const alicePlace = aliceSees.players.find(({ name }) => name === "alice")!;
    const bobPlace = bobSees.players.find(({ name }) => name === "bob")!;
    expect(isLit(alicePlace, bobPlace, LANTERN_REACH)).toBe(false);
    expect(aliceSees.players.map(({ name }) => name)).toEqual(["alice"]);
    expect(bobSees.players.map(({ name }) => name)).toEqual(["bob"]);
    // alice was first in, so alice is the ghost: bob is told, though he cannot see her
    expect(bobSees.ghost).toBe("alice");
    expect(aliceWelcome.state.ghost).toBe("alice");
  });

  it("carries the acks of the player's own square only", async () => {
    const { state } = await nextOfType(alice, "STATE");
    expect(state.players[0]).toMatchObject({ name: "alice", ack: 0 });
    expect(state.players[0]!.ackTick).toEqual(expect.any(Number));
  });
});

describe("step 09: where newcomers start", () => {
  it("puts them by the entrance, in each other's light: where one lands says nothing unseen", async () => {
    const server = await startServer(STEP);
    const [ann, ben] = await Promise.all([udpPeer(protocol), udpPeer(protocol)]);
    try {
      const annWelcome = (await handshake(ann, server.port, "ann")).message;
      const benWelcome = (await handshake(ben, server.port, "ben")).message;
      if (annWelcome.type !== "CONNECTED" || benWelcome.type !== "CONNECTED")
        throw new Error("a newcomer was refused");
      expect(annWelcome.state.players).toEqual([
        expect.objectContaining({ name: "ann", x: 69, y: 43 }),
      ]);
      expect(benWelcome.state.players.map(({ name }) => name).sort()).toEqual(["ann", "ben"]);
    } finally {
      ann.close();
      ben.close();
      await server.stop();
    }
  });
});

describe("step 09: a forger who writes a seated player's address, and the cost of joining", () =>
  forgerTests(STEP));

describe("step 09: the real client", () => {
  rejoinTest(STEP);
  natRebindingTest(STEP);

  it("plays in the dark through 20% loss both ways", async () => {
    const server = await startServer(STEP, ["--loss", "20"]);
    const bot = await runBot(STEP, server.port, "lantern", 3, ["--loss", "20"]);
    await server.stop();
    expect(bot.code).toBe(0);
    expect(bot.summary).toMatchObject({ step: "09", connected: true, players: 1 });
    expect(bot.summary!.states).toBeGreaterThan(20);
  });
});
