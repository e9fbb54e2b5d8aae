/**
 * The game rules: players, the one movement rule, and ghost tag.
 *
 * Pure logic with no sockets in it: every step's server calls these functions,
 * and the client of the last step calls the same movement rule to predict.
 */
import { type GameMap, type Position, isWall } from "./map.ts";

export const INPUTS = ["UP", "DOWN", "LEFT", "RIGHT", "NONE"] as const;
export type Input = (typeof INPUTS)[number];

const STEP: Record<Input, Position> = {
  UP: { x: 0, y: -1 },
  DOWN: { x: 0, y: 1 },
  LEFT: { x: -1, y: 0 },
  RIGHT: { x: 1, y: 0 },
  NONE: { x: 0, y: 0 },
};

/**
 * After a tag the new ghost cannot tag anyone for this
 * long, so the curse cannot bounce straight back.
 */
export const TAG_GRACE_MS = 2000;

export interface Square {
  readonly name: string;
  readonly x: number;
  readonly y: number;
}

/**
 * The squares by name, in order of arrival, and by the cell each stands on.
 * With a thousand players, "who stands on this cell?" is asked on every move:
 * the index answers it in one look instead of a look at every square. Two
 * squares never share a cell (the rules see to it), so a cell holds one square.
 *
 * The index is an array with a place for every cell (x, y at y × width + x, as
 * the map's rooms), not a Map keyed by "x,y": every move built two such keys and
 * left the Map's table to be copied as cells emptied and filled, garbage that
 * outlived V8's young generation. At 1,000 players step 10's server kept 7.3 to
 * 7.6 MB past that generation in 8 s, 4.0 to 4.3 with the array (bench/README.md,
 * "Garbage that outlived the young generation").
 */
export class Squares extends Map<string, Square> {
  private readonly byCell: (Square | undefined)[];

  constructor(private readonly map: GameMap) {
    super();
    this.byCell = new Array<Square | undefined>(map.width * map.height).fill(undefined);
  }

  at(cell: Position): Square | undefined {
    const place = this.placeOf(cell);
    return place === -1 ? undefined : this.byCell[place];
  }

  /**
   * Puts a square on its cell, moving it there if it stood
   * elsewhere; a square keeps its place in the order of arrival.
   */
  override set(name: string, square: Square): this {
    this.forgetCell(this.get(name));
    const place = this.placeOf(square);
    if (place !== -1) this.byCell[place] = square;
    return super.set(name, square);
  }

  override delete(name: string): boolean {
    this.forgetCell(this.get(name));
    return super.delete(name);
  }

  /** Empties the cells of the squares only: a replay clears a world of a few squares every frame. */
  override clear(): void {
    for (const square of this.values()) this.forgetCell(square);
    super.clear();
  }

  /**
   * Where `cell` is in the index, y × width + x; -1 (none) off the map, where y × width + x would
   * be another cell or none (a square off the map is a hostile server's, and is not indexed).
   */
  private placeOf({ x, y }: Position): number {
    const { width, height } = this.map;
    return x >= 0 && x < width && y >= 0 && y < height ? y * width + x : -1;
  }

  private forgetCell(square: Square | undefined): void {
    if (square && this.at(square) === square) this.byCell[this.placeOf(square)] = undefined;
  }
}

export interface World {
  readonly map: GameMap;
  /** in order of arrival: the oldest player inherits the curse when the ghost leaves */
  readonly players: Squares;
  ghost: string | null;
  lastTagAt: number;
}

export function createWorld(map: GameMap): World {
  return { map, players: new Squares(map), ghost: null, lastTagAt: -Infinity };
}

/** Where a newcomer is put: a free floor cell of the world, or undefined when there is none. */
export type SpawnRule = (world: World) => Position | undefined;

/**
 * Adds a player on the cell `spawn` picks: by default the free floor cell farthest from everyone
 * else (so nobody spawns next to the ghost). Returns undefined when the house is full.
 */
export function addPlayer(
  world: World,
  name: string,
  spawn: SpawnRule = farthestFreeCell,
): Square | undefined {
  const cell = spawn(world);
  if (!cell) return undefined;
  const player = { name, ...cell };
  world.players.set(name, player);
  world.ghost ??= name;
  return player;
}

/**
 * The free floor cell farthest from every square, the first in reading order of the farthest.
 * Fair where everyone sees everything; in the dark (step 09) it tells where the others are not.
 */
export function farthestFreeCell(world: World): Position | undefined {
  const { width, height } = world.map;
  const distances = distancesToNearestSquare(world);
  let best: { cell: Position; distance: number } | undefined;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const distance = distances[y * width + x]!;
      if (distance === 0 || isWall(world.map, { x, y })) continue; // 0: a square stands there
      if (!best || distance > best.distance) best = { cell: { x, y }, distance };
    }
  }
  return best?.cell;
}

/**
 * For every cell, row after row, how many steps (up, down, left, right, through
 * walls too) it is from the nearest square: Infinity when there is none. Two
 * sweeps over the map, whatever the number of squares: the first carries each
 * distance right and down, the second left and up.
 */
function distancesToNearestSquare({ map, players }: World): Float64Array {
  const { width, height } = map;
  const distances = new Float64Array(width * height).fill(Infinity);
  for (const { x, y } of players.values()) distances[y * width + x] = 0;
  for (let i = 0; i < width * height; i++) {
    if (i % width > 0) distances[i] = Math.min(distances[i]!, distances[i - 1]! + 1);
    if (i >= width) distances[i] = Math.min(distances[i]!, distances[i - width]! + 1);
  }
  for (let i = width * height - 1; i >= 0; i--) {
    if (i % width < width - 1) distances[i] = Math.min(distances[i]!, distances[i + 1]! + 1);
    if (i < width * (height - 1)) distances[i] = Math.min(distances[i]!, distances[i + width]! + 1);
  }
  return distances;
}

export function removePlayer(world: World, name: string): void {
  world.players.delete(name);
  if (world.ghost === name) world.ghost = world.players.keys().next().value ?? null;
}

/** Where `input` would take a square standing at `from`, ignoring everything in the way. */
export function stepFrom(from: Position, input: Input): Position {
  return { x: from.x + STEP[input].x, y: from.y + STEP[input].y };
}

/**
 * Who the ghost tags by stepping onto `cell`: by default whoever stands there now. Lag
 * compensation (lib/rewind.ts) judges instead whoever stood there on the ghost's screen.
 */
export type TagJudge = (cell: Position) => Square | undefined;

/**
 * The one movement rule: a square moves one cell, never into a wall nor onto
 * another square. The ghost stepping onto a human passes the curse on: the
 * human `judge` finds on that cell (by default whoever stands there now), if
 * they are still in the game.
 */
export function applyInput(
  world: World,
  name: string,
  input: Input,
  now: number,
  judge?: TagJudge,
): void {
  const player = world.players.get(name);
  if (!player || input === "NONE") return;
  const target = stepFrom(player, input);
  if (isWall(world.map, target)) return;
  // No default judge, and the square written out, not { name, ...target }: a closure made and a
  // spread for every move took a move 0.13 µs instead of 0.09 (1,000 players on the mansion, in one
  // process), too little to see in a server's CPU; the code says the same with less.
  let tagged: Square | undefined;
  if (world.ghost === name) tagged = judge ? judge(target) : world.players.at(target);
  if (!world.players.at(target)) world.players.set(name, { name, x: target.x, y: target.y });
  if (!tagged || tagged.name === name || !world.players.has(tagged.name)) return;
  if (now - world.lastTagAt < TAG_GRACE_MS) return;
  world.ghost = tagged.name;
  world.lastTagAt = now;
}
