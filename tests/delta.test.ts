/**
 * Deltas against the acknowledged state (lib/delta.ts): what the server writes, what the
 * client makes of it, and the proof that a lossy network can never leave a square in a
 * wrong place: first one tick at a time without sockets, then on real UDP sockets.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { isDeepStrictEqual } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type Delta, KEPT_STATES, ReceivedStates, SentStates } from "../lib/delta.ts";
import { type Input, addPlayer, applyInput, createWorld } from "../lib/game.ts";
import { Lanterns, MOST_SQUARES_LIT } from "../lib/lantern.ts";
import { MANSION_MAP } from "../lib/map.ts";
import { type NetworkConditions, simulateNetwork } from "../lib/netsim.ts";
import { seededRandom } from "../lib/random.ts";
import type { GameState, PlayerState } from "../lib/state.ts";
import * as step09 from "../steps/09-lantern-interest/protocol.ts";
import * as protocol from "../steps/10-delta-snapshots/protocol.ts";
import { boundUdpSocket } from "./helpers.ts";

/** Every state here is ann's: her square carries the acks of step 07 (input 0, first applied in tick 1). */
const YOU = "ann";

/** Ann's state in `tick`: her square and the others', each [name, x, y], the first one the ghost. */
function stateOf(tick: number, ...squares: [string, number, number][]) {
  const players = squares.map(([name, x, y]) =>
    name === YOU ? { name, x, y, ack: 0, ackTick: 1 } : { name, x, y },
  );
  return { tick, ghost: squares[0]![0], players };
}

const line = (delta: Delta) => protocol.encodeServerMessage({ type: "DELTA", delta });

/** The delta a line of text says, as the client parses it off the wire. */
function deltaOf(text: string): Delta {
  const parsed = protocol.parseServerMessage(text);
  if (!parsed.ok || parsed.message.type !== "DELTA") throw new Error(`not a DELTA: ${text}`);
  return parsed.message.delta;
}

/** A picture of a state that does not depend on the order of its squares. */
const picture = (state: GameState) => ({
  tick: state.tick,
  ghost: state.ghost,
  players: [...state.players].sort((a, b) => (a.name < b.name ? -1 : 1)),
});
const samePicture = (a: GameState, b: GameState) => isDeepStrictEqual(picture(a), picture(b));

describe("what the server sends", () => {
  it("a full state first, then the changes from the newest state the client acknowledged", () => {
    const sent = new SentStates(YOU);
    expect(line(sent.next(stateOf(1, [YOU, 1, 1], ["bob", 2, 2])))).toBe(
      "DELTA tick=1 ghost=ann 0=ann,1,1,0,1 1=bob,2,2 END",
    );
    // nothing acknowledged yet: the client may hold nothing, so it gets everything again
    expect(line(sent.next(stateOf(2, [YOU, 1, 2], ["bob", 2, 2])))).toBe(
      "DELTA tick=2 ghost=ann 0=ann,1,2,0,1 1=bob,2,2 END",
    );
    sent.acknowledge(1);
    // against tick 1: ann did not move but is written with her acks; bob moved; cy came into the light
    expect(line(sent.next(stateOf(3, [YOU, 1, 1], ["bob", 3, 2], ["cy", 4, 4])))).toBe(
      "DELTA tick=3 base=1 ghost=ann 0,1,1,0,1 1,3,2 2=cy,4,4 END",
    );
    sent.acknowledge(3);
    // against tick 3: bob left the light, cy stood still
    expect(line(sent.next(stateOf(4, ["cy", 4, 4], [YOU, 1, 1])))).toBe(
      "DELTA tick=4 base=3 ghost=cy 0,1,1,0,1 -1 END",
    );
  });

  it("keeps a square's id while it stays in the light, and gives a newcomer the lowest free one", () => {
    const sent = new SentStates(YOU);
    sent.next(stateOf(1, [YOU, 1, 1], ["bob", 2, 2], ["cy", 3, 3]));
    sent.acknowledge(1);
    // bob's id 1 is free again: dee takes it, which tells the client that bob is gone too
    expect(line(sent.next(stateOf(2, [YOU, 1, 1], ["cy", 3, 3], ["dee", 5, 5])))).toBe(
      "DELTA tick=2 base=1 ghost=ann 0,1,1,0,1 1=dee,5,5 END",
    );
    // bob back: the lowest free id is 3, so against tick 1 he comes with his name again
    expect(
      line(sent.next(stateOf(3, [YOU, 1, 1], ["cy", 3, 3], ["dee", 5, 5], ["bob", 2, 2]))),
    ).toBe("DELTA tick=3 base=1 ghost=ann 0,1,1,0,1 1=dee,5,5 3=bob,2,2 END");
  });

  it("writes the acks of any square that carries them, and only x and y for the others", () => {
    const sent = new SentStates(YOU);
    sent.next(stateOf(1, [YOU, 1, 1], ["bob", 2, 2], ["cy", 3, 3]));
    sent.acknowledge(1);
    const bobWithAcks = { name: "bob", x: 2, y: 3, ack: 4, ackTick: 2 };
    const state = stateOf(2, [YOU, 1, 1], ["bob", 2, 2], ["cy", 4, 3]);
    state.players[1] = bobWithAcks;
    expect(sent.next(state).changes).toEqual([
      { kind: "move", id: 0, x: 1, y: 1, ack: 0, ackTick: 1 },
      { kind: "move", id: 1, x: 2, y: 3, ack: 4, ackTick: 2 },
      { kind: "move", id: 2, x: 4, y: 3 },
    ]);
  });

  it(`sends a full state again once the acknowledged one is ${KEPT_STATES} ticks old`, () => {
    const sent = new SentStates(YOU);
    sent.next(stateOf(1, [YOU, 1, 1]));
    sent.acknowledge(1);
    for (let tick = 2; tick <= 1 + KEPT_STATES; tick++)
      expect(sent.next(stateOf(tick, [YOU, 1, 1])).base).toBe(1);
    expect(sent.next(stateOf(2 + KEPT_STATES, [YOU, 1, 1])).base).toBeUndefined();
    sent.acknowledge(1); // too late: tick 1 is no longer kept, so it cannot be a base
    expect(sent.next(stateOf(3 + KEPT_STATES, [YOU, 1, 1])).base).toBeUndefined();
  });

  it("refuses to send more squares than a state may hold: their ids would not be short", () => {
    const crowd = Array.from({ length: MOST_SQUARES_LIT + 1 }, (_, i) => ({
      name: `p${i}`,
      x: i,
      y: 1,
    }));
    expect(() => new SentStates(YOU).next({ tick: 1, ghost: null, players: crowd })).toThrow(
      `a state holds at most ${MOST_SQUARES_LIT} squares, not ${MOST_SQUARES_LIT + 1}`,
    );
  });

  it("ignores an acknowledgement of a tick it never sent, and one older than the newest", () => {
    const sent = new SentStates(YOU);
    sent.next(stateOf(1, [YOU, 1, 1]));
    sent.next(stateOf(2, [YOU, 1, 1]));
    sent.acknowledge(99);
    expect(sent.next(stateOf(3, [YOU, 1, 1])).base).toBeUndefined();
    sent.acknowledge(2);
    sent.acknowledge(1); // came late
    expect(sent.next(stateOf(4, [YOU, 1, 1])).base).toBe(2);
  });
});

describe("what the client makes of it", () => {
  /** A client holding ann's full state of tick 1: ann is id 0, bob id 1. */
  function clientAtTick1() {
    const received = new ReceivedStates(YOU);
    received.apply(deltaOf("DELTA tick=1 ghost=bob 0=ann,1,1,0,1 1=bob,2,2 END"));
    return received;
  }

  it("applies a delta to the state it names", () => {
    const received = clientAtTick1();
    const result = received.apply(
      deltaOf("DELTA tick=3 base=1 ghost=ann 0,1,2,4,3 -1 2=cy,7,7 END"),
    );
    expect(result).toEqual({
      ok: true,
      message: {
        tick: 3,
        ghost: "ann",
        players: [
          { name: "ann", x: 1, y: 2, ack: 4, ackTick: 3 },
          { name: "cy", x: 7, y: 7 },
        ],
      },
    });
    expect(received.newestTick).toBe(3);
  });

  it("drops a delta against a state it does not hold, and still applies the next one", () => {
    const received = clientAtTick1();
    expect(received.apply(deltaOf("DELTA tick=4 base=2 ghost=ann 0,1,1,0,1 END"))).toEqual({
      ok: false,
      reason: "the state of tick 2 is not held",
    });
    expect(received.newestTick).toBe(1); // so the server will write against tick 1
    expect(received.apply(deltaOf("DELTA tick=5 base=1 ghost=ann 0,1,1,0,1 END")).ok).toBe(true);
  });

  it.each([
    ["DELTA tick=2 base=1 0,1,1,0,1 5,2,2 END", "DELTA changes id 5, which the state has not"],
    ["DELTA tick=2 base=1 0,1,1,0,1 -5 END", "DELTA changes id 5, which the state has not"],
    ["DELTA tick=2 base=1 0,1,1,0,1 2=bob,3,3 END", "DELTA leaves two squares with one name"],
    ["DELTA tick=2 base=1 1,3,3 END", "DELTA does not write your square with its acks"],
    ["DELTA tick=2 base=1 0,1,2 END", "DELTA does not write your square with its acks"],
    ["DELTA tick=2 base=1 -0 END", "DELTA does not write your square with its acks"],
    ["DELTA tick=2 1=bob,2,2 END", "DELTA does not write your square with its acks"],
  ])("refuses %j, which does not fit the state it names: %s", (text, reason) => {
    const received = clientAtTick1();
    expect(received.apply(deltaOf(text))).toEqual({ ok: false, reason });
    expect(received.newestTick).toBe(1);
  });

  it("never lets a late state push a newer one out of its ring", () => {
    const received = new ReceivedStates(YOU);
    const late = 8;
    const newer = late + KEPT_STATES; // the same place in a ring of KEPT_STATES
    received.apply(deltaOf(`DELTA tick=${newer} 0=ann,1,1,0,1 END`));
    expect(received.apply(deltaOf(`DELTA tick=${late} 0=ann,5,5,0,1 END`)).ok).toBe(true);
    const next = deltaOf(`DELTA tick=${newer + 1} base=${newer} 0,1,2,0,1 END`);
    expect(received.apply(next).ok).toBe(true);
    expect(received.newestTick).toBe(newer + 1);
  });
});

/** The names a property test's states are made of: ann's own square is always in them. */
const OTHERS = ["bob", "cy", "dee", "eve", "fay", "gus", "hal", "ivy"];

/** What happens to each tick's state and to the acknowledgement sent when it arrives. */
const tickArb = fc.record({
  others: fc.uniqueArray(fc.constantFrom(...OTHERS)),
  places: fc.array(fc.tuple(fc.nat({ max: 3 }), fc.nat({ max: 3 })), {
    minLength: OTHERS.length + 1,
    maxLength: OTHERS.length + 1,
  }),
  /** ticks on the way down; undefined: lost */
  down: fc.option(fc.nat({ max: 4 }), { nil: undefined, freq: 4 }),
  /** ticks on the way up for the acknowledgement; undefined: lost */
  up: fc.option(fc.nat({ max: 4 }), { nil: undefined, freq: 3 }),
});

describe("any states on any network, one tick at a time (property)", () => {
  it("every state the client makes is the one the server meant, and it drops only deltas older than its newest", () => {
    fc.assert(
      fc.property(
        // size "max": at fast-check's default size no array passes about ten, and the ring of
        // KEPT_STATES never turned (a server naming a base the client had lost went unnoticed)
        fc.array(tickArb, { minLength: 1, maxLength: 3 * KEPT_STATES, size: "max" }),
        fc.tuple(fc.nat({ max: 3 * KEPT_STATES }), fc.nat({ max: 2 * KEPT_STATES })),
        (ticks, [silenceFrom, silenceTicks]) => {
          const sent = new SentStates(YOU);
          const received = new ReceivedStates(YOU);
          const meant = new Map<number, GameState>();
          let down: { due: number; text: string }[] = [];
          let up: { due: number; held: number }[] = [];
          for (let now = 1; now <= ticks.length + 5; now++) {
            for (const { held } of up.filter(({ due }) => due <= now)) sent.acknowledge(held);
            up = up.filter(({ due }) => due > now);
            const tick = ticks[now - 1];
            if (tick) {
              const [ownX, ownY] = tick.places[0]!;
              const others = tick.others.map((name, i) => {
                const [x, y] = tick.places[i + 1]!;
                return { name, x, y };
              });
              const own = { name: YOU, x: ownX, y: ownY, ack: now, ackTick: now };
              const state = { tick: now, ghost: tick.others[0] ?? null, players: [own, ...others] };
              meant.set(now, state);
              const text = line(sent.next(state));
              if (tick.down !== undefined) down.push({ due: now + tick.down, text });
            }
            // what arrives now, in the order it arrives: a later state can overtake an earlier one
            for (const { text } of down.filter(({ due }) => due <= now)) {
              const delta = deltaOf(text);
              const newest = received.newestTick ?? 0;
              const result = received.apply(delta);
              if (result.ok)
                expect(picture(result.message)).toEqual(picture(meant.get(delta.tick)!));
              else {
                expect(result.reason).toMatch(/is not held$/);
                expect(delta.tick).toBeLessThan(newest);
              }
              const silent = now >= silenceFrom && now < silenceFrom + silenceTicks;
              const ack = ticks[delta.tick - 1]!.up;
              if (ack !== undefined && !silent && received.newestTick !== undefined)
                up.push({ due: now + ack, held: received.newestTick });
            }
            down = down.filter(({ due }) => due > now);
          }
        },
      ),
    );
  });
});

describe("the largest state", () => {
  it("fits one datagram of 1,200 bytes, as STATE (step 09) and as DELTA (step 10)", () => {
    // the longest names and numbers: 16-character names, the mansion's far corner, 8-digit ticks and acks
    const name = (i: number) => `${i}`.padStart(16, "x");
    const tick = 99_999_999;
    const crowd = (first: number): PlayerState[] => [
      { name: YOU.padEnd(16, "x"), x: 152, y: 80, ack: tick, ackTick: tick },
      ...Array.from({ length: MOST_SQUARES_LIT - 1 }, (_, i) => ({
        name: name(first + i),
        x: 151,
        y: 79,
      })),
    ];
    const state = { tick, ghost: name(0), players: crowd(0) };
    const stateLine = step09.encodeServerMessage({ type: "STATE", state });
    expect(Buffer.byteLength(stateLine)).toBeLessThanOrEqual(1200);
    // every square but yours changes its name between the base and the state: the most a delta writes
    const sent = new SentStates(YOU.padEnd(16, "x"));
    sent.next({ ...state, tick: tick - 1 });
    sent.acknowledge(tick - 1);
    const delta = sent.next({ ...state, players: crowd(MOST_SQUARES_LIT) });
    expect(delta.base).toBe(tick - 1);
    expect(delta.changes.filter(({ kind }) => kind === "enter")).toHaveLength(MOST_SQUARES_LIT - 1);
    expect(Buffer.byteLength(line(delta))).toBeLessThanOrEqual(1200);
  });
});

/** Step 10's network at its worst in the issue: `--loss 10 --jitter 20`, both ways. */
const LOSSY: NetworkConditions = { lagMs: 0, jitterMs: 20, lossPercent: 10, duplicatePercent: 0 };
/** The longest a datagram and its answer can take on that network. */
const ROUND_TRIP_MS = 2 * (LOSSY.lagMs + LOSSY.jitterMs);
const TICK_MS = 50;
const TICKS = 40;

/** A crowd of 1,000 bots walking at random on the mansion, as the bench's crowd does: bot1 is the client's own. */
function walkingCrowd() {
  const world = createWorld(MANSION_MAP);
  for (let i = 1; i <= 1000; i++) addPlayer(world, `bot${i}`);
  const random = seededRandom(5);
  const directions: Input[] = ["UP", "DOWN", "LEFT", "RIGHT"];
  const held = new Map<string, Input>();
  return {
    world,
    /** one tick: each bot turns about every 10 ticks (the crowd: every 250 to 750 ms), and walks on */
    step(tick: number): void {
      for (const name of world.players.keys()) {
        if (!held.has(name) || random() < 0.1)
          held.set(name, directions[Math.floor(random() * 4)]!);
        applyInput(world, name, held.get(name)!, tick * TICK_MS);
      }
    },
  };
}

/**
 * A server and a client of step 10 on real sockets, through the simulated network: each tick
 * the server sends the client's lantern as a DELTA, and the client acknowledges each datagram
 * it receives. Each time a datagram arrives, the client's picture (the newest state it could
 * make) is compared with what the newest datagram to arrive says: how long did they differ?
 * `serverTrusts`: "acknowledgements", as lib/delta.ts does, or "its own sends", a server
 * that takes every state it sent for received and writes the next one against it.
 */
async function playOnLossyNetwork(serverTrusts: "acknowledgements" | "its own sends") {
  const you = "bot1";
  const [serverSocket, clientSocket] = await Promise.all([boundUdpSocket(), boundUdpSocket()]);
  const toClient = simulateNetwork(serverSocket, LOSSY, { seed: 1 });
  const toServer = simulateNetwork(clientSocket, LOSSY, { seed: 2 });
  const { world, step } = walkingCrowd();
  const sent = new SentStates(you);
  const received = new ReceivedStates(you);
  const meant = new Map<number, GameState>();
  const wrongDecodes: number[] = [];
  let statesMade = 0;
  let deltasArrived = 0;
  const wrongForMs: number[] = [];
  let shown: (GameState & { tick: number }) | undefined;
  let newestArrived = 0;
  let wrongSince: number | undefined;

  serverSocket.on("message", (datagram) => {
    const parsed = protocol.parseClientMessage(datagram.toString("utf8"));
    if (!parsed.ok || parsed.message.type !== "INPUT") throw new Error("not an INPUT");
    if (serverTrusts === "acknowledgements" && parsed.message.held !== undefined)
      sent.acknowledge(parsed.message.held);
  });
  clientSocket.on("message", (datagram) => {
    const delta = deltaOf(datagram.toString("utf8"));
    newestArrived = Math.max(newestArrived, delta.tick);
    if (delta.base !== undefined) deltasArrived++;
    const result = received.apply(delta);
    if (result.ok) {
      statesMade++;
      if (!samePicture(result.message, meant.get(delta.tick)!)) wrongDecodes.push(delta.tick);
      if (!shown || delta.tick > shown.tick) shown = { ...result.message, tick: delta.tick };
    }
    const ack: protocol.ClientMessage = {
      type: "INPUT",
      username: you,
      input: "NONE",
      seq: 1,
      held: received.newestTick,
    };
    toServer.send(protocol.encodeClientMessage(ack), serverSocket.address().port, "127.0.0.1");
    const wrong = !shown || !samePicture(shown, meant.get(newestArrived)!);
    if (wrong) wrongSince ??= performance.now();
    else if (wrongSince !== undefined) {
      wrongForMs.push(performance.now() - wrongSince);
      wrongSince = undefined;
    }
  });

  for (let tick = 1; tick <= TICKS; tick++) {
    step(tick);
    const players = new Lanterns(world)
      .around(you)
      .map((square) => (square.name === you ? { ...square, ack: 1, ackTick: 1 } : square));
    const state = { tick, ghost: world.ghost, players };
    meant.set(tick, state);
    toClient.send(line(sent.next(state)), clientSocket.address().port, "127.0.0.1");
    if (serverTrusts === "its own sends") sent.acknowledge(tick);
    await sleep(TICK_MS);
  }
  await sleep(ROUND_TRIP_MS); // the last datagrams land
  if (wrongSince !== undefined) wrongForMs.push(performance.now() - wrongSince);
  toClient.close();
  toServer.close();
  return {
    wrongDecodes,
    wrongForMs,
    statesMade,
    deltasArrived,
    lost: { down: toClient.counts.dropped, up: toServer.counts.dropped },
  };
}

describe(`on real UDP sockets, through --loss ${LOSSY.lossPercent} --jitter ${LOSSY.jitterMs}`, () => {
  it("the client's picture is never wrong for as long as a round trip", async () => {
    const { wrongDecodes, wrongForMs, statesMade, deltasArrived, lost } =
      await playOnLossyNetwork("acknowledgements");
    expect(deltasArrived).toBeGreaterThan(TICKS / 2); // most states came as changes
    expect(lost.down).toBeGreaterThan(0); // the network did lose states…
    expect(lost.up).toBeGreaterThan(0); // …and acknowledgements
    expect(statesMade).toBeGreaterThanOrEqual(TICKS - lost.down); // every state that came could be made
    expect(wrongDecodes).toEqual([]); // and each is the one the server meant
    for (const ms of wrongForMs) expect(ms).toBeLessThan(ROUND_TRIP_MS);
  }, 40_000); // a thousand squares stepped each tick: a loaded machine takes its time

  it("(a server that writes against the states it sent, not those acknowledged, gets it wrong for good)", async () => {
    const { wrongForMs, lost } = await playOnLossyNetwork("its own sends");
    expect(lost.down).toBeGreaterThan(0);
    // after the first lost state, every delta builds on it: the client can apply none of them
    expect(Math.max(...wrongForMs)).toBeGreaterThan(10 * ROUND_TRIP_MS);
  }, 40_000); // a thousand squares stepped each tick: a loaded machine takes its time
});
