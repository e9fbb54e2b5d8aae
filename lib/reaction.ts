/**
 * The ping of the steps where the server no longer answers each message
 * (05 on): the time from sending a new direction to the first state that
 * shows the square moving that way.
 *
 * A step onto another square is refused by the server (the ghost tags instead),
 * and a held key moves the square only once the other has gone: a wait that sees
 * a square on the cell it steps to ends untimed. Timed, it was the other player's
 * time, not the network's: in `npm run bench`, where bots push into a crowd, step
 * 10's p99 at 1,000 players was 81 to 577 ms in five runs (a probe times a few
 * dozen reactions, so one long push sets it), and 58 ms in the first run with
 * pushes untimed. The rule also drops a wait whose square left that cell in time,
 * seen in a state made before the input arrived: in a crowd it leaves out some
 * reactions of a tick or two, and a p99 near the tick's length reads a little low.
 */
import { type Input, stepFrom } from "./game.ts";
import type { Position } from "./map.ts";
import type { GameState } from "./state.ts";

/** A new direction not seen within this long (walked into a wall, or lost) is not timed. */
const GIVE_UP_MS = 2000;

export class ReactionTimer {
  private lastInput: Input = "NONE";
  private waiting: { input: Input; from: Position; to: Position; sentAt: number } | undefined;

  /** `you`: the name of the square this client moves. */
  constructor(private readonly you: string) {}

  /** Call for every input sent, with the state shown when it was sent. */
  inputSent(input: Input, shown: GameState | undefined, now: number): void {
    const from = this.positionIn(shown);
    if (input !== this.lastInput && input !== "NONE" && from)
      this.waiting = { input, from, to: stepFrom(from, input), sentAt: now };
    this.lastInput = input;
  }

  /**
   * Call for every state shown: returns the reaction
   * time in ms when this state shows the awaited move.
   */
  stateShown(shown: GameState | undefined, now: number): number | undefined {
    const position = this.positionIn(shown);
    if (!this.waiting || !shown || !position) return undefined;
    const { input, from, to, sentAt } = this.waiting;
    const step = stepFrom({ x: 0, y: 0 }, input);
    const movedThatWay = (position.x - from.x) * step.x + (position.y - from.y) * step.y > 0;
    // Your own square on that cell has moved that way, and is timed; any other stands in its way.
    const blocked = shown.players.some(({ x, y }) => x === to.x && y === to.y);
    const elapsed = now - sentAt;
    if (movedThatWay || blocked || elapsed > GIVE_UP_MS) this.waiting = undefined;
    return movedThatWay && elapsed <= GIVE_UP_MS ? elapsed : undefined;
  }

  private positionIn(shown: GameState | undefined): Position | undefined {
    return shown?.players.find(({ name }) => name === this.you);
  }
}
