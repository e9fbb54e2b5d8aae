/**
 * Lag compensation: the ghost tags what its screen showed.
 *
 * A client draws the others in the past: interpolation shows them
 * INTERPOLATION_DELAY_TICKS (2) ticks behind the newest state, which is itself
 * half a round trip old; and the ghost's move is applied half a round trip
 * later still, plus the ticks its input waits in the server's buffer (the
 * input clock keeps it under a tick early, up to 2 with jitter). At a 250 ms round trip and 20
 * ticks a second that is 5 + 2 + 2 = 9 ticks or more, 450 ms: a human walking
 * steadily (a cell a tick) left the cell where the ghost saw them 8 ticks before
 * the ghost arrives. Without help, a ghost that steps onto what it sees misses
 * everyone who moves.
 *
 * So every INPUT says which tick the player's screen showed (the displayed
 * tick), and the server keeps every square's position for each recent tick
 * (Rewind). When the ghost steps onto a cell, the tag is judged against the
 * human who stood there at that tick, not whoever stands there now, as in
 * Valve's Source engine ("Lag Compensation", after Bernier's Half-Life paper).
 *
 * - Only the tag is judged in the past; every square still moves in the
 *   present. The ghost steps onto the cell if it is free now (it usually is:
 *   the human has moved on) and the tag counts; if someone stands there now,
 *   the ghost is blocked, as always. Positions never depend on a claimed
 *   tick, so a lying client moves no differently, and prediction (which
 *   replays the movement rule) needs no history at all.
 * - The rewind is capped at REWIND_LIMIT_MS, 550 ms, 11 ticks at 20 Hz: what a
 *   250 ms round trip needs, 9 ticks and up to 2 more for the jitter the
 *   input buffer absorbs. A ghost with a worse connection, or one claiming an
 *   older tick, is judged 550 ms back and no further; a claimed tick in the
 *   future is judged now.
 * - What the cap bounds, for the victim: a human can be tagged where they
 *   stood at most 550 ms ago, and, at a cell a tick, at most 11 cells from
 *   where they are ("tagged around the corner"). Each verdict says how far
 *   they had moved, so the server can log it and the experiment measure it.
 * - After a tag the new ghost rests TAG_GRACE_MS, 2 s, almost four times the
 *   cap: the curse never bounces back through the rewind.
 * - Cost: the ring holds 11 lists of references to squares (squares are
 *   never changed, only replaced), 11,000 references at 1,000 players;
 *   recording copies one list a tick, and a verdict looks through one list
 *   once per move of the ghost, of which there is one.
 */
import {
  type Input,
  type Square,
  TAG_GRACE_MS,
  type TagJudge,
  type World,
  stepFrom,
} from "./game.ts";
import type { Position } from "./map.ts";

/** How far back a tag may be judged: 250 ms of round trip, the interpolation and the input buffer. */
export const REWIND_LIMIT_MS = 550;

/** The cap in ticks of a server ticking every `tickMs`: 11 at 20 Hz. */
export function rewindTicks(tickMs: number, limitMs = REWIND_LIMIT_MS): number {
  return Math.max(0, Math.round(limitMs / tickMs));
}

/** What a move needs of the room it is made in: lib/room.ts's GameRoom. */
export interface Room {
  readonly world: World;
  move(name: string, input: Input, now: number, judge?: TagJudge): void;
}

/**
 * A tag attempt judged: the ghost, free to tag, stepped onto a cell where a human stood
 * at the tick its screen showed.
 */
export interface TagVerdict {
  /** the tick the move was applied in */
  tick: number;
  /** the displayed tick the ghost's input claimed */
  claimedTick: number;
  /** the claim clamped to the ticks held: what the ghost is taken to have seen */
  seenTick: number;
  /** the tick the tag was judged at: seenTick, or `tick` with the rewind off */
  judgedTick: number;
  /** the human on the cell at seenTick: where the server rewound them to */
  seen: Square;
  /** where that human really was when the ghost stepped there; undefined if they had left */
  real: Position | undefined;
  /** how many cells (up, down, left, right) they had moved from `seen` to `real` */
  movedCells: number | undefined;
  /** whoever the move tagged: `seen.name` when the attempt is confirmed */
  tagged: string | undefined;
}

export class Rewind {
  /** the squares after each of the last `limitTicks` ticks, at tick % limitTicks */
  private readonly ring: ({ tick: number; squares: readonly Square[] } | undefined)[];

  /**
   * `limitTicks`: the cap (rewindTicks). `enabled` false is `--no-rewind`: the same code, with
   * every tag judged in the present, as the game did before step 12.
   */
  constructor(
    readonly limitTicks: number,
    readonly enabled = true,
  ) {
    this.ring = Array.from({ length: limitTicks }, () => undefined);
  }

  /** The squares as tick `tick` left them: call it once its moves are all made. */
  record(tick: number, world: World): void {
    if (this.limitTicks === 0) return;
    this.ring[tick % this.limitTicks] = { tick, squares: [...world.players.values()] };
  }

  /**
   * The tick a ghost moving in tick `tick` is taken to have seen when it claims `claimed`:
   * no older than `limitTicks` ago nor than the oldest tick held, and no newer than now.
   * Whatever a client claims, even not a number, the answer is in that range.
   */
  seenTick(claimed: number, tick: number): number {
    if (!Number.isFinite(claimed)) return tick;
    const oldestHeld = this.ring.reduce((oldest, held) => {
      const usable = held && held.tick < tick && held.tick >= tick - this.limitTicks;
      return usable ? Math.min(oldest, held.tick) : oldest;
    }, tick);
    return Math.min(tick, Math.max(Math.floor(claimed), oldestHeld));
  }

  /**
   * Moves `name` in `room`, in tick `tick`: a ghost's tag is judged at the displayed tick it
   * `claimed` (clamped by seenTick). Returns the verdict when the move is a tag attempt.
   */
  move(
    room: Room,
    name: string,
    input: Input,
    claimed: number,
    tick: number,
    now: number,
  ): TagVerdict | undefined {
    const { world } = room;
    const mover = world.players.get(name);
    // A human's move, or a ghost standing still, tags nobody: the present is all it needs.
    if (world.ghost !== name || !mover || input === "NONE") {
      room.move(name, input, now);
      return undefined;
    }
    const seenTick = this.seenTick(claimed, tick);
    const judgedTick = this.enabled ? seenTick : tick;
    const seen = this.squareAt(world, seenTick, tick, stepFrom(mover, input));
    // A ghost resting after a tag can tag nobody: its steps onto humans are not attempts.
    const resting = now - world.lastTagAt < TAG_GRACE_MS;
    room.move(name, input, now, (cell) => this.squareAt(world, judgedTick, tick, cell));
    if (!seen || seen.name === name || resting) return undefined;
    const real = world.players.get(seen.name);
    return {
      tick,
      claimedTick: claimed,
      seenTick,
      judgedTick,
      seen,
      real: real && { x: real.x, y: real.y },
      movedCells: real && Math.abs(real.x - seen.x) + Math.abs(real.y - seen.y),
      tagged: world.ghost === name ? undefined : (world.ghost ?? undefined),
    };
  }

  /** The square on `cell` as tick `at` left it; for the tick being played, `tick`, as it is now. */
  private squareAt(world: World, at: number, tick: number, cell: Position): Square | undefined {
    if (at >= tick) return world.players.at(cell);
    const held = this.ring[at % this.limitTicks];
    if (held?.tick !== at) return undefined;
    return held.squares.find(({ x, y }) => x === cell.x && y === cell.y);
  }
}

/**
 * The tag attempts a server has judged: how many, how many tagged the human seen, and how far
 * those had moved, counted by cells so that the tally stays small however long the server runs.
 */
export class TagTally {
  attempts = 0;
  tags = 0;
  /** for each number of cells, how many tagged humans had moved that far since the ghost saw them */
  private readonly byCells = new Map<number, number>();

  count(verdict: TagVerdict): void {
    this.attempts++;
    if (verdict.tagged !== verdict.seen.name) return;
    this.tags++;
    const cells = verdict.movedCells ?? 0;
    this.byCells.set(cells, (this.byCells.get(cells) ?? 0) + 1);
  }

  /** How many cells each tagged human had moved, fewest first. */
  get victimCells(): number[] {
    return [...this.byCells]
      .sort(([a], [b]) => a - b)
      .flatMap(([cells, count]) => Array.from({ length: count }, () => cells));
  }

  /** One line for the server's log, the cells moved as `cells×tags`: "tag attempts 12, tagged 11, moved 0×2 4×9". */
  describe(): string {
    const moved = [...this.byCells]
      .sort(([a], [b]) => a - b)
      .map(([cells, count]) => `${cells}×${count}`);
    return `tag attempts ${this.attempts}, tagged ${this.tags}, moved ${moved.join(" ") || "-"}`;
  }
}

/** A TagTally's line read back (the experiment reads the server's log), or undefined if it is not one. */
export function parseTally(
  line: string,
): { attempts: number; tags: number; victimCells: number[] } | undefined {
  const match = /tag attempts (\d+), tagged (\d+), moved ((?:\d+×\d+ ?)+|-)$/.exec(line);
  if (!match) return undefined;
  const entries = match[3] === "-" ? [] : match[3]!.trim().split(" ");
  const victimCells = entries.flatMap((entry) => {
    const [cells = 0, count = 0] = entry.split("×").map(Number);
    return Array.from({ length: count }, () => cells);
  });
  return { attempts: Number(match[1]), tags: Number(match[2]), victimCells };
}
