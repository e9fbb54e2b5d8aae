/**
 * Client-side prediction and entity interpolation (lib/prediction.ts and
 * lib/interpolation.ts), without sockets: a server and a client that do what
 * steps 06 and 07 do, one tick at a time, across a network counted in ticks.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { INPUTS, type Input, applyInput, createWorld, stepFrom } from "../lib/game.ts";
import { INTERPOLATION_DELAY_TICKS, Interpolation } from "../lib/interpolation.ts";
import { TickClock } from "../lib/tick-clock.ts";
import { HOUSE_MAP, type Position, isWall } from "../lib/map.ts";
import { Prediction } from "../lib/prediction.ts";
import { type GameState, snapshot } from "../lib/state.ts";
import { type Random, seededRandom } from "../lib/random.ts";

interface Network {
  /** ticks every message takes */
  lag: number;
  /** up to this many more ticks, at random: a later message may overtake an earlier one */
  jitter: number;
  /** 0..1: the share of messages lost */
  loss: number;
}

/** One direction of the network: what is sent in tick t arrives in tick t + lag + (0..jitter), or never. */
class Link<T> {
  private inFlight: { due: number; message: T }[] = [];

  constructor(
    private readonly network: Network,
    private readonly random: Random,
  ) {}

  send(message: T, tick: number): void {
    if (this.random() < this.network.loss) return;
    const due = tick + this.network.lag + Math.floor(this.random() * (this.network.jitter + 1));
    this.inFlight.push({ due, message });
  }

  /** What has arrived by `tick`, soonest first. */
  receive(tick: number): T[] {
    const arrived = this.inFlight.filter(({ due }) => due <= tick).sort((a, b) => a.due - b.due);
    this.inFlight = this.inFlight.filter(({ due }) => due > tick);
    return arrived.map(({ message }) => message);
  }
}

/** An input change, numbered as in step 06. */
interface Change {
  input: Input;
  seq: number;
}

/** Step 07's server without sockets: each player's held input, applied every tick. */
class Server {
  readonly world = createWorld(HOUSE_MAP);
  /** each player's held change, and the tick in which it was first applied */
  private readonly held = new Map<string, Change & { firstTick?: number }>();
  private tick = 0;

  place(name: string, x: number, y: number): void {
    this.world.players.set(name, { name, x, y });
    this.held.set(name, { input: "NONE", seq: 0 });
  }

  /** A change only replaces an older one: a late or repeated change would undo a newer one. */
  receive(name: string, change: Change): void {
    if (change.seq > this.held.get(name)!.seq) this.held.set(name, { ...change });
  }

  /** One tick: move everyone by their held input, then the state with each player's ack. */
  step(): GameState {
    this.tick++;
    for (const [name, held] of this.held) {
      applyInput(this.world, name, held.input, this.tick);
      held.firstTick ??= this.tick;
    }
    const players = [...this.world.players.values()].map(({ name, x, y }) => ({
      name,
      x,
      y,
      ack: this.held.get(name)!.seq,
      ackTick: this.held.get(name)!.firstTick,
    }));
    return { tick: this.tick, ghost: this.world.ghost, players };
  }

  positionOf(name: string): Position {
    const { x, y } = this.world.players.get(name)!;
    return { x, y };
  }
}

/** What steps/07-client-prediction/client.ts does for its own square, alice, one frame per tick. */
class Client {
  readonly prediction = new Prediction(HOUSE_MAP, "alice");
  /** the newest ack seen: the changes up to it need not be sent again */
  acknowledged = 0;
  private input: Input = "NONE";
  private seq = 0;
  private newestTick = -1;

  /** `state`: the one in the server's welcome, until states arrive */
  constructor(private state: GameState) {}

  /** One frame: predict the move now; returns the change to send while it is unacknowledged. */
  frame(next: Input): Change | undefined {
    if (next !== this.input) {
      this.input = next;
      this.seq++;
    }
    this.prediction.step(this.input, this.seq, this.state);
    return this.acknowledged < this.seq ? { input: this.input, seq: this.seq } : undefined;
  }

  /** A state arrived: false if it is older than one already seen, else it is reconciled. */
  receive(state: GameState): boolean {
    if (state.tick! <= this.newestTick) return false;
    this.newestTick = state.tick!;
    this.acknowledged = state.players.find(({ name }) => name === "alice")!.ack!;
    this.state = state;
    this.prediction.reconcile(state);
    return true;
  }
}

/**
 * alice, starting at (2, 4) in the hall that runs along the top rooms, plays
 * `script` (her input on each frame). `beforeTick` may move others on the server.
 */
function play(
  script: Input[],
  network: Network,
  { seed = 1, beforeTick = (_server: Server) => {}, downstream = network } = {},
) {
  const random = seededRandom(seed);
  const server = new Server();
  server.place("alice", 2, 4);
  const client = new Client(snapshot(server.world));
  const toServer = new Link<Change>(network, random);
  const toClient = new Link<GameState>(downstream, random);
  /** each frame's prediction, and the ack the client knew of then */
  const frames: { predicted: Position | undefined; acknowledged: number }[] = [];
  /** each state reconciled, and the prediction right after it */
  const reconciled: { state: GameState; predicted: Position | undefined }[] = [];
  for (const [tick, input] of script.entries()) {
    const change = client.frame(input);
    frames.push({ predicted: client.prediction.position, acknowledged: client.acknowledged });
    if (change) toServer.send(change, tick);
    for (const arrived of toServer.receive(tick)) server.receive("alice", arrived);
    beforeTick(server);
    toClient.send(server.step(), tick);
    for (const state of toClient.receive(tick)) {
      if (client.receive(state)) reconciled.push({ state, predicted: client.prediction.position });
    }
  }
  return { server, prediction: client.prediction, frames, reconciled };
}

const hold = (input: Input, frames: number): Input[] => Array<Input>(frames).fill(input);
const aliceIn = (state: GameState): Position => {
  const { x, y } = state.players.find(({ name }) => name === "alice")!;
  return { x, y };
};

describe("client-side prediction", () => {
  it("with lag and jitter, the predicted position equals the server's once the inputs are acknowledged", () => {
    const script = [
      ...hold("RIGHT", 6),
      ...hold("DOWN", 4),
      ...hold("NONE", 3),
      ...hold("LEFT", 5),
    ];
    const { server, prediction } = play([...script, ...hold("NONE", 80 - script.length)], {
      lag: 3,
      jitter: 2,
      loss: 0.1,
    });
    expect(prediction.corrections.count).toBeGreaterThan(0); // the jitter did fool it on the way…
    expect(prediction.position).toEqual(server.positionOf("alice")); // …and it ends where the server has alice
  });

  it("ends where the server has alice for any inputs, lag 0-5 ticks, jitter 0-3, loss 0-30%", () => {
    const segment = fc.tuple(fc.constantFrom(...INPUTS), fc.integer({ min: 1, max: 8 }));
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 10 }),
        fc.record({
          lag: fc.integer({ min: 0, max: 5 }),
          jitter: fc.integer({ min: 0, max: 3 }),
          loss: fc.double({ min: 0, max: 0.3, noNaN: true }),
        }),
        fc.integer(),
        (segments, network, seed) => {
          // 40 frames of NONE at the end: time enough for the last change to be acknowledged
          const script = [
            ...segments.flatMap(([input, frames]) => hold(input, frames)),
            ...hold("NONE", 40),
          ];
          const { server, prediction } = play(script, network, { seed });
          expect(prediction.position).toEqual(server.positionOf("alice"));
        },
      ),
    );
  });

  it("while nothing surprises it, the prediction is never corrected", () => {
    const script = [
      ...hold("NONE", 5),
      ...hold("RIGHT", 5),
      ...hold("DOWN", 3),
      ...hold("LEFT", 2),
      ...hold("UP", 2),
      ...hold("NONE", 10),
    ];
    const { prediction, frames } = play(script, { lag: 3, jitter: 0, loss: 0 });
    expect(prediction.corrections.count).toBe(0);
    // the first RIGHT moves alice on its own frame, 2 × 3 ticks before a state could acknowledge it
    expect(frames[4]).toEqual({ predicted: { x: 2, y: 4 }, acknowledged: 0 });
    expect(frames[5]).toEqual({ predicted: { x: 3, y: 4 }, acknowledged: 0 });
  });

  it("is never corrected for lost states: each state says in which tick the server applied the change", () => {
    // Lining frames up by the first state that acknowledges a change went wrong when that state was lost.
    const script = [
      ...hold("RIGHT", 6),
      ...hold("NONE", 3),
      ...hold("LEFT", 4),
      ...hold("RIGHT", 8),
      ...hold("NONE", 20),
    ];
    for (let seed = 1; seed <= 30; seed++) {
      const { prediction, server } = play(
        script,
        { lag: 2, jitter: 0, loss: 0 },
        { seed, downstream: { lag: 2, jitter: 0, loss: 0.3 } },
      );
      expect(prediction.corrections.count).toBe(0);
      expect(prediction.position).toEqual(server.positionOf("alice"));
    }
  });

  it("a forced misprediction converges within two states", () => {
    // bob waits in the library, below the hall. When alice is two cells before his column he steps up:
    // in that tick she moves first, to (9, 4), and he comes to (10, 4), right in front of her.
    const bobStepsIn = (server: Server) => {
      if (!server.world.players.has("bob")) server.place("bob", 10, 5);
      if (server.positionOf("alice").x === 8) server.receive("bob", { input: "UP", seq: 1 });
      if (server.positionOf("alice").x === 9) server.receive("bob", { input: "NONE", seq: 2 });
    };
    const { prediction, reconciled } = play(
      [...hold("NONE", 3), ...hold("RIGHT", 60)],
      { lag: 3, jitter: 1, loss: 0.1 },
      { beforeTick: bobStepsIn },
    );
    // the client had predicted alice walking on past bob's column: the state that shows bob proves it wrong
    expect(prediction.corrections.count).toBeGreaterThanOrEqual(1);
    // the first state that shows alice blocked: bob in the hall, in front of her
    const blocked = reconciled.findIndex(({ state }) =>
      state.players.some(({ name, x, y }) => name === "bob" && x === 10 && y === 4),
    );
    expect(blocked).toBeGreaterThan(0);
    const later = reconciled.slice(blocked + 2);
    expect(later.length).toBeGreaterThan(10);
    for (const { state, predicted } of later) expect(predicted).toEqual(aliceIn(state));
    expect(aliceIn(later.at(-1)!.state)).toEqual({ x: 9, y: 4 }); // still blocked by bob
  });
});

const TICK_MS = 50;
const FLOOR: Position[] = HOUSE_MAP.rows.flatMap((row, y) =>
  [...row].flatMap((cell, x) => (cell === "." ? [{ x, y }] : [])),
);

/**
 * bob walks `walk`, one cell per tick. The state of tick t leaves the server
 * at t × 50 ms and arrives `delays[t]` ms later (undefined: lost). Returns
 * where bob is drawn, every 5 ms, until all has arrived.
 */
function watch(walk: Position[], delays: (number | undefined)[]): Position[] {
  const clock = new TickClock();
  const interpolation = new Interpolation(HOUSE_MAP, clock);
  const arrivals = walk
    .map((cell, tick) => ({
      at: tick * TICK_MS + (delays[tick] ?? Infinity),
      state: { tick, ghost: null, players: [{ name: "bob", ...cell }] },
    }))
    .filter(({ at }) => at !== Infinity)
    .sort((a, b) => a.at - b.at);
  const drawn: Position[] = [];
  for (let now = 0; arrivals.length > 0 || now < walk.length * TICK_MS + 500; now += 5) {
    while (arrivals.length > 0 && arrivals[0]!.at <= now) {
      const { state } = arrivals.shift()!;
      clock.heard(state.tick, now);
      interpolation.add(state);
    }
    const bob = interpolation.positions(now).get("bob");
    if (bob) drawn.push(bob);
  }
  return drawn;
}

/**
 * Delays in ms for `count` states: about 1 in 3 lost (undefined), the others late by up to `maxMs`,
 * so some overtake others.
 */
const delaysArb = (count: number, maxMs: number) =>
  fc.array(fc.option(fc.nat({ max: maxMs }), { nil: undefined, freq: 3 }), {
    minLength: count,
    maxLength: count,
  });

describe("the corrections in words", () => {
  it.each([
    [0, 0, "0 fixes (0 cells)"],
    [1, 1, "1 fix (1 cell)"],
    [1, 3, "1 fix (3 cells)"],
    [2, 1, "2 fixes (1 cell)"],
  ])("%i fixes of %i cells read %s", (count, cells, words) => {
    const prediction = new Prediction(HOUSE_MAP, "alice");
    Object.assign(prediction.corrections, { count, cells });
    expect(prediction.fixesInWords()).toBe(words);
  });
});

describe("entity interpolation", () => {
  it("never draws a square inside a wall", () => {
    // bob holds a direction for 1 to 5 ticks, then another; a move into a wall is no move
    const walkArb = fc
      .tuple(
        fc.constantFrom(...FLOOR),
        fc.array(
          fc.tuple(
            fc.constantFrom<Input>("UP", "DOWN", "LEFT", "RIGHT"),
            fc.integer({ min: 1, max: 5 }),
          ),
          { maxLength: 20, size: "max" },
        ),
      )
      .map(([start, segments]) => {
        const walk = [start];
        for (const [input, ticks] of segments) {
          for (let i = 0; i < ticks; i++) {
            const next = stepFrom(walk.at(-1)!, input);
            walk.push(isWall(HOUSE_MAP, next) ? walk.at(-1)! : next);
          }
        }
        return walk;
      });
    // Always tried too: up out of the library into the hall, then right, the state in between lost.
    // Halfway between (11, 5) and (12, 4) a straight line rounds to (12, 5): the library's wall.
    const corner: [Position[], (number | undefined)[]] = [
      [
        { x: 11, y: 5 },
        { x: 11, y: 4 },
        { x: 12, y: 4 },
      ],
      [0, undefined, 0],
    ];
    fc.assert(
      fc.property(walkArb, delaysArb(101, 200), (walk, delays) => {
        for (const cell of watch(walk, delays)) expect(isWall(HOUSE_MAP, cell)).toBe(false);
      }),
      { examples: [corner] },
    );
  });

  it("never goes back in time, even when states arrive bunched up or late", () => {
    const walkRight = Array.from({ length: 37 }, (_, tick) => ({ x: 1 + tick, y: 4 })); // along the hall, a cell a tick
    fc.assert(
      fc.property(delaysArb(walkRight.length, 300), (delays) => {
        const xs = watch(walkRight, delays).map(({ x }) => x);
        for (let i = 1; i < xs.length; i++) expect(xs[i]).toBeGreaterThanOrEqual(xs[i - 1]!);
      }),
    );
  });

  it("draws the others about INTERPOLATION_DELAY_TICKS in the past", () => {
    const clock = new TickClock();
    const interpolation = new Interpolation(HOUSE_MAP, clock);
    for (let tick = 0; tick < 30; tick++) {
      clock.heard(tick, tick * TICK_MS);
      interpolation.add({ tick, ghost: null, players: [{ name: "bob", x: 1 + tick, y: 4 }] });
      for (const sinceMs of [0, 25, 45]) {
        const drawnX = interpolation.positions(tick * TICK_MS + sinceMs).get("bob")!.x;
        if (tick >= 5)
          expect(Math.abs(drawnX - (1 + tick - INTERPOLATION_DELAY_TICKS))).toBeLessThanOrEqual(1);
      }
    }
  });
});

describe("the client's tick clock", () => {
  it("learns the time between ticks from the tick numbers", () => {
    const clock = new TickClock();
    expect(clock.tickMs).toBe(50); // the servers' default tick, until it has heard three ticks
    for (let tick = 0; tick < 30; tick++) clock.heard(tick, tick * 100);
    expect(clock.tickMs).toBeCloseTo(100);
  });

  it("says the server's tick now, at most one tick past the newest it heard", () => {
    const clock = new TickClock();
    expect(clock.serverTick(0)).toBeUndefined();
    for (let tick = 10; tick <= 14; tick++) clock.heard(tick, tick * 50);
    expect(clock.serverTick(14 * 50 + 25)).toBeCloseTo(14.5);
    expect(clock.serverTick(14 * 50 + 500)).toBe(15);
    clock.heard(12, 800); // a late state tells nothing new
    expect(clock.serverTick(14 * 50)).toBe(14);
  });
});
