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

/** After a tag the new ghost cannot tag anyone for this long, so the curse cannot bounce straight back. */
export const TAG_GRACE_MS = 2000;

export interface Square {
  readonly name: string;
  x: number;
  y: number;
}

export interface World {
  readonly map: GameMap;
  /** in order of arrival: the oldest player inherits the curse when the ghost leaves */
  readonly players: Map<string, Square>;
  ghost: string | null;
  lastTagAt: number;
}

export function createWorld(map: GameMap): World {
  return { map, players: new Map(), ghost: null, lastTagAt: -Infinity };
}

export function playerAt(world: World, { x, y }: Position): Square | undefined {
  for (const player of world.players.values()) {
    if (player.x === x && player.y === y) return player;
  }
  return undefined;
}

/**
 * Adds a player on the free floor cell farthest from everyone else (so nobody
 * spawns next to the ghost). Returns undefined when the house is full.
 */
export function addPlayer(world: World, name: string): Square | undefined {
  let best: { cell: Position; distance: number } | undefined;
  for (let y = 0; y < world.map.height; y++) {
    for (let x = 0; x < world.map.width; x++) {
      const cell = { x, y };
      if (isWall(world.map, cell) || playerAt(world, cell)) continue;
      let distance = Infinity;
      for (const other of world.players.values()) {
        distance = Math.min(distance, Math.abs(other.x - x) + Math.abs(other.y - y));
      }
      if (!best || distance > best.distance) best = { cell, distance };
    }
  }
  if (!best) return undefined;
  const player = { name, ...best.cell };
  world.players.set(name, player);
  world.ghost ??= name;
  return player;
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
 * The one movement rule: a square moves one cell, never into a wall nor onto
 * another square. The ghost bumping into a human passes the curse on.
 */
export function applyInput(world: World, name: string, input: Input, now: number): void {
  const player = world.players.get(name);
  if (!player || input === "NONE") return;
  const target = stepFrom(player, input);
  if (isWall(world.map, target)) return;
  const other = playerAt(world, target);
  if (!other) {
    player.x = target.x;
    player.y = target.y;
  } else if (world.ghost === name && now - world.lastTagAt >= TAG_GRACE_MS) {
    world.ghost = other.name;
    world.lastTagAt = now;
  }
}
