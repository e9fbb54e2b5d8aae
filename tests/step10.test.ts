/** Step 10 (steps/10-delta-snapshots): states sent as deltas against the state a player says it holds. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
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
import * as protocol from "../steps/10-delta-snapshots/protocol.ts";

const STEP = "10-delta-snapshots";
describe("step 10: deltas against the acknowledged state", () => {
  let server: RunningServer;
  let alice: Peer<protocol.ServerMessage>;
  beforeAll(async () => {
    server = await startServer(STEP);
    alice = await udpPeer(protocol);
    expect((await handshake(alice, server.port, "alice")).message.type).toBe("CONNECTED");
  });
  afterAll(async () => {
    alice.close();
    await server.stop();
  });

  it("sends whole states, with no base, while the player has said it holds none", async () => {
    for (let i = 0; i < 3; i++)
      expect((await nextOfType(alice, "DELTA")).delta.base).toBeUndefined();
  });

  /**
   * The first of the next few deltas written against `held`: a delta the server sent before it
   * read our INPUT may still be on its way, so the very next one may be against an older state.
   */
  async function deltaAgainst(held: number) {
    for (let i = 0; i < 3; i++) {
      const { delta } = await nextOfType(alice, "DELTA");
      if (delta.base === held) return delta;
    }
    return undefined;
  }

  it("writes the next deltas against the newest state the player says it holds", async () => {
    const held = (await nextOfType(alice, "DELTA")).delta.tick;
    alice.send(`INPUT alice NONE 1 ${held}`, server.port);
    const next = await deltaAgainst(held);
    expect(next, `no delta against tick ${held}`).toBeDefined();
    expect(next!.tick).toBeGreaterThan(held);
    // alice stands still: only her own square is written, as every delta must
    expect(next!.changes).toHaveLength(1);
  });

  it("does not take a tick it never sent as held: later real ones still count", async () => {
    // taken as held, this tick (newer than any real one) would make every real one after it look old
    alice.send(`INPUT alice NONE 2 999999999`, server.port);
    const held = (await nextOfType(alice, "DELTA")).delta.tick;
    alice.send(`INPUT alice NONE 3 ${held}`, server.port);
    expect(await deltaAgainst(held), `no delta against tick ${held}`).toBeDefined();
  });
});

describe("step 10: a forger who writes a seated player's address, and the cost of joining", () =>
  forgerTests(STEP));

describe("step 10: the real client", () => {
  rejoinTest(STEP);
  natRebindingTest(STEP);

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
