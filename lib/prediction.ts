/**
 * Client-side prediction with reconciliation (step 07).
 *
 * The client moves its own square at once, by the same rule the server uses,
 * instead of waiting a round trip to see it move. When a state arrives, it
 * starts again from where the server has the square and replays the frames
 * the server has not simulated yet, so a wrong guess is corrected once.
 */
import { type Input, type World, applyInput, createWorld } from "./game.ts";
import type { GameMap, Position } from "./map.ts";
import type { GameState } from "./state.ts";

export class Prediction {
  /** where the client shows its own square: its best guess of where the server will have it */
  position: Position | undefined;
  /**
   * how often, and by how many cells in all, a state proved the guess wrong; and how many of those
   * times another square stood near enough to be the cause (see `correct`)
   */
  readonly corrections = { count: 0, cells: 0, blocked: 0 };

  /** The corrections as the status line says them: "1 fix (1 cell)", "3 fixes (5 cells)". */
  fixesInWords(): string {
    return fixesInWords(this.corrections);
  }

  private frame = 0;
  /**
   * every local frame the server may not have simulated
   * yet: its input, and the change it belongs to
   */
  private history: { frame: number; input: Input; seq: number }[] = [];
  /** the first local frame of each change not yet replaced by a newer one */
  private readonly firstFrames = new Map<number, number>();

  constructor(
    readonly map: GameMap,
    readonly name: string,
  ) {}

  /** One local frame: move the own square now, among the others as last seen. */
  step(input: Input, seq: number, state: GameState): void {
    this.frame++;
    if (!this.firstFrames.has(seq)) this.firstFrames.set(seq, this.frame);
    this.history.push({ frame: this.frame, input, seq });
    if (this.position) this.position = replay(this.map, this.name, this.position, [input], state);
  }

  /** A state arrived: take the server's position, drop the frames it covers, replay the rest. */
  reconcile(state: GameState): void {
    const own = state.players.find((square) => square.name === this.name);
    if (!own || state.tick === undefined || own.ackTick === undefined) return;
    const ack = own.ack ?? 0;
    for (const seq of this.firstFrames.keys()) if (seq < ack) this.firstFrames.delete(seq);
    // The server first applied change `ack` in tick ackTick, the same move the client made in that
    // change's first frame; from then on one tick is one frame. So this state covers the change's
    // frames up to its first frame + (tick − ackTick), and none of the newer changes' frames.
    const firstFrame = this.firstFrames.get(ack) ?? Infinity;
    const coveredUntil = firstFrame + (state.tick - own.ackTick);
    this.history = this.history.filter(
      ({ frame, seq }) => seq > ack || (seq === ack && frame > coveredUntil),
    );

    const inputs = this.history.map(({ input }) => input);
    this.position = correct(this.position, this, own, inputs, state);
  }
}

/**
 * A world for each map to replay on, emptied each time: a world's index of occupied cells has a
 * place for every cell of its map (lib/game.ts), an array of 12,393 on the mansion, too many to
 * make and fill every frame. Its ghost stays null: a replay moves one square and tags nobody.
 */
const replayWorlds = new WeakMap<GameMap, World>();

/**
 * The server's movement rule, applied to `name`'s square from `from`
 * on a copy of the world as the client last saw it.
 */
export function replay(
  map: GameMap,
  name: string,
  from: Position,
  inputs: Input[],
  state: GameState,
): Position {
  let world = replayWorlds.get(map);
  if (!world) {
    world = createWorld(map);
    replayWorlds.set(map, world);
  }
  world.players.clear();
  for (const { name: other, x, y } of state.players)
    world.players.set(other, { name: other, x, y });
  world.players.set(name, { name, x: from.x, y: from.y });
  for (const input of inputs) applyInput(world, name, input, 0);
  const { x, y } = world.players.get(name)!;
  return { x, y };
}

/** Corrections as a status line says them: "1 fix (1 cell)", "3 fixes (5 cells)". */
export function fixesInWords({ count, cells }: Prediction["corrections"]): string {
  return `${count} ${count === 1 ? "fix" : "fixes"} (${cells} ${cells === 1 ? "cell" : "cells"})`;
}

/** Cells between two places, walking: the moves one square needs to reach the other's cell. */
const cellsBetween = (a: Position, b: Position) => Math.abs(a.x - b.x) + Math.abs(a.y - b.y);

/**
 * The new guess: the server's square `own` with the `inputs` it has not applied yet replayed on
 * it, counted as a correction when it differs from the old guess. A correction with another
 * square within as many cells as inputs replayed (plus 2: it may have stood next to us, and moved
 * since) of either place is counted as `blocked`: that square may have stood in the way on the
 * server or in the replay, and no clock or input buffer can foresee another player's move.
 */
export function correct(
  guess: Position | undefined,
  {
    map,
    name,
    corrections,
  }: { map: GameMap; name: string; corrections: Prediction["corrections"] },
  own: Position,
  inputs: Input[],
  state: GameState,
): Position {
  const replayed = replay(map, name, own, inputs, state);
  const reach = inputs.length;
  if (!guess || cellsBetween(guess, replayed) === 0) return replayed;
  corrections.count++;
  corrections.cells += cellsBetween(guess, replayed);
  const near = (square: Position) =>
    Math.min(cellsBetween(square, guess), cellsBetween(square, replayed)) <= reach + 2;
  if (state.players.some((square) => square.name !== name && near(square))) corrections.blocked++;
  return replayed;
}
