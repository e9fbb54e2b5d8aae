/**
 * Entity interpolation (step 07): the other players are drawn a little in
 * the past, moving smoothly between the two states around that moment, so
 * late, lost or bunched-up datagrams do not make them stutter.
 */
import { type GameMap, type Position, isWall } from "./map.ts";
import type { GameState, PlayerState } from "./protocol.ts";

/** How far in the past the others are drawn, in ticks: room for one late or lost state. */
export const INTERPOLATION_DELAY_TICKS = 2;
const KEPT_STATES = 10;

export class Interpolation {
  /** the measured time between two ticks of the server */
  tickMs: number;
  private readonly states: { tick: number; players: Map<string, PlayerState> }[] = [];
  private first: { tick: number; at: number } | undefined;
  private latest: { tick: number; at: number } | undefined;
  private shownTick = -Infinity;

  constructor(
    private readonly map: GameMap,
    expectedTickMs: number,
  ) {
    this.tickMs = expectedTickMs;
  }

  /** Keeps a state (newest tick first seen only) and learns the server's pace from the tick numbers. */
  add(state: GameState, now: number): void {
    if (state.tick === undefined || (this.latest && state.tick <= this.latest.tick)) return;
    this.first ??= { tick: state.tick, at: now };
    this.latest = { tick: state.tick, at: now };
    // over many ticks the jitter of single arrivals averages out
    if (this.latest.tick - this.first.tick >= 3 && this.latest.at > this.first.at)
      this.tickMs = (this.latest.at - this.first.at) / (this.latest.tick - this.first.tick);
    this.states.push({
      tick: state.tick,
      players: new Map(state.players.map((square) => [square.name, square])),
    });
    if (this.states.length > KEPT_STATES) this.states.shift();
  }

  /** Where each player is drawn now: between the two states around (now − delay), never going back in time. */
  positions(now: number): Map<string, Position> {
    const drawn = new Map<string, Position>();
    if (!this.latest) return drawn;
    const serverTickNow = this.latest.tick + Math.min(1, (now - this.latest.at) / this.tickMs);
    this.shownTick = Math.max(this.shownTick, serverTickNow - INTERPOLATION_DELAY_TICKS);
    const after = this.states.find((state) => state.tick >= this.shownTick) ?? this.states.at(-1)!;
    const before =
      [...this.states].reverse().find((state) => state.tick <= this.shownTick) ?? after;
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
}
