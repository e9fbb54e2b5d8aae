/**
 * The lantern (lib/lantern.ts): the squares each player's state holds in step 09,
 * picked through a grid of buckets, checked against a look at every square.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FLEE_STEPS } from "../lib/bot.ts";
import { type Square, type World, addPlayer, applyInput, createWorld } from "../lib/game.ts";
import { LANTERN_REACH, Lanterns, MOST_SQUARES_LIT, isLit } from "../lib/lantern.ts";
import { HOUSE_MAP, MANSION_MAP, type GameMap, type Position, isWall } from "../lib/map.ts";
import { seededRandom } from "../lib/random.ts";

const floorOf = (map: GameMap): Position[] =>
  map.rows.flatMap((row, y) => [...row].flatMap((cell, x) => (cell === "." ? [{ x, y }] : [])));
const FLOOR = { house: floorOf(HOUSE_MAP), mansion: floorOf(MANSION_MAP) };

/** A world with a square named p0, p1, … on each of `cells`. */
function worldOn(map: GameMap, cells: readonly Position[]): World {
  const world = createWorld(map);
  cells.forEach((cell, i) => world.players.set(`p${i}`, { name: `p${i}`, ...cell }));
  return world;
}

/**
 * What the lantern must answer, by looking at every square: those within `reach` of
 * the carrier (straight-line distance), or in a crowd the MOST_SQUARES_LIT nearest
 * (the upper, then the left one first at the same distance).
 */
function bruteForce(world: World, name: string, reach: number): Square[] {
  const carrier = world.players.get(name)!;
  const distance = ({ x, y }: Position) => (x - carrier.x) ** 2 + (y - carrier.y) ** 2;
  return [...world.players.values()]
    .filter((square) => distance(square) <= reach * reach)
    .sort((a, b) => distance(a) - distance(b) || a.y - b.y || a.x - b.x)
    .slice(0, MOST_SQUARES_LIT);
}

const byName = (squares: readonly Square[]) =>
  [...squares].sort((a, b) => (a.name < b.name ? -1 : 1));

/** Any crowd on either map: 1 to 900 squares on distinct floor cells, picked by a seed. */
const crowd = fc
  .record({
    mapName: fc.constantFrom("house" as const, "mansion" as const),
    share: fc.double({ min: 0, max: 1, noNaN: true }),
    seed: fc.integer(),
  })
  .map(({ mapName, share, seed }) => {
    const cells = [...FLOOR[mapName]];
    const random = seededRandom(seed);
    for (let i = cells.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [cells[i], cells[j]] = [cells[j]!, cells[i]!];
    }
    const count = 1 + Math.floor(share * Math.min(cells.length - 1, 899));
    return { map: mapName === "house" ? HOUSE_MAP : MANSION_MAP, cells: cells.slice(0, count) };
  });

describe("Lanterns", () => {
  it("gives every player exactly the squares within reach, their own first (property)", () => {
    fc.assert(
      fc.property(crowd, fc.integer({ min: 1, max: 12 }), ({ map, cells }, reach) => {
        const world = worldOn(map, cells);
        const lanterns = new Lanterns(world, reach);
        for (const name of world.players.keys()) {
          const lit = lanterns.around(name);
          expect(lit[0]!.name).toBe(name);
          expect(byName(lit)).toEqual(byName(bruteForce(world, name, reach)));
        }
      }),
      { numRuns: 60 },
    );
  });

  it("in a crush, lights only the nearest MOST_SQUARES_LIT squares, the upper then the left at a tie", () => {
    const world = worldOn(HOUSE_MAP, FLOOR.house); // every floor cell of the house taken
    const lanterns = new Lanterns(world);
    for (const name of ["p0", "p300", "p623"]) {
      const lit = lanterns.around(name);
      expect(lit).toHaveLength(MOST_SQUARES_LIT);
      expect(lit[0]!.name).toBe(name);
      expect(byName(lit)).toEqual(byName(bruteForce(world, name, LANTERN_REACH)));
    }
  });

  it("lights through walls: a square in the next room, 3 cells away, is in the light", () => {
    // the library's east wall is column 12: (10, 2) is in the library, (13, 2) in the kitchen
    expect(isWall(HOUSE_MAP, { x: 12, y: 2 })).toBe(true);
    const world = worldOn(HOUSE_MAP, [
      { x: 10, y: 2 },
      { x: 13, y: 2 },
      { x: 10 + LANTERN_REACH + 1, y: 2 },
    ]);
    expect(new Lanterns(world).around("p0").map(({ name }) => name)).toEqual(["p0", "p1"]);
  });

  it("reaches every ghost a bot would flee from, whichever way it comes", () => {
    // a path is never shorter than a straight line: FLEE_STEPS steps away is at most that far
    const carrier = { x: 60, y: 40 };
    for (let dx = -FLEE_STEPS; dx <= FLEE_STEPS; dx++) {
      const dy = FLEE_STEPS - Math.abs(dx);
      expect(isLit(carrier, { x: carrier.x + dx, y: carrier.y + dy })).toBe(true);
      expect(isLit(carrier, { x: carrier.x + dx, y: carrier.y - dy })).toBe(true);
    }
  });

  it("answers for the world as it was built, and nothing for a stranger", () => {
    const world = createWorld(MANSION_MAP);
    for (const name of ["ann", "bob"]) addPlayer(world, name);
    world.players.set("bob", { name: "bob", x: 60, y: 40 });
    world.players.set("ann", { name: "ann", x: 63, y: 40 });
    const lanterns = new Lanterns(world);
    applyInput(world, "bob", "UP", 0); // after the build: not seen by this tick's lanterns
    expect(lanterns.around("ann")).toEqual([
      { name: "ann", x: 63, y: 40 },
      { name: "bob", x: 60, y: 40 },
    ]);
    expect(lanterns.around("cy")).toEqual([]);
  });
});
