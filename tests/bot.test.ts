import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BotControl, FLEE_STEPS } from "../lib/bot.ts";
import { isLit } from "../lib/lantern.ts";
import {
  type Input,
  type World,
  TAG_GRACE_MS,
  addPlayer,
  applyInput,
  createWorld,
  stepFrom,
} from "../lib/game.ts";
import { type GameMap, type Position, HOUSE_MAP, MANSION_MAP, isWall } from "../lib/map.ts";
import { type GameState, snapshot } from "../lib/state.ts";
import { hashOf } from "../lib/random.ts";
import { Score } from "../lib/score.ts";

const FRAME_MS = 50;

/** A world with squares placed by hand; the first one is the ghost. */
function worldWith(map: GameMap, ...squares: [name: string, x: number, y: number][]): World {
  const world = createWorld(map);
  for (const [name, x, y] of squares) world.players.set(name, { name, x, y });
  world.ghost = squares[0]![0];
  return world;
}

/** Walking distance between two cells, walls only, by the book (a test's own search). */
function walkingDistance(map: GameMap, from: Position, to: Position): number {
  let frontier = [from];
  const seen = new Set([`${from.x},${from.y}`]);
  for (let steps = 0; frontier.length > 0; steps++) {
    if (frontier.some(({ x, y }) => x === to.x && y === to.y)) return steps;
    const next: Position[] = [];
    for (const cell of frontier) {
      for (const input of ["UP", "DOWN", "LEFT", "RIGHT"] as const) {
        const neighbour = stepFrom(cell, input);
        const key = `${neighbour.x},${neighbour.y}`;
        if (isWall(map, neighbour) || seen.has(key)) continue;
        seen.add(key);
        next.push(neighbour);
      }
    }
    frontier = next;
  }
  return Infinity;
}

/**
 * Runs the world for `frames` frames: each bot named in `bots` sees the state
 * as it was at the start of the frame and moves; the others stand still.
 * Returns the frame in which the ghost changed first, or undefined.
 */
function run(world: World, bots: Record<string, BotControl>, frames: number): number | undefined {
  const ghost = world.ghost;
  for (let frame = 0; frame < frames; frame++) {
    const now = frame * FRAME_MS;
    const state = snapshot(world);
    for (const [you, bot] of Object.entries(bots))
      applyInput(world, you, bot.next(now, { map: world.map, state, you }), now);
    if (world.ghost !== ghost) return frame;
  }
  return undefined;
}

const restFrames = TAG_GRACE_MS / FRAME_MS;

describe("the ghost bot hunts", () => {
  it.each([
    ["house", HOUSE_MAP, { x: 1, y: 1 }, { x: 37, y: 19 }],
    ["mansion", MANSION_MAP, { x: 1, y: 1 }, { x: 151, y: 79 }],
  ])("on the %s, it reaches a standing human by a shortest path", (_, map, from, to) => {
    const world = worldWith(map, ["gus", from.x, from.y], ["ann", to.x, to.y]);
    const distance = walkingDistance(map, from, to);
    // distance − 1 steps to stand next to ann, and the bump that tags her
    expect(run(world, { gus: new BotControl(1) }, 10_000)).toBe(distance - 1);
    expect(world.ghost).toBe("ann");
  });

  it("goes for the nearest human by walking, not as the crow flies", () => {
    // ann is 2 cells away through the library's east wall, bob 5 cells away in the library
    const world = worldWith(HOUSE_MAP, ["gus", 11, 2], ["ann", 13, 2], ["bob", 6, 2]);
    expect(run(world, { gus: new BotControl(2) }, 200)).toBeDefined();
    expect(world.ghost).toBe("bob");
  });
});

describe("the ghost bot in the dark", () => {
  it("searches room after room when it sees nobody, and finds a human it cannot see", () => {
    const world = worldWith(HOUSE_MAP, ["gus", 1, 1], ["ann", 37, 19]);
    const gus = new BotControl(3);
    let foundAt: number | undefined;
    for (let frame = 0; frame < 2000 && foundAt === undefined; frame++) {
      const now = frame * FRAME_MS;
      // gus sees what his lantern lights: himself, and ann only once she is within its reach
      const me = world.players.get("gus")!;
      const lit = [...world.players.values()].filter((square) => isLit(me, square));
      const state = { ghost: "gus", players: lit.map(({ name, x, y }) => ({ name, x, y })) };
      applyInput(world, "gus", gus.next(now, { map: HOUSE_MAP, state, you: "gus" }), now);
      if (world.ghost === "ann") foundAt = frame;
    }
    // it walked from room to room, not round in circles, until its lantern found ann in the far
    // corner: within 30 s (a random walk had not found her after 100 s)
    expect(foundAt).toBeLessThan(600);
  });
});

describe("the ghost bot, tagged", () => {
  /** What the bot does in each frame, given the state of each frame. */
  const play = (bot: BotControl, states: GameState[]) =>
    states.map((state, frame) => bot.next(frame * FRAME_MS, { map: HOUSE_MAP, state, you: "gus" }));
  const human = {
    ghost: "ann",
    players: [
      { name: "ann", x: 5, y: 2 },
      { name: "gus", x: 6, y: 2 },
    ],
  };

  it("counts to two (TAG_GRACE_MS) before it hunts, giving the tagger a head start", () => {
    const tagged = { ...human, ghost: "gus" };
    const moves = play(new BotControl(1), [
      human,
      ...new Array<GameState>(restFrames + 1).fill(tagged),
    ]);
    expect(moves.slice(1, 1 + restFrames)).toEqual(new Array(restFrames).fill("NONE"));
    expect(moves.at(-1)).toBe("LEFT");
  });

  it("hunts at once when it inherits the curse from a ghost who left", () => {
    const inherited = {
      ghost: "gus",
      players: [
        { name: "gus", x: 6, y: 2 },
        { name: "bob", x: 9, y: 2 },
      ],
    };
    const moves = play(new BotControl(1), [human, inherited]);
    expect(moves[1]).toBe("RIGHT");
  });
});

describe("the human bot flees", () => {
  it("gets farther from a ghost that is near", () => {
    for (const seed of [1, 2, 3, 4, 5]) {
      const world = worldWith(HOUSE_MAP, ["gus", 30, 16], ["ann", 30, 13]);
      const before = walkingDistance(HOUSE_MAP, { x: 30, y: 16 }, { x: 30, y: 13 });
      run(world, { ann: new BotControl(seed) }, 20);
      const { x, y } = world.players.get("ann")!;
      expect(before).toBeLessThan(FLEE_STEPS);
      // it flees until the ghost is out of reach, then wanders: a step back at the most
      expect(walkingDistance(HOUSE_MAP, { x: 30, y: 16 }, { x, y })).toBeGreaterThanOrEqual(
        FLEE_STEPS,
      );
    }
  });

  it(`does not flee a ghost more than ${FLEE_STEPS} steps away on foot, however near through a wall`, () => {
    const ghost = { x: 11, y: 5 }; // in the library, by the wall it shares with the parlour
    const fled = (ann: Position, seed: number) => {
      const world = worldWith(HOUSE_MAP, ["gus", ghost.x, ghost.y], ["ann", ann.x, ann.y]);
      const bot = new BotControl(seed);
      const state = snapshot(world);
      const moves = Array.from({ length: 10 }, (_, frame) =>
        bot.next(frame * FRAME_MS, { map: HOUSE_MAP, state, you: "ann" }),
      );
      return moves.every(
        (input) =>
          input === "NONE" ||
          walkingDistance(HOUSE_MAP, stepFrom(ann, input), ghost) >
            walkingDistance(HOUSE_MAP, ann, ghost),
      );
    };
    // in the parlour, 2 cells away through the wall but 12 round by the door: ann wanders
    expect(walkingDistance(HOUSE_MAP, { x: 11, y: 7 }, ghost)).toBe(12);
    expect([1, 2, 3, 4, 5, 6].every((seed) => fled({ x: 11, y: 7 }, seed))).toBe(false);
    // in the library, 3 cells away: every move takes her farther
    expect([1, 2, 3, 4, 5, 6].every((seed) => fled({ x: 8, y: 5 }, seed))).toBe(true);
  });
});

describe("any bot", () => {
  it("never walks into a wall where it could walk (property)", () => {
    const floor = HOUSE_MAP.rows.flatMap((row, y) =>
      [...row].flatMap((cell, x) => (cell === "." ? [{ x, y }] : [])),
    );
    const cell = fc.constantFrom(...floor);
    fc.assert(
      fc.property(
        fc.uniqueArray(cell, { minLength: 3, maxLength: 3, selector: ({ x, y }) => `${x},${y}` }),
        fc.nat(),
        (cells, seed) => {
          const [gus, ann, bob] = cells as [Position, Position, Position];
          const world = worldWith(
            HOUSE_MAP,
            ["gus", gus.x, gus.y],
            ["ann", ann.x, ann.y],
            ["bob", bob.x, bob.y],
          );
          const bots = {
            gus: new BotControl(seed),
            ann: new BotControl(seed + 1),
            bob: new BotControl(seed + 2),
          };
          for (let frame = 0; frame < 100; frame++) {
            const now = frame * FRAME_MS;
            const state = snapshot(world);
            for (const [you, bot] of Object.entries(bots)) {
              const input: Input = bot.next(now, { map: HOUSE_MAP, state, you });
              const at = world.players.get(you)!;
              if (input !== "NONE") expect(isWall(HOUSE_MAP, stepFrom(at, input))).toBe(false);
              applyInput(world, you, input, now);
            }
          }
        },
      ),
      { numRuns: 30 },
    );
  });

  it("plays the same game for the same seed, another for another", () => {
    const moves = (seed: number) => {
      const world = worldWith(HOUSE_MAP, ["gus", 30, 16], ["ann", 5, 3]);
      const bot = new BotControl(seed);
      return Array.from({ length: 200 }, (_, frame) => {
        const input = bot.next(frame * FRAME_MS, {
          map: HOUSE_MAP,
          state: snapshot(world),
          you: "ann",
        });
        applyInput(world, "ann", input, frame * FRAME_MS);
        return input;
      });
    };
    expect(moves(7)).toEqual(moves(7));
    expect(moves(7)).not.toEqual(moves(8));
  });

  it("stands still before the first state, or when it is not in it", () => {
    const bot = new BotControl(1);
    expect(bot.next(0, { map: HOUSE_MAP, state: undefined, you: "ann" })).toBe("NONE");
    expect(bot.next(0, { map: HOUSE_MAP, state: { ghost: null, players: [] }, you: "ann" })).toBe(
      "NONE",
    );
  });
});

describe("a game of bots, in-process, for 60 simulated seconds", () => {
  it("one ghost bot and two human bots: tags happen, and not always between the same two", () => {
    const world = createWorld(HOUSE_MAP);
    const names = ["bot1", "bot2", "bot3"];
    for (const name of names) addPlayer(world, name);
    const bots = names.map((name) => new BotControl(hashOf(name)));
    const score = new Score("bot1");
    for (let now = 0; now < 60_000; now += FRAME_MS) {
      const state = snapshot(world);
      score.observe(state, now);
      names.forEach((you, i) =>
        applyInput(world, you, bots[i]!.next(now, { map: HOUSE_MAP, state, you }), now),
      );
    }
    const tags = score.board().map(({ tags }) => tags);
    expect(tags.reduce((sum, n) => sum + n, 0)).toBeGreaterThanOrEqual(1);
    expect(tags.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
  });
});
