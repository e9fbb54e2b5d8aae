/**
 * Entity interpolation (step 07): the other players are drawn a little in
 * the past, moving smoothly between the two states around that moment, so
 * late, lost or bunched-up datagrams do not make them stutter.
 */
import { type GameMap, type Position, isWall } from "./map.ts";
import type { GameState, PlayerState } from "./state.ts";
import type { TickClock } from "./tick-clock.ts";

/** How far in the past the others are drawn, in ticks: room for one late or lost state. */
export const INTERPOLATION_DELAY_TICKS = 2;
const KEPT_STATES = 10;

export class Interpolation {
  private readonly states: { tick: number; players: Map<string, PlayerState> }[] = [];
  private shownTick = -Infinity;

  constructor(
    private readonly map: GameMap,
    private readonly clock: TickClock,
  ) {}

  /** Keeps a state, if it is newer than every state kept. */
  add(state: GameState): void {
    if (state.tick === undefined || state.tick <= (this.states.at(-1)?.tick ?? -Infinity)) return;
    const players = new Map(state.players.map((square) => [square.name, square]));
    this.states.push({ tick: state.tick, players });
    if (this.states.length > KEPT_STATES) this.states.shift();
  }

  /**
   * Where each player is drawn now: between the two states
   * around (now − delay), never going back in time.
   */
  positions(now: number): Map<string, Position> {
    const drawn = new Map<string, Position>();
    const serverTick = this.clock.serverTick(now);
    if (serverTick === undefined || this.states.length === 0) return drawn;
    this.shownTick = Math.max(this.shownTick, serverTick - INTERPOLATION_DELAY_TICKS);
    const after = this.states.find((state) => state.tick >= this.shownTick) ?? this.states.at(-1)!;
    const before = this.states.findLast((state) => state.tick <= this.shownTick) ?? after;
    const share =
      after.tick === before.tick ? 1 : (this.shownTick - before.tick) / (after.tick - before.tick);
    for (const [name, to] of after.players) {
      const from = before.players.get(name) ?? to;
      const between = {
        x: Math.round(from.x + (to.x - from.x) * share),
        y: Math.round(from.y + (to.y - from.y) * share),
      };
      // a straight line between two cells may cut a corner: never draw a square inside a wall
      drawn.set(name, isWall(this.map, between) ? from : between);
    }
    return drawn;
  }

  /**
   * The tick the others were last drawn at, rounded: the state nearest the picture, which step 12
   * sends with every input so that the server judges a tag where the screen showed the humans.
   * Undefined before they were drawn.
   */
  displayedTick(): number | undefined {
    return this.shownTick === -Infinity ? undefined : Math.round(this.shownTick);
  }

  /**
   * How far behind the server's clock (as the newest state tells it) the others were last drawn,
   * in ms: undefined before they were. About INTERPOLATION_DELAY_TICKS ticks; less, for a while,
   * when a state comes early and sets the clock back.
   */
  behindMs(now: number): number | undefined {
    const serverTick = this.clock.serverTick(now);
    if (serverTick === undefined || this.shownTick === -Infinity) return undefined;
    return Math.max(0, serverTick - this.shownTick) * this.clock.tickMs;
  }
}
