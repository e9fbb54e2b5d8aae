/**
 * Client-side prediction with tick-tagged inputs (step 11).
 *
 * Step 07's prediction had to work out which of its frames a state covers,
 * from the ack and the tick its change was first applied in. With inputs tagged
 * with their tick, it is plain: the state of tick T holds every input up to T,
 * and none after. The client starts from where the server has its square in
 * tick T and replays its inputs for the ticks after T, the same inputs at the
 * same ticks as the server will apply them: a correction now means another
 * square moved where the client did not expect it.
 */
import type { Input } from "./game.ts";
import type { GameMap, Position } from "./map.ts";
import { type Prediction, correct, fixesInWords, replay } from "./prediction.ts";
import type { GameState } from "./state.ts";

export class TickedPrediction {
  /** where the client shows its own square: its best guess of where the server will have it */
  position: Position | undefined;
  /** how often, and by how many cells in all, a state proved the guess wrong; `blocked`: near others */
  readonly corrections: Prediction["corrections"] = { count: 0, cells: 0, blocked: 0 };
  /** the inputs of the ticks no state has covered yet, by tick, oldest first */
  private readonly pending = new Map<number, Input>();

  /** The corrections as the status line says them: "1 fix (1 cell)", "3 fixes (5 cells)". */
  fixesInWords(): string {
    return fixesInWords(this.corrections);
  }

  constructor(
    readonly map: GameMap,
    readonly name: string,
  ) {}

  /** The input for `tick`, sent: move the own square now, among the others as last seen. */
  step(tick: number, input: Input, state: GameState): void {
    this.pending.set(tick, input);
    if (this.position) this.position = replay(this.map, this.name, this.position, [input], state);
  }

  /** The state of tick `state.tick` arrived: start from the server's square, replay later ticks. */
  reconcile(state: GameState & { tick: number }): void {
    const own = state.players.find((square) => square.name === this.name);
    if (!own) return;
    for (const tick of this.pending.keys()) if (tick <= state.tick) this.pending.delete(tick);
    const inputs = [...this.pending.values()];
    this.position = correct(this.position, this, own, inputs, state);
  }
}
