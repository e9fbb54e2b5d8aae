/**
 * Interest management (step 09): the mansion is dark, every player carries a
 * lantern, and the state a player receives holds only the squares it lights.
 *
 * The reach is a circle of LANTERN_REACH = 8 cells, straight-line distance,
 * and the light goes through walls:
 * - To play and to flee, a player must see the ghost before it can reach them.
 *   A ghost 8 steps away is 0.4 s away at 20 ticks a second, more than a
 *   person's reaction time, and it is exactly the distance at which lib/bot.ts
 *   starts to flee (FLEE_STEPS). A path is never shorter than the straight
 *   line, so every ghost that can reach you in 8 steps is in your light, even
 *   around a corner or behind a door. Light stopped by walls (the room you are
 *   in) would hide a ghost one step behind a doorway.
 * - An 80 × 24 terminal shows 40 × 20 cells of the mansion around you: a
 *   circle 17 cells across fits in it, with the dark around it to tell you the
 *   lantern ends there. A cell is two columns wide, so the circle looks round.
 * - Bytes: the circle holds about 200 cells, 160 of them floor on the mansion.
 *   1,000 players fill it as densely as 64 fill the house, one floor cell in
 *   ten, so a state holds about 16 squares: 250 bytes as a STATE, half that as
 *   a delta (lib/delta.ts). In a crush (the house full, 624 players) the circle
 *   could hold 150 squares; a state holds at most MOST_SQUARES_LIT, the
 *   nearest, so that any state fits one datagram (lib/delta.ts says the sums).
 * - Cost: one multiplication a square. Line of sight would cost a walk along
 *   a ray for every square in reach, for every player, 20 times a second.
 *
 * Every player's state is now their own: at 1,000 players and 20 ticks a
 * second the server picks 20,000 sets of squares a second. Looking at every
 * square for every player would be 20 million looks a second; a grid of
 * buckets, LANTERN_REACH cells on a side and rebuilt each tick, turns each
 * pick into a look at the 3 × 3 buckets around the player (about 45 squares):
 * about 1 ms a tick for 1,000 players, 2 % of a core, where looking at every
 * square took 4.3 ms (measured on a shared 2-core machine).
 */
import type { Square, World } from "./game.ts";
import type { Position } from "./map.ts";

/** How far a lantern lights, in cells: straight-line distance, through walls. */
export const LANTERN_REACH = 8;
/** The most squares a state holds: in a crowd, the nearest, so that a state always fits a datagram. */
export const MOST_SQUARES_LIT = 32;

/** Whether `cell` is in the light of a lantern carried at `carrier`. */
export function isLit(carrier: Position, cell: Position, reach = LANTERN_REACH): boolean {
  const dx = cell.x - carrier.x;
  const dy = cell.y - carrier.y;
  return dx * dx + dy * dy <= reach * reach;
}

/** The upper one first; on one row, the left one. */
const upperThenLeft = (a: Position, b: Position) => a.y - b.y || a.x - b.x;

/**
 * The MOST_SQUARES_LIT squares of `lit` nearest to `carrier`: those nearer than the farthest
 * distance kept, in `lit`'s order (the carrier's first), then those at that distance, the upper
 * then the left one first. Two squares never share a cell, so every server picks the same squares
 * when it must leave some out.
 *
 * A squared distance is a whole number up to reach², so counting the squares at each one finds
 * the farthest distance kept, and only the squares at that distance are sorted. At 2,000 players
 * on the mansion crowds are common: sorting them all, the lanterns took 19.5 % of step 13's busy
 * time; counting, 15.3 % (bench/README.md, "A lantern in a crowd").
 */
function nearest(lit: Square[], carrier: Position, reach: number): Square[] {
  const distance = ({ x, y }: Position) => (x - carrier.x) ** 2 + (y - carrier.y) ** 2;
  const atDistance = new Array<number>(Math.floor(reach * reach) + 1).fill(0);
  for (const square of lit) atDistance[distance(square)]!++;
  // the squared distance of the farthest squares kept, and how many squares are nearer
  let edge = 0;
  let nearer = 0;
  while (nearer + atDistance[edge]! < MOST_SQUARES_LIT) {
    nearer += atDistance[edge]!;
    edge++;
  }
  const atTheEdge = lit.filter((square) => distance(square) === edge).sort(upperThenLeft);
  return [
    ...lit.filter((square) => distance(square) < edge),
    ...atTheEdge.slice(0, MOST_SQUARES_LIT - nearer),
  ];
}

/** `value` brought into 0 … size - 1. (A closure made in every pick was 0.5 % of step 10's server.) */
function clamp(value: number, size: number): number {
  return Math.max(0, Math.min(size - 1, value));
}

/**
 * Every player's lantern in one tick: build it once the tick's moves are done,
 * then ask it for each player. It sees the world as it was when it was built.
 */
export class Lanterns {
  private readonly squares: ReadonlyMap<string, Square>;
  /** bucket (column, row) holds the squares on the reach × reach cells from (column × reach, row × reach) */
  private readonly buckets: Square[][];
  private readonly columns: number;
  private readonly rows: number;

  constructor(
    world: World,
    private readonly reach = LANTERN_REACH,
  ) {
    this.squares = new Map(world.players);
    this.columns = Math.ceil(world.map.width / reach);
    this.rows = Math.ceil(world.map.height / reach);
    this.buckets = Array.from({ length: this.columns * this.rows }, () => []);
    for (const square of this.squares.values()) {
      const column = Math.floor(square.x / reach);
      const row = Math.floor(square.y / reach);
      this.buckets[row * this.columns + column]!.push(square);
    }
  }

  /**
   * The squares in the light of `name`'s lantern: their own first, then the
   * others (in no particular order); none for a name not in the world. In a
   * crowd of more than MOST_SQUARES_LIT, the nearest.
   */
  around(name: string): Square[] {
    const carrier = this.squares.get(name);
    if (!carrier) return [];
    const { reach } = this;
    const firstColumn = clamp(Math.floor((carrier.x - reach) / reach), this.columns);
    const lastColumn = clamp(Math.floor((carrier.x + reach) / reach), this.columns);
    const firstRow = clamp(Math.floor((carrier.y - reach) / reach), this.rows);
    const lastRow = clamp(Math.floor((carrier.y + reach) / reach), this.rows);
    const lit = [carrier];
    for (let row = firstRow; row <= lastRow; row++) {
      for (let column = firstColumn; column <= lastColumn; column++) {
        for (const square of this.buckets[row * this.columns + column]!)
          if (square !== carrier && isLit(carrier, square, reach)) lit.push(square);
      }
    }
    return lit.length <= MOST_SQUARES_LIT ? lit : nearest(lit, carrier, reach);
  }
}
