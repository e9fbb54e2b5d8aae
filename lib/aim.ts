/**
 * Aiming at what the screen shows (step 12): what a tag attempt is, as the
 * ghost's client sees it, and the ghost bot of the lag-compensation experiment.
 *
 * An attempt is the ghost stepping onto a cell where its screen shows a human:
 * its own square where prediction puts it, the others where interpolation draws
 * them, at the displayed tick its INPUT carries. Whether it was a tag, the
 * client learns from the state of the input's tick: the human it aimed at is
 * the ghost then, or not. One attempt waits for its answer before the next,
 * so that each answer belongs to one attempt: a round trip and the input
 * buffer, about 9 ticks at 250 ms, in which the bot ghost stands still.
 */
import type { Control, View } from "./controls.ts";
import { type Input, TAG_GRACE_MS, stepFrom } from "./game.ts";
import { type Position, isWall } from "./map.ts";
import { type Random, seededRandom } from "./random.ts";
import { tagBetween } from "./score.ts";
import type { TickedState } from "./state.ts";

/** The game as the player's screen shows it in one frame: what the player sees. */
export interface Sight {
  you: string;
  /** the ghost, as the newest state says */
  ghost: string | null;
  /** the player's own square, where it is drawn (predicted) */
  me: Position;
  /** the other squares where they are drawn, by name */
  others: ReadonlyMap<string, Position>;
}

const DIRECTIONS = ["UP", "DOWN", "LEFT", "RIGHT"] as const;
type Direction = (typeof DIRECTIONS)[number];
const BACK: Record<Direction, Direction> = { UP: "DOWN", DOWN: "UP", LEFT: "RIGHT", RIGHT: "LEFT" };

/** The human that `input` steps onto on `sight`, when the player is the ghost: a tag attempt. */
export function tagAttempt(sight: Sight, input: Input): string | undefined {
  if (sight.ghost !== sight.you || input === "NONE") return undefined;
  const target = stepFrom(sight.me, input);
  for (const [name, { x, y }] of sight.others)
    if (x === target.x && y === target.y && name !== sight.you) return name;
  return undefined;
}

/**
 * The ghost's step onto a human the screen shows next to it, or undefined when it is not the
 * ghost or none is; of several, the first of UP, DOWN, LEFT, RIGHT, so that a run repeats.
 */
export function aimAtShown(sight: Sight): Input | undefined {
  return DIRECTIONS.find((direction) => tagAttempt(sight, direction) !== undefined);
}

/**
 * The ghost bot's input in the lag-compensation experiment: the step onto a human shown next to
 * it; it stands still while an attempt waits for its answer, or while the ghost rests after a
 * tag (no attempt could tag then). Undefined when it is not the ghost or sees nobody next to it:
 * it plays as lib/bot.ts then.
 */
export function aimingGhost(attempts: TagAttempts, sight: Sight, now: number): Input | undefined {
  if (sight.ghost !== sight.you) return undefined;
  return attempts.holding(now) ? "NONE" : aimAtShown(sight);
}

/** An attempt's answer: the human aimed at, and whether the server made them the ghost. */
export interface AttemptAnswer {
  victim: string;
  tagged: boolean;
}

/** A ghost's tag attempts, as its client counts them: each one, and its answer. */
export class TagAttempts {
  attempts = 0;
  tags = 0;
  private pending: { tick: number; victim: string } | undefined;
  /** the ghost in the last state heard */
  private lastGhost: string | null = null;
  /** until when the ghost rests after the last tag seen: TAG_GRACE_MS from the state that told it */
  private restingUntil = -Infinity;

  /** Whether an attempt now would be wasted: one waits for its answer, or the ghost rests. */
  holding(now: number): boolean {
    return this.pending !== undefined || now < this.restingUntil;
  }

  /**
   * The input for server tick `tick` is sent at `now`, with `sight` what the player saw: counted
   * if it is an attempt and none is holding. Returns the human aimed at, if counted.
   */
  sent(tick: number, input: Input, sight: Sight, now: number): string | undefined {
    if (this.holding(now)) return undefined;
    const victim = tagAttempt(sight, input);
    if (victim === undefined) return undefined;
    this.attempts++;
    this.pending = { tick, victim };
    return victim;
  }

  /**
   * A state arrived at `now`: a tag in it starts the rest; and it answers the waiting attempt if
   * it is the state of its tick, or a later one.
   */
  heard(state: TickedState, now: number): AttemptAnswer | undefined {
    if (tagBetween(this.lastGhost, state)) this.restingUntil = now + TAG_GRACE_MS;
    this.lastGhost = state.ghost;
    if (!this.pending || state.tick < this.pending.tick) return undefined;
    const { victim } = this.pending;
    this.pending = undefined;
    const tagged = state.ghost === victim;
    if (tagged) this.tags++;
    return { victim, tagged };
  }
}

/**
 * The humans of the lag-compensation experiment: they walk on, a cell a tick, and turn only when
 * a wall or a square is in the way, never back unless in a dead end; they never flee. A human
 * standing still is tagged with or without the rewind: only one on the move shows what the
 * rewind changes. Its turns come from a seed, so a run repeats.
 */
export class SteadyWalker implements Control {
  private heading: Direction | undefined;
  private readonly random: Random;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  next(_now: number, { map, state, you }: View): Input {
    const me = state?.players.find(({ name }) => name === you);
    if (!state || !me) return "NONE";
    const taken = new Set(state.players.map(({ x, y }) => `${x},${y}`));
    const open = (direction: Direction) => {
      const next = stepFrom(me, direction);
      return !isWall(map, next) && !taken.has(`${next.x},${next.y}`);
    };
    if (this.heading && open(this.heading)) return this.heading;
    const back = this.heading && BACK[this.heading];
    const ahead = DIRECTIONS.filter((direction) => open(direction) && direction !== back);
    const choices = ahead.length > 0 ? ahead : DIRECTIONS.filter(open);
    this.heading = choices[Math.floor(this.random() * choices.length)];
    return this.heading ?? "NONE";
  }
}
