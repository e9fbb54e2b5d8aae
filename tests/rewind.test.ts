/**
 * Lag compensation (lib/rewind.ts): a tag is judged where the humans stood at the tick the
 * ghost's screen showed, clamped to the cap, and with the rewind off the rule is the old one.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  INPUTS,
  type Input,
  TAG_GRACE_MS,
  type World,
  applyInput,
  createWorld,
} from "../lib/game.ts";
import { type GameMap, HOUSE_MAP, type Position } from "../lib/map.ts";
import { GameRoom } from "../lib/room.ts";
import { Rewind, TagTally, parseTally, rewindTicks } from "../lib/rewind.ts";

const NOW = 10_000;

/**
 * A room on the house whose squares are placed by hand, oldest first; the first one is the ghost.
 * The house's first room is floor from (1, 1) to (11, 5).
 */
function roomWith(...squares: [name: string, x: number, y: number][]): GameRoom {
  const room = new GameRoom("house", "farthest", () => {});
  for (const [name, x, y] of squares) room.world.players.set(name, { name, x, y });
  room.world.ghost = squares[0]?.[0] ?? null;
  return room;
}

function worldWith(map: GameMap, squares: [name: string, x: number, y: number][]): World {
  const world = createWorld(map);
  for (const [name, x, y] of squares) world.players.set(name, { name, x, y });
  world.ghost = squares[0]?.[0] ?? null;
  return world;
}

const positionOf = (world: World, name: string): Position => {
  const { x, y } = world.players.get(name)!;
  return { x, y };
};

/**
 * Ann walks right along the top row, one cell a tick from (1, 1), and the ghost waits under her
 * path at (4, 2); each tick is recorded. Returns the room, the rewind and the last tick played.
 */
function annWalksPastTheGhost(rewind: Rewind, ticks: number) {
  const room = roomWith(["ghost", 4, 2], ["ann", 1, 1]);
  for (let tick = 1; tick <= ticks; tick++) {
    room.move("ann", "RIGHT", NOW);
    rewind.record(tick, room.world);
  }
  return room;
}

describe("a tag judged at the displayed tick", () => {
  it("tags the human the ghost saw, who has moved on; the ghost steps into the cell, now free", () => {
    const rewind = new Rewind(4);
    const room = annWalksPastTheGhost(rewind, 4); // ann at (5, 1) after tick 4, at (4, 1) after tick 3
    const verdict = rewind.move(room, "ghost", "UP", 3, 5, NOW);
    expect(room.world.ghost).toBe("ann");
    expect(positionOf(room.world, "ghost")).toEqual({ x: 4, y: 1 });
    expect(verdict).toMatchObject({
      tick: 5,
      claimedTick: 3,
      seenTick: 3,
      judgedTick: 3,
      seen: { name: "ann", x: 4, y: 1 },
      real: { x: 5, y: 1 },
      movedCells: 1,
      tagged: "ann",
    });
  });

  it("with the rewind off (--no-rewind) the same move tags nobody: ann has gone", () => {
    const rewind = new Rewind(4, false);
    const room = annWalksPastTheGhost(rewind, 4);
    const verdict = rewind.move(room, "ghost", "UP", 3, 5, NOW);
    expect(room.world.ghost).toBe("ghost");
    expect(positionOf(room.world, "ghost")).toEqual({ x: 4, y: 1 });
    // still a tag attempt: what the ghost saw is counted, and that it missed
    expect(verdict).toMatchObject({ seenTick: 3, judgedTick: 5, movedCells: 1, tagged: undefined });
  });

  it("a ghost claiming an older tick than the cap is judged at the cap, and misses", () => {
    const rewind = new Rewind(2);
    const room = annWalksPastTheGhost(rewind, 5); // ann on (4, 1) after tick 3 only
    expect(rewind.seenTick(3, 6)).toBe(4);
    expect(rewind.move(room, "ghost", "UP", 3, 6, NOW)).toBeUndefined(); // nobody there at tick 4
    expect(room.world.ghost).toBe("ghost");
  });

  it.each([
    ["the far past", -1e12, 6],
    ["tick 0", 0, 6],
    ["the future", 1e12, 10],
    ["a fraction", 8.7, 8],
    ["not a number", Number.NaN, 10],
    ["infinity", Number.POSITIVE_INFINITY, 10],
    ["minus infinity", Number.NEGATIVE_INFINITY, 10],
  ])("a claim of %s is clamped into the ticks held and the cap", (_, claimed, seen) => {
    const rewind = new Rewind(4);
    annWalksPastTheGhost(rewind, 9);
    expect(rewind.seenTick(claimed, 10)).toBe(seen);
  });

  it("before any tick is recorded, every claim is judged now", () => {
    expect(new Rewind(4).seenTick(3, 5)).toBe(5);
  });

  it("a human not on the cell at the displayed tick, but there now, blocks the ghost and is not tagged", () => {
    const rewind = new Rewind(4);
    const room = roomWith(["ghost", 4, 2], ["bob", 3, 1]);
    rewind.record(1, room.world);
    room.move("bob", "RIGHT", NOW); // tick 2: bob steps onto (4, 1), above the ghost
    expect(rewind.move(room, "ghost", "UP", 1, 2, NOW)).toBeUndefined();
    expect(room.world.ghost).toBe("ghost");
    expect(positionOf(room.world, "ghost")).toEqual({ x: 4, y: 2 });
    // the ghost's next input shows bob there: tagged
    rewind.record(2, room.world);
    expect(rewind.move(room, "ghost", "UP", 2, 3, NOW)?.tagged).toBe("bob");
  });

  it("the rewound tag waits for the grace after the last tag, and spares a human who has left", () => {
    const rewind = new Rewind(4);
    const room = annWalksPastTheGhost(rewind, 4);
    room.world.lastTagAt = NOW - TAG_GRACE_MS + 1;
    expect(rewind.move(room, "ghost", "UP", 3, 5, NOW)).toBeUndefined(); // resting: no attempt
    expect(room.world.ghost).toBe("ghost");
    room.world.lastTagAt = -Infinity;
    room.move("ghost", "DOWN", NOW); // back under ann's path
    room.leave("ann");
    expect(rewind.move(room, "ghost", "UP", 3, 5, NOW)).toMatchObject({
      real: undefined,
      tagged: undefined,
    });
    expect(room.world.ghost).toBe("ghost");
  });

  it("a human's move is never a tag attempt, nor a ghost standing still", () => {
    const rewind = new Rewind(4);
    const room = annWalksPastTheGhost(rewind, 4);
    expect(rewind.move(room, "ann", "LEFT", 3, 5, NOW)).toBeUndefined();
    expect(rewind.move(room, "ghost", "NONE", 3, 5, NOW)).toBeUndefined();
  });

  it("caps at 11 ticks at 20 Hz: 550 ms", () => {
    expect(rewindTicks(50)).toBe(11);
    expect(rewindTicks(1000 / 60)).toBe(33);
  });
});

describe("the tally the server logs", () => {
  it("counts attempts and tags, and reads its own line back", () => {
    const tally = new TagTally();
    const rewind = new Rewind(4);
    const room = annWalksPastTheGhost(rewind, 4);
    tally.count(rewind.move(room, "ghost", "UP", 3, 5, NOW)!);
    expect(tally.describe()).toBe("tag attempts 1, tagged 1, moved 1×1");
    expect(parseTally(`12:00:00 ${tally.describe()}`)).toEqual({
      attempts: 1,
      tags: 1,
      victimCells: [1],
    });
    expect(parseTally("tag attempts 3, tagged 0, moved -")).toEqual({
      attempts: 3,
      tags: 0,
      victimCells: [],
    });
  });
});

/** The cap of the property tests: short, so that many claims fall outside it. */
const CAP = 4;
const NAMES = ["ghost", "ann", "bob", "cy"];

/** What a property test plays: the squares' inputs for a few ticks, then the ghost's one move. */
const gameArb = fc.record({
  starts: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 3 })), {
    minLength: NAMES.length,
    maxLength: NAMES.length,
    selector: ([x, y]) => `${x},${y}`,
  }),
  ticks: fc.array(
    fc.array(fc.constantFrom(...INPUTS), { minLength: NAMES.length, maxLength: NAMES.length }),
    {
      minLength: 0,
      maxLength: 3 * CAP,
      size: "max",
    },
  ),
  ghostInput: fc.constantFrom(...INPUTS),
  claimed: fc.oneof(
    fc.integer({ min: -5, max: 3 * CAP + 5 }),
    fc.integer(),
    fc.double(),
    fc.constantFrom(Number.NaN, Infinity, -Infinity),
  ),
  resting: fc.boolean(),
  leaver: fc.option(fc.constantFrom(...NAMES.slice(1)), { nil: undefined }),
});

type Game = typeof gameArb extends fc.Arbitrary<infer G> ? G : never;

/**
 * Plays `game` with `rewind`, and checks what the property promises: the ghost's move is judged
 * at the claim clamped to [tick − CAP, tick], against where the squares really were then; the
 * squares move as the old rule moves them; with the rewind off, everything is the old rule's.
 */
function playAndCheck(game: Game, rewind: Rewind): void {
  const squares = NAMES.map((name, i): [string, number, number] => [name, ...game.starts[i]!]);
  const room = roomWith(...squares);
  const positions: Map<string, Position>[] = [new Map()]; // tick 0 is never recorded
  game.ticks.forEach((inputs, i) => {
    NAMES.forEach((name, j) => applyInput(room.world, name, inputs[j]!, 0));
    rewind.record(i + 1, room.world);
    positions.push(new Map([...room.world.players].map(([name, { x, y }]) => [name, { x, y }])));
  });
  if (game.leaver) room.leave(game.leaver);
  room.world.lastTagAt = game.resting ? NOW - 1 : -Infinity;
  const tick = game.ticks.length + 1;
  const before = worldWith(
    HOUSE_MAP,
    [...room.world.players.values()].map(({ name, x, y }) => [name, x, y]),
  );
  Object.assign(before, { ghost: room.world.ghost, lastTagAt: room.world.lastTagAt });
  const oldRule = worldWith(
    HOUSE_MAP,
    [...before.players.values()].map(({ name, x, y }) => [name, x, y]),
  );
  Object.assign(oldRule, { ghost: before.ghost, lastTagAt: before.lastTagAt });

  // The tick the ghost is taken to have seen: the claim, clamped.
  const oldestHeld = Math.max(1, tick - CAP);
  const seenTick = Number.isFinite(game.claimed)
    ? Math.min(tick, Math.max(Math.floor(game.claimed), oldestHeld))
    : tick;
  expect(rewind.seenTick(game.claimed, tick)).toBe(seenTick);
  expect(seenTick).toBeGreaterThanOrEqual(tick - CAP);

  // the walk may have passed the curse on: the ghost is whoever holds it now
  const ghost = before.ghost!;
  const ghostAt = positionOf(before, ghost);
  const verdict = rewind.move(room, ghost, game.ghostInput, game.claimed, tick, NOW);
  applyInput(oldRule, ghost, game.ghostInput, NOW);

  // The squares move in the present: as the old rule moves them, whatever the claim.
  for (const name of oldRule.players.keys())
    expect(positionOf(room.world, name)).toEqual(positionOf(oldRule, name));
  if (!rewind.enabled) {
    expect(room.world.ghost).toBe(oldRule.ghost);
    expect(room.world.lastTagAt).toBe(oldRule.lastTagAt);
  }

  // Who stood on the cell the ghost stepped to, at the tick it saw: recorded, or now.
  const cell = { x: ghostAt.x + dx(game.ghostInput), y: ghostAt.y + dy(game.ghostInput) };
  const there = (at: Map<string, Position>) =>
    [...at].find(([, { x, y }]) => x === cell.x && y === cell.y)?.[0];
  const now = new Map([...before.players].map(([name, { x, y }]) => [name, { x, y }]));
  const seen =
    game.ghostInput === "NONE" ? undefined : there(seenTick === tick ? now : positions[seenTick]!);
  const attempt = seen !== undefined && seen !== ghost && !game.resting;
  expect(verdict !== undefined).toBe(attempt);
  if (game.resting) expect(room.world.ghost).toBe(ghost);
  if (!attempt || !verdict) return;
  expect(verdict.seen.name).toBe(seen);
  expect(verdict.seenTick).toBe(seenTick);
  if (verdict.movedCells !== undefined)
    expect(verdict.movedCells).toBeLessThanOrEqual(tick - seenTick); // a cell a tick at most
  if (rewind.enabled) {
    const tagged = before.players.has(seen);
    expect(room.world.ghost).toBe(tagged ? seen : ghost);
    expect(verdict.tagged).toBe(tagged ? seen : undefined);
  }
}

const dx = (input: Input) => (input === "LEFT" ? -1 : input === "RIGHT" ? 1 : 0);
const dy = (input: Input) => (input === "UP" ? -1 : input === "DOWN" ? 1 : 0);

describe("any game, any claim (property)", () => {
  it("a tag is judged at the clamped displayed tick, never further back than the cap", () => {
    fc.assert(
      fc.property(gameArb, (game) => playAndCheck(game, new Rewind(CAP))),
      {
        numRuns: 500,
      },
    );
  });

  it("with the rewind off, every move is the old rule's", () => {
    fc.assert(
      fc.property(gameArb, (game) => playAndCheck(game, new Rewind(CAP, false))),
      {
        numRuns: 500,
      },
    );
  });

  it("(a rewind without the cap lets a claim of an old tick tag a human from further back: caught)", () => {
    // a ring as long as the game: the same code, but nothing bounds how far back a claim reaches
    const uncapped = (game: Game) => playAndCheck(game, new Rewind(100));
    const result = fc.check(fc.property(gameArb, uncapped), { numRuns: 2000, seed: 1 });
    expect(result.failed).toBe(true);
    const [game] = result.counterexample!;
    expect(game.claimed).toBeLessThan(game.ticks.length + 1 - CAP); // a claim from beyond the cap
  });
});
