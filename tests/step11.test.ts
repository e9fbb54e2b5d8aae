/** Step 11 (steps/11-input-buffer): every input applied in the tick it is meant for, once. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stepFrom } from "../lib/game.ts";
import { MISSED, REDUNDANT_INPUTS, RecentInputs } from "../lib/input-buffer.ts";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
import type { Position } from "../lib/map.ts";
import type { Delta } from "../lib/delta.ts";
import type { GameState } from "../lib/state.ts";
import { seededRandom } from "../lib/random.ts";
import { freeDirection, runBot } from "./helpers.ts";
import {
  type Peer,
  forgerTests,
  handshake,
  natRebindingTest,
  nextOfType,
  rejoinTest,
  udpPeer,
} from "./udp.ts";
import * as protocol from "../steps/11-input-buffer/protocol.ts";

const STEP = "11-input-buffer";
/** How far ahead the tests aim their inputs: 400 ms at 20 Hz, time enough to send them all first. */
const AHEAD = 8;

/** A whole state (a DELTA without base: our peers never say they hold one) as a GameState. */
function stateOf(delta: Delta): GameState & { tick: number } {
  const players = delta.changes.flatMap((change) => (change.kind === "enter" ? [change] : []));
  return { tick: delta.tick, ghost: delta.ghost, players };
}

describe("step 11: the input buffer", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(STEP);
  });
  afterAll(() => server.stop());

  /** A player joined: their peer, the welcome, and where their square stands. */
  async function player(name: string) {
    const peer = await udpPeer(protocol);
    const { message, cookie } = await handshake(peer, server.port, name);
    if (message.type !== "CONNECTED") throw new Error(`${name} was refused`);
    return { peer, welcome: message, cookie };
  }

  /** The whole states `peer` receives up to tick `last`, by tick, and the `early` of the last. */
  async function statesUntil(peer: Peer<protocol.ServerMessage>, last: number) {
    const states = new Map<number, GameState & { tick: number }>();
    for (;;) {
      const datagram = await peer.next((d) => d.message.type === "DELTA");
      if (datagram?.message.type !== "DELTA") throw new Error(`no DELTA up to tick ${last}`);
      const { delta, early } = datagram.message;
      states.set(delta.tick, stateOf(delta));
      if (delta.tick >= last) return { states, early };
    }
  }

  const placeIn = (state: GameState, name: string): Position => {
    const { x, y } = state.players.find((square) => square.name === name)!;
    return { x, y };
  };

  it("applies an input in its tick exactly once, whatever was lost, copied or reordered", async () => {
    const { peer, welcome } = await player("alice");
    const now = stateOf((await nextOfType(peer, "DELTA")).delta);
    const direction = freeDirection(welcome.map, now, "alice");
    const start = placeIn(now, "alice");
    // One move in tick `moveTick`, standing still in the ticks around it, sent as the client
    // sends it: each datagram with the inputs before it, then lost, copied and shuffled.
    const moveTick = now.tick + AHEAD;
    const recent = new RecentInputs();
    const datagrams: string[] = [];
    for (let tick = moveTick - 5; tick <= moveTick + 6; tick++) {
      recent.add(tick, tick === moveTick ? direction : "NONE");
      const inputs = recent.latest;
      datagrams.push(
        protocol.encodeClientMessage({ type: "INPUT", username: "alice", held: 0, inputs }),
      );
    }
    const random = seededRandom(11);
    const sent = datagrams
      .flatMap((datagram, i) => {
        // the last one always goes: it carries every tick; the others 0 to 2 times
        const times = i === datagrams.length - 1 ? 1 : Math.floor(random() * 3);
        return Array.from({ length: times }, () => ({ datagram, order: random() }));
      })
      .sort((a, b) => a.order - b.order);
    for (const { datagram } of sent) peer.send(datagram, server.port);

    const { states } = await statesUntil(peer, moveTick + 10);
    const moved = stepFrom(start, direction);
    for (const [tick, state] of states) {
      expect(placeIn(state, "alice"), `tick ${tick}`).toEqual(tick < moveTick ? start : moved);
    }
    expect(states.has(moveTick)).toBe(true);
    peer.close();
  });

  it("tells how early the input of each tick arrived, and -1 when none did", async () => {
    const { peer } = await player("bob");
    const { delta, early } = await nextOfType(peer, "DELTA");
    expect(early).toBe(MISSED); // bob has sent nothing yet
    const tick = delta.tick + AHEAD;
    const inputs = [{ tick, input: "NONE" as const }];
    peer.send(
      protocol.encodeClientMessage({ type: "INPUT", username: "bob", held: 0, inputs }),
      server.port,
    );
    const { early: arrived } = await statesUntil(peer, tick);
    // sent AHEAD ticks ahead of the state we had read: in time, and waiting fewer ticks than that
    // (the server may be some ticks past that state already: states wait in our queue)
    expect(arrived).toBeGreaterThanOrEqual(0);
    expect(arrived).toBeLessThan(AHEAD);
    peer.close();
  });

  it("keeps the first input for a tick: a different one is counted, not answered", async () => {
    // An ERROR for each would be traffic a forger writing the player's address sends the player.
    const { peer, welcome } = await player("carol");
    const now = stateOf((await nextOfType(peer, "DELTA")).delta);
    const direction = freeDirection(welcome.map, now, "carol");
    const start = placeIn(now, "carol");
    const tick = now.tick + AHEAD;
    const send = (line: string) => peer.send(line, server.port);
    send(`INPUT carol 0 ${tick} ${direction} NONE`);
    send(`INPUT carol 0 ${tick} ${direction === "UP" ? "DOWN" : "UP"} NONE`);
    const { states } = await statesUntil(peer, tick + 1);
    expect(placeIn(states.get(tick + 1)!, "carol")).toEqual(stepFrom(start, direction));
    expect(await peer.next((d) => d.message.type === "ERROR", 0)).toBeUndefined();
    peer.close();
  });

  it("answers no ERROR to a client fallen behind whose oldest copies are long past", async () => {
    const { peer } = await player("carl");
    const { states: seen } = await statesUntil(peer, REDUNDANT_INPUTS);
    const now = Math.max(...seen.keys());
    // 2 ticks behind: its newest input missed its tick, its oldest copies are older than any kept
    peer.send(`INPUT carl 0 ${now - REDUNDANT_INPUTS} NONE*${REDUNDANT_INPUTS}`, server.port);
    await statesUntil(peer, now + 2);
    expect(await peer.next((d) => d.message.type === "ERROR", 0)).toBeUndefined();
    peer.close();
  });

  it.each([
    ["far ahead", (tick: number) => tick + 1000, /^an input for a tick too far ahead/],
    ["long past", (tick: number) => Math.max(0, tick - 100), /^an input for a tick long past/],
  ])("refuses inputs for ticks %s, which move nothing", async (_, tickFor, reason) => {
    const { peer, welcome, cookie } = await player("dave");
    const now = stateOf((await nextOfType(peer, "DELTA")).delta);
    const direction = freeDirection(welcome.map, now, "dave");
    const start = placeIn(now, "dave");
    peer.send(`INPUT dave 0 ${tickFor(now.tick)} ${direction}*${REDUNDANT_INPUTS}`, server.port);
    const refusal = await peer.next((d) => d.message.type === "ERROR");
    expect(refusal?.message).toMatchObject({
      type: "ERROR",
      reason: expect.stringMatching(reason),
    });
    const { states } = await statesUntil(peer, now.tick + 5);
    for (const state of states.values()) expect(placeIn(state, "dave")).toEqual(start);
    peer.send(`DISCONNECT dave ${cookie}`, server.port);
    await nextOfType(peer, "DISCONNECTED");
    peer.close();
  });

  it("moves a flooding client one cell a tick at most", async () => {
    const { peer } = await player("erin");
    const now = stateOf((await nextOfType(peer, "DELTA")).delta);
    // every tick of the next REDUNDANT_INPUTS walking right, 30 times over, and far more in one INPUT
    for (let i = 0; i < 30; i++) {
      peer.send(`INPUT erin 0 ${now.tick + 2} RIGHT*${REDUNDANT_INPUTS}`, server.port);
      peer.send(`INPUT erin 0 ${now.tick + 2} RIGHT*99999999`, server.port);
    }
    const { states } = await statesUntil(peer, now.tick + 20);
    let before = placeIn(now, "erin");
    let beforeTick = now.tick;
    for (const [tick, state] of [...states].sort(([a], [b]) => a - b)) {
      const place = placeIn(state, "erin");
      const cells = Math.abs(place.x - before.x) + Math.abs(place.y - before.y);
      expect(cells).toBeLessThanOrEqual(tick - beforeTick);
      [before, beforeTick] = [place, tick];
    }
    peer.close();
  });
});

describe("step 11: a forger who writes a seated player's address, and the cost of joining", () =>
  forgerTests(STEP, "ticked"));

describe("step 11: the real client", () => {
  rejoinTest(STEP);
  natRebindingTest(STEP);

  it("plays through 30 % loss, 30 ms of jitter and 100 ms of lag both ways", async () => {
    const network = ["--loss", "30", "--jitter", "30", "--lag", "100"];
    const server = await startServer(STEP, network);
    const bot = await runBot(STEP, server.port, "ticks", 4, network);
    await server.stop();
    expect(bot.code).toBe(0);
    expect(bot.summary).toMatchObject({ step: "11", connected: true, players: 1 });
    expect(bot.summary!.moves).toBeGreaterThan(10);
  });
});
