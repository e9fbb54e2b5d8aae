/** Step 06 (steps/06-input-changes): only input changes are sent, repeated until the server acknowledges them. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Input } from "../lib/game.ts";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
import { simulateNetwork } from "../lib/netsim.ts";
import type { GameState } from "../lib/state.ts";
import { portPool, runBot } from "./helpers.ts";
import {
  type Peer,
  dedicatedPortTests,
  mainPortStrangerTests,
  sequenceWindowTest,
  join,
  udpPeer,
} from "./udp.ts";
import * as protocol from "../steps/06-input-changes/protocol.ts";

const STEP = "06-input-changes";

describe("step 06: what every UDP step keeps", () => dedicatedPortTests(STEP));
describe("step 06: strangers on the main port", () => mainPortStrangerTests(STEP));
describe("step 06: sequence numbers", () => sequenceWindowTest(STEP));

describe("step 06: input changes and their acknowledgement", () => {
  let server: RunningServer;
  let alice: Peer<protocol.ServerMessage>;
  let port: number;
  const latestState = async (): Promise<GameState> => {
    alice.forget();
    const datagram = await alice.next((d) => d.message.type === "STATE");
    if (datagram?.message.type !== "STATE") throw new Error("no state");
    return datagram.message.state;
  };
  const me = (state: GameState) => state.players.find((square) => square.name === "alice")!;

  beforeAll(async () => {
    // 30% of the server's datagrams are lost on the way back too
    server = await startServer(STEP, ["--ports", portPool(4), "--loss", "30"]);
    alice = await udpPeer(protocol);
    let joined;
    do
      joined = await join(alice, server.port, "alice").catch(() => undefined); // the answer itself may be lost
    while (!joined?.port);
    port = joined.port;
  });
  afterAll(async () => {
    alice.close();
    await server.stop();
  });

  it("refuses an INPUT without a sequence number, as any malformed message", async () => {
    let refusal;
    for (let tries = 0; !refusal && tries < 20; tries++) {
      alice.send("INPUT alice UP", port);
      refusal = await alice.next((d) => d.message.type === "ERROR", 100);
    }
    expect(refusal?.message).toEqual({
      type: "ERROR",
      reason: "expected INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE> <seq>",
    });
  });

  it("through 30% loss both ways, each change sent until acknowledged is applied, in order, never undone", async () => {
    const lossy = simulateNetwork(
      alice.socket,
      { lagMs: 0, jitterMs: 0, lossPercent: 30, duplicatePercent: 30 },
      { seed: 7 },
    );
    const changes: Input[] = [
      "LEFT",
      "RIGHT",
      "DOWN",
      "UP",
      "NONE",
      "RIGHT",
      "LEFT",
      "DOWN",
      "RIGHT",
      "NONE",
    ];
    const acksSeen: number[] = [];
    for (const [index, input] of changes.entries()) {
      const seq = index + 1;
      // the rack, as the client does it: the same change again every 50 ms until a state acknowledges it
      for (let acked = false; !acked;) {
        lossy.send(
          protocol.encodeClientMessage({ type: "INPUT", username: "alice", input, seq }),
          port,
          "127.0.0.1",
        );
        const state = await alice.next((d) => d.message.type === "STATE", 50);
        if (state?.message.type !== "STATE") continue;
        const ack = me(state.message.state).ack!;
        acksSeen.push(ack);
        acked = ack >= seq;
      }
    }
    expect(acksSeen).toEqual([...acksSeen].sort((a, b) => a - b)); // the server never went back to an older change
    expect(me(await latestState()).ack).toBe(changes.length);
    lossy.close();
  });

  it("ignores a late or repeated change: it never undoes a newer one", async () => {
    const before = me(await latestState()); // the last change was NONE: alice stands still
    for (const seq of [1, 2, 5, 9]) alice.send(`INPUT alice RIGHT ${seq}`, port); // old RIGHTs
    alice.send("INPUT alice NONE 10", port); // the current change, repeated
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = me(await latestState());
    expect({ x: after.x, y: after.y, ack: after.ack }).toEqual({
      x: before.x,
      y: before.y,
      ack: 10,
    });
  });
});

describe("step 06: fewer datagrams than step 05", () => {
  it("sends far fewer inputs per player than step 05 for the same bot", async () => {
    const counts: Record<string, number> = {};
    for (const step of ["05-tick-broadcast", STEP]) {
      const server = await startServer(step, ["--ports", portPool(2)]);
      const bot = await runBot(step, server.port, "samebot", 3);
      await server.stop();
      expect(bot.summary).toMatchObject({ connected: true });
      counts[step] = bot.summary!.sent; // every datagram the bot sent after joining is an INPUT
    }
    // step 05 sends every frame (60 in 3 s); step 06 a change (this bot turns about three times a
    // second) and a heartbeat: 10 to 16. A loaded machine runs fewer of step 05's frames (63 seen
    // against step 06's 16), so the margin is 3 times, which a step 06 that sent every frame fails.
    expect(counts[STEP]! * 3).toBeLessThan(counts["05-tick-broadcast"]!);
  });
});
