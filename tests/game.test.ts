import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  INPUTS,
  type Input,
  TAG_GRACE_MS,
  type World,
  addPlayer,
  applyInput,
  createWorld,
  removePlayer,
  stepFrom,
} from "../lib/game.ts";
import { type GameMap, type Position, HOUSE_MAP, isWall, mapFromRows } from "../lib/map.ts";

/** A small room with floor all around its middle cell (3, 2). */
const ROOM = mapFromRows(["#######", "#.....#", "#.....#", "#.....#", "#######"]);

/** A world with squares placed by hand, oldest first; the first one is the ghost. */
function worldWith(map: GameMap, ...squares: [name: string, x: number, y: number][]): World {
  const world = createWorld(map);
  for (const [name, x, y] of squares) world.players.set(name, { name, x, y });
  world.ghost = squares[0]?.[0] ?? null;
  return world;
}

const positionOf = (world: World, name: string): Position => {
  const { x, y } = world.players.get(name)!;
  return { x, y };
};

describe("movement", () => {
  it.each([
    ["UP", { x: 3, y: 1 }],
    ["DOWN", { x: 3, y: 3 }],
    ["LEFT", { x: 2, y: 2 }],
    ["RIGHT", { x: 4, y: 2 }],
    ["NONE", { x: 3, y: 2 }],
  ] as const)("%s moves one cell from the middle", (input, expected) => {
    const world = worldWith(ROOM, ["ann", 3, 2]);
    applyInput(world, "ann", input, 0);
    expect(positionOf(world, "ann")).toEqual(expected);
  });

  it("walls block", () => {
    const world = worldWith(ROOM, ["ann", 1, 1]);
    applyInput(world, "ann", "UP", 0);
    applyInput(world, "ann", "LEFT", 0);
    expect(positionOf(world, "ann")).toEqual({ x: 1, y: 1 });
  });

  it("a square never moves onto another square", () => {
    const world = worldWith(ROOM, ["ghost", 5, 3], ["ann", 1, 1], ["bob", 2, 1]);
    applyInput(world, "ann", "RIGHT", 0);
    expect(positionOf(world, "ann")).toEqual({ x: 1, y: 1 });
    expect(positionOf(world, "bob")).toEqual({ x: 2, y: 1 });
  });
});

describe("ghost tag", () => {
  it("the ghost bumping a human passes the curse on, and neither moves", () => {
    const world = worldWith(ROOM, ["ghost", 1, 1], ["ann", 2, 1]);
    applyInput(world, "ghost", "RIGHT", 10_000);
    expect(world.ghost).toBe("ann");
    expect(positionOf(world, "ghost")).toEqual({ x: 1, y: 1 });
  });

  it("the new ghost cannot tag back before TAG_GRACE_MS has passed", () => {
    const world = worldWith(ROOM, ["ghost", 1, 1], ["ann", 2, 1]);
    applyInput(world, "ghost", "RIGHT", 10_000);

    applyInput(world, "ann", "LEFT", 10_000 + TAG_GRACE_MS - 1);
    expect(world.ghost).toBe("ann");

    applyInput(world, "ann", "LEFT", 10_000 + TAG_GRACE_MS);
    expect(world.ghost).toBe("ghost");
  });

  it("a human bumping the ghost, or another human, does not tag", () => {
    const world = worldWith(ROOM, ["ghost", 1, 1], ["ann", 2, 1], ["bob", 3, 1]);
    applyInput(world, "bob", "LEFT", 10_000);
    applyInput(world, "ann", "LEFT", 10_000);
    expect(world.ghost).toBe("ghost");
  });

  it("when the ghost leaves, the oldest remaining player inherits the curse", () => {
    const world = worldWith(ROOM, ["ghost", 1, 1], ["ann", 3, 1], ["bob", 5, 1]);
    removePlayer(world, "ghost");
    expect(world.ghost).toBe("ann");
  });
});

describe("addPlayer", () => {
  /** Three floor cells in a row: (1, 1), (2, 1) and (3, 1). */
  const CORRIDOR = mapFromRows(["#####", "#...#", "#####"]);

  it("spawns on the free floor cell farthest from the others; the first player is the ghost", () => {
    const world = createWorld(CORRIDOR);
    expect(addPlayer(world, "ann")).toEqual({ name: "ann", x: 1, y: 1 });
    expect(addPlayer(world, "bob")).toEqual({ name: "bob", x: 3, y: 1 });
    expect(addPlayer(world, "cid")).toEqual({ name: "cid", x: 2, y: 1 });
    expect(world.ghost).toBe("ann");
  });

  it("returns undefined when the house is full", () => {
    const world = createWorld(CORRIDOR);
    for (const name of ["ann", "bob", "cid"]) addPlayer(world, name);
    expect(addPlayer(world, "dan")).toBeUndefined();
    expect(world.players.size).toBe(3);
  });
});

describe("HOUSE_MAP", () => {
  it("every floor cell can be reached from every other", () => {
    const floor: Position[] = [];
    for (let y = 0; y < HOUSE_MAP.height; y++) {
      for (let x = 0; x < HOUSE_MAP.width; x++)
        if (!isWall(HOUSE_MAP, { x, y })) floor.push({ x, y });
    }
    // flood fill from one floor cell: if all cells are reached from it, all reach each other
    const reached = new Set<string>();
    const toVisit = [floor[0]!];
    for (let cell = toVisit.pop(); cell; cell = toVisit.pop()) {
      const key = `${cell.x},${cell.y}`;
      if (isWall(HOUSE_MAP, cell) || reached.has(key)) continue;
      reached.add(key);
      toVisit.push(
        { x: cell.x + 1, y: cell.y },
        { x: cell.x - 1, y: cell.y },
        { x: cell.x, y: cell.y + 1 },
        { x: cell.x, y: cell.y - 1 },
      );
    }
    expect(reached.size).toBe(floor.length);
  });

  it("fits an 80 × 24 terminal: two columns per cell, a name row and a status line", () => {
    expect(HOUSE_MAP.width * 2).toBeLessThanOrEqual(80);
    expect(HOUSE_MAP.height + 3).toBeLessThanOrEqual(24);
  });
});

describe("any sequence of inputs (property)", () => {
  /** Four players packed in the library's corner, so that they bump into walls and each other. */
  const CROWD: [string, number, number][] = [
    ["a", 1, 1],
    ["b", 2, 1],
    ["c", 1, 2],
    ["d", 2, 2],
  ];
  const moves = fc.array(
    fc.tuple(fc.integer({ min: 0, max: CROWD.length - 1 }), fc.constantFrom(...INPUTS)),
    { maxLength: 200, size: "max" },
  );

  /** Plays the moves, one every 100 ms so that tags happen too, and checks `invariant` after each. */
  const play = (sequence: [number, Input][], invariant: (world: World) => void) => {
    const world = worldWith(HOUSE_MAP, ...CROWD);
    sequence.forEach(([player, input], step) => {
      applyInput(world, CROWD[player]![0], input, step * 100);
      invariant(world);
    });
  };

  it("no square is ever inside a wall, and no two squares share a cell", () => {
    fc.assert(
      fc.property(moves, (sequence) =>
        play(sequence, (world) => {
          const squares = [...world.players.values()];
          expect(squares.filter((square) => isWall(HOUSE_MAP, square))).toEqual([]);
          expect(new Set(squares.map(({ x, y }) => `${x},${y}`)).size).toBe(squares.length);
        }),
      ),
    );
  });

  it("the index of occupied cells answers as a look at every square would, around every square", () => {
    // a square's own cell (NONE) and the four next to it
    const around = INPUTS.map((input) => stepFrom({ x: 0, y: 0 }, input));
    fc.assert(
      fc.property(moves, (sequence) =>
        play(sequence, (world) => {
          const squares = [...world.players.values()];
          for (const square of squares) {
            for (const { x, y } of around) {
              const cell = { x: square.x + x, y: square.y + y };
              const standing = squares.find((other) => other.x === cell.x && other.y === cell.y);
              expect(world.players.at(cell)).toBe(standing);
            }
          }
        }),
      ),
    );
  });

  it("moving never changes the number of players", () => {
    fc.assert(
      fc.property(moves, (sequence) =>
        play(sequence, (world) => expect(world.players.size).toBe(CROWD.length)),
      ),
    );
  });
});

describe("the index of occupied cells", () => {
  it("finds the square on a cell, follows it when it moves, forgets it when it leaves", () => {
    const world = worldWith(ROOM, ["ghost", 5, 3], ["ann", 1, 1]);
    expect(world.players.at({ x: 1, y: 1 })?.name).toBe("ann");
    applyInput(world, "ann", "RIGHT", 0);
    expect(world.players.at({ x: 1, y: 1 })).toBeUndefined();
    expect(world.players.at({ x: 2, y: 1 })?.name).toBe("ann");
    removePlayer(world, "ann");
    expect(world.players.at({ x: 2, y: 1 })).toBeUndefined();
  });

  it("finds nobody off the map, where y × width + x would name a cell of the next or previous row", () => {
    // ROOM is 7 × 5: x = -1 of row 2 would be x = 6 of row 1, and x = 7 of row 0 would be x = 0 of row 1.
    const world = worldWith(ROOM, ["ann", 6, 1], ["bob", 0, 1]);
    expect(world.players.at({ x: -1, y: 2 })).toBeUndefined();
    expect(world.players.at({ x: 7, y: 0 })).toBeUndefined();
    expect(world.players.at({ x: 6, y: 1 })?.name).toBe("ann");
    // a square a hostile server put off the map is in the world, but on no cell
    world.players.set("eve", { name: "eve", x: -1, y: 2 });
    expect(world.players.at({ x: -1, y: 2 })).toBeUndefined();
    expect(world.players.at({ x: 6, y: 1 })?.name).toBe("ann");
  });

  it("a move keeps the order of arrival, so the oldest still inherits the curse", () => {
    const world = worldWith(ROOM, ["ghost", 5, 3], ["ann", 1, 1], ["bob", 3, 1]);
    applyInput(world, "ann", "DOWN", 0);
    removePlayer(world, "ghost");
    expect(world.ghost).toBe("ann");
  });
});

describe("addPlayer, against the rule written the slow way", () => {
  /** The rule as it reads: every free floor cell, its distance to the nearest square, the first farthest. */
  function farthestFreeCell(world: World): Position | undefined {
    let best: { cell: Position; distance: number } | undefined;
    for (let y = 0; y < world.map.height; y++) {
      for (let x = 0; x < world.map.width; x++) {
        const squares = [...world.players.values()];
        if (isWall(world.map, { x, y }) || squares.some((s) => s.x === x && s.y === y)) continue;
        const distance = Math.min(...squares.map((s) => Math.abs(s.x - x) + Math.abs(s.y - y)));
        if (!best || distance > best.distance) best = { cell: { x, y }, distance };
      }
    }
    return best?.cell;
  }

  /** A map with walls around and anywhere inside, and some of its floor cells taken by squares. */
  const crowdedMap = fc
    .record({ width: fc.integer({ min: 3, max: 12 }), height: fc.integer({ min: 3, max: 9 }) })
    .chain(({ width, height }) =>
      fc.tuple(
        fc.array(fc.array(fc.boolean(), { minLength: width, maxLength: width }), {
          minLength: height,
          maxLength: height,
        }),
        fc.array(fc.tuple(fc.nat(width - 1), fc.nat(height - 1)), { maxLength: 12 }),
      ),
    );

  it("spawns on the same cell, whatever the map and the squares", () => {
    fc.assert(
      fc.property(crowdedMap, ([walls, squares]) => {
        const rows = walls.map((row, y) =>
          row
            .map((wall, x) =>
              wall || y === 0 || x === 0 || y === walls.length - 1 || x === row.length - 1
                ? "#"
                : ".",
            )
            .join(""),
        );
        const world = createWorld(mapFromRows(rows));
        squares.forEach(([x, y], i) => {
          if (!isWall(world.map, { x, y }) && !world.players.at({ x, y }))
            world.players.set(`p${i}`, { name: `p${i}`, x, y });
        });
        const expected = farthestFreeCell(world);
        const added = addPlayer(world, "new");
        expect(added && { x: added.x, y: added.y }).toEqual(expected);
      }),
    );
  });
});
