/**
 * Client-side prediction with reconciliation (step 07).
 *
 * The client moves its own square at once, by the same rule the server uses,
 * instead of waiting a round trip to see it move. When a state arrives, it
 * starts again from where the server has the square and replays the frames
 * the server has not simulated yet, so a wrong guess is corrected once.
 */
import { type Input, applyInput, createWorld } from "./game.ts";
import type { GameMap, Position } from "./map.ts";
import type { GameState } from "./state.ts";

export class Prediction {
  /** where the client shows its own square: its best guess of where the server will have it */
  position: Position | undefined;
  /** how often, and by how many cells in all, a state proved the guess wrong */
  readonly corrections = { count: 0, cells: 0 };

  /** The corrections as the status line says them: "1 fix (1 cell)", "3 fixes (5 cells)". */
  fixesInWords(): string {
    const { count, cells } = this.corrections;
    return `${count} ${count === 1 ? "fix" : "fixes"} (${cells} ${cells === 1 ? "cell" : "cells"})`;
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
    private readonly map: GameMap,
    private readonly name: string,
  ) {}

  /** One local frame: move the own square now, among the others as last seen. */
  step(input: Input, seq: number, state: GameState): void {
    this.frame++;
    if (!this.firstFrames.has(seq)) this.firstFrames.set(seq, this.frame);
    this.history.push({ frame: this.frame, input, seq });
    if (this.position) this.position = this.replay(this.position, [input], state);
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

    const replayed = this.replay(
      own,
      this.history.map(({ input }) => input),
      state,
    );
    if (this.position && (this.position.x !== replayed.x || this.position.y !== replayed.y)) {
      this.corrections.count++;
      this.corrections.cells +=
        Math.abs(this.position.x - replayed.x) + Math.abs(this.position.y - replayed.y);
    }
    this.position = replayed;
  }

  /**
   * The server's movement rule, applied to the own square
   * on a copy of the world as the client last saw it.
   */
  private replay(from: Position, inputs: Input[], state: GameState): Position {
    const world = createWorld(this.map);
    for (const { name, x, y } of state.players) world.players.set(name, { name, x, y });
    world.players.set(this.name, { name: this.name, x: from.x, y: from.y });
    for (const input of inputs) applyInput(world, this.name, input, 0);
    const { x, y } = world.players.get(this.name)!;
    return { x, y };
  }
}
