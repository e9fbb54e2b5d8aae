/**
 * The ping of the steps where the server no longer answers each message
 * (05 on): the time from sending a new direction to the first state that
 * shows the square moving that way.
 */
import { type Input, stepFrom } from "./game.ts";
import type { Position } from "./map.ts";

/** A new direction not seen within this long (walked into a wall, or lost) is not timed. */
const GIVE_UP_MS = 2000;

export class ReactionTimer {
  private lastInput: Input = "NONE";
  private waiting: { input: Input; from: Position; sentAt: number } | undefined;

  /** Call for every input sent, with where the square was last seen. */
  inputSent(input: Input, position: Position | undefined, now: number): void {
    if (input !== this.lastInput && input !== "NONE" && position)
      this.waiting = { input, from: position, sentAt: now };
    this.lastInput = input;
  }

  /**
   * Call for every state shown: returns the reaction
   * time in ms when this state shows the awaited move.
   */
  stateShown(position: Position | undefined, now: number): number | undefined {
    if (!this.waiting || !position) return undefined;
    const { input, from, sentAt } = this.waiting;
    const step = stepFrom({ x: 0, y: 0 }, input);
    const movedThatWay = (position.x - from.x) * step.x + (position.y - from.y) * step.y > 0;
    if (movedThatWay || now - sentAt > GIVE_UP_MS) this.waiting = undefined;
    return movedThatWay ? now - sentAt : undefined;
  }
}
