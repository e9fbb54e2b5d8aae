/**
 * A headless player that plays the game: as the ghost it hunts the nearest
 * human along a shortest path through the doors, and searches the map for one
 * when it sees nobody (in the dark, from step 09); as a human it flees the
 * ghost when the ghost is near, and wanders the house otherwise.
 *
 * It sees what a player sees, the state as its client last received it, so
 * under lag it chases where the others were, as a person would. Its random
 * choices come from a seed, so a test plays the same game every time.
 */
import { type Input, TAG_GRACE_MS, stepFrom } from "./game.ts";
import { type GameMap, type Position, isWall } from "./map.ts";
import type { Control, View } from "./controls.ts";
import type { PlayerState } from "./state.ts";
import { type Random, seededRandom } from "./random.ts";
import { tagBetween } from "./score.ts";

const DIRECTIONS = ["UP", "DOWN", "LEFT", "RIGHT"] as const;
type Direction = (typeof DIRECTIONS)[number];
const BACK: Record<Direction, Direction> = { UP: "DOWN", DOWN: "UP", LEFT: "RIGHT", RIGHT: "LEFT" };

/** A human starts to flee when the ghost could reach it in this many steps. */
export const FLEE_STEPS = 8;
/**
 * How often a fleeing human stops to look back: without
 * it, a chase around a loop of rooms never ends.
 */
const HESITATE_CHANCE = 0.1;
/** How long a wandering bot keeps a direction before it picks another. */
const WANDER_MS = { min: 250, max: 750 };

export class BotControl implements Control {
  private readonly random: Random;
  private paths: Paths | undefined;
  private wandering: { direction: Direction; until: number } | undefined;
  /** the ghost in the last state this bot saw */
  private lastGhost: string | null = null;
  /** until when this bot, tagged, counts to two */
  private restingUntil = -Infinity;
  /** where the ghost walks to while it sees nobody: a floor cell picked at random */
  private searchingFor: Position | undefined;
  /** the last direction this bot walked */
  private heading: Direction | undefined;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  next(now: number, { map, state, you }: View): Input {
    const me = state?.players.find(({ name }) => name === you);
    if (!state || !me) return "NONE";
    const paths = this.paths?.map === map ? this.paths : (this.paths = new Paths(map));
    const ghost = state.players.find(({ name }) => name === state.ghost);
    // Tagged, it counts to two before it hunts: it could not tag sooner (TAG_GRACE_MS), and the
    // one who tagged it gets a head start instead of being tagged back the moment it can be.
    if (tagBetween(this.lastGhost, state)?.tagged === you) this.restingUntil = now + TAG_GRACE_MS;
    this.lastGhost = state.ghost;
    if (now < this.restingUntil) return "NONE";
    let move: Input | undefined;
    if (ghost === me) {
      const humans = state.players.filter(({ name }) => name !== you);
      move = this.hunt(paths, me, humans) ?? this.search(paths, me);
    } else if (ghost) {
      move = this.flee(paths, me, ghost, state.players);
    }
    const input = move ?? this.wander(now, map, me);
    if (input !== "NONE") this.heading = input;
    return input;
  }

  /**
   * The first step of a shortest walk to the nearest human, undefined when no human can be reached.
   */
  private hunt(paths: Paths, me: Position, humans: readonly PlayerState[]): Input | undefined {
    const standing = new Set(humans.map((human) => paths.cellOf(human)));
    const found = paths.search(me, Infinity, (cell) => standing.has(cell), this.aheadFirst());
    return found === undefined ? undefined : paths.firstStepTo(found);
  }

  /**
   * The ghost sees no human: it walks to a floor cell picked at random, by a shortest path, and
   * then to another. Room after room, it finds the humans a random walk would take long to meet.
   */
  private search(paths: Paths, me: Position): Input | undefined {
    const arrived = this.searchingFor?.x === me.x && this.searchingFor.y === me.y;
    if (!this.searchingFor || arrived) this.searchingFor = paths.anyFloor(this.random);
    const goal = paths.cellOf(this.searchingFor);
    const found = paths.search(me, Infinity, (cell) => cell === goal, this.aheadFirst());
    if (found === undefined) this.searchingFor = undefined; // out of reach: another one next time
    return found === undefined ? undefined : paths.firstStepTo(found);
  }

  /**
   * The step that takes the human farthest from the ghost, counted in the
   * ghost's steps; undefined when the ghost is not near. It stands still
   * rather than step towards the ghost, and now and then it hesitates.
   * Every square in `players` blocks a step; its own is among them, but
   * its own cell is never one of the four it can step to.
   */
  private flee(
    paths: Paths,
    me: Position,
    ghost: Position,
    players: readonly PlayerState[],
  ): Input | undefined {
    // The ghost walks at least as far as the straight
    // line: most of the time this spares the search.
    if (Math.abs(me.x - ghost.x) + Math.abs(me.y - ghost.y) > FLEE_STEPS) return undefined;
    paths.search(ghost, FLEE_STEPS + 1);
    const mine = paths.distanceTo(paths.cellOf(me));
    if (mine > FLEE_STEPS) return undefined;
    if (this.random() < HESITATE_CHANCE) return "NONE";
    const taken = new Set(players.map((player) => paths.cellOf(player)));
    let best: { direction: Input; distance: number } = { direction: "NONE", distance: mine };
    for (const direction of this.shuffled()) {
      const next = stepFrom(me, direction);
      const cell = paths.cellOf(next);
      if (isWall(paths.map, next) || taken.has(cell)) continue;
      const distance = paths.distanceTo(cell);
      if (distance > best.distance) best = { direction, distance };
    }
    return best.direction;
  }

  /**
   * Walks one way for a while, then turns; never into a
   * wall, and back the way it came only at a dead end.
   */
  private wander(now: number, map: GameMap, me: Position): Input {
    const open = DIRECTIONS.filter((direction) => !isWall(map, stepFrom(me, direction)));
    if (open.length === 0) return "NONE";
    const current = this.wandering;
    if (current && now < current.until && open.includes(current.direction))
      return current.direction;
    const ahead = open.filter((direction) => !current || direction !== BACK[current.direction]);
    const choices = ahead.length > 0 ? ahead : open;
    const direction = choices[Math.floor(this.random() * choices.length)]!;
    this.wandering = {
      direction,
      until: now + WANDER_MS.min + this.random() * (WANDER_MS.max - WANDER_MS.min),
    };
    return direction;
  }

  /**
   * The directions to try, the one it is walking first, then the others in a random order: of
   * several shortest ways, it keeps going straight, as a person would, rather than zigzag (and a
   * client that sends only its input's changes, from step 06, sends one a turn, not one a step).
   */
  private aheadFirst(): Direction[] {
    const others = this.shuffled().filter((direction) => direction !== this.heading);
    return this.heading ? [this.heading, ...others] : others;
  }

  /**
   * The four directions in a random order, so that of several
   * equally good ways the bot does not always take the same.
   */
  private shuffled(): Direction[] {
    const directions = [...DIRECTIONS];
    for (let i = directions.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [directions[i], directions[j]] = [directions[j]!, directions[i]!];
    }
    return directions;
  }
}

/**
 * Breadth-first search over one map's floor, walls only (squares move, walls
 * do not). Its arrays are made once per map and reused, and a search marks the
 * cells it reaches with its own number instead of clearing them first, so a
 * search costs the cells it visits: a few hundred to see whether the ghost is
 * near, the whole map (about 12,000 cells on the mansion) at most for the ghost.
 */
class Paths {
  private readonly floor: Uint8Array;
  private readonly distance: Int32Array;
  private readonly reachedIn: Uint32Array;
  private readonly firstStep: Uint8Array;
  private readonly queue: Int32Array;
  /** every floor cell's number, to pick one at random */
  private readonly floorCells: number[] = [];
  private searchNumber = 0;

  constructor(readonly map: GameMap) {
    const cells = map.width * map.height;
    this.floor = new Uint8Array(cells);
    for (let cell = 0; cell < cells; cell++) {
      this.floor[cell] = isWall(map, this.positionOf(cell)) ? 0 : 1;
      if (this.floor[cell]) this.floorCells.push(cell);
    }
    this.distance = new Int32Array(cells);
    this.reachedIn = new Uint32Array(cells);
    this.firstStep = new Uint8Array(cells);
    this.queue = new Int32Array(cells);
  }

  /**
   * The number of a cell, or -1 off the map (a position
   * from the network is not trusted to be on it).
   */
  cellOf({ x, y }: Position): number {
    const onMap = x >= 0 && x < this.map.width && y >= 0 && y < this.map.height;
    return onMap ? y * this.map.width + x : -1;
  }

  /**
   * Reaches out from `from` over the floor, up to `maxSteps` steps, and stops at
   * the first cell `isGoal` accepts (returned), trying the directions in `order`.
   */
  search(
    from: Position,
    maxSteps: number,
    isGoal: (cell: number) => boolean = () => false,
    order: readonly Direction[] = DIRECTIONS,
  ): number | undefined {
    const start = this.cellOf(from);
    if (start < 0) return undefined;
    this.searchNumber++;
    this.reach(start, 0, 0);
    let head = 0;
    let tail = 0;
    this.queue[tail++] = start;
    while (head < tail) {
      const cell = this.queue[head++]!;
      const steps = this.distance[cell]!;
      if (steps >= maxSteps) continue;
      const position = this.positionOf(cell);
      for (const direction of order) {
        const next = this.cellOf(stepFrom(position, direction));
        if (next < 0 || this.reachedIn[next] === this.searchNumber) continue;
        const goal = isGoal(next);
        if (!goal && !this.floor[next]) continue;
        const firstStep = cell === start ? DIRECTIONS.indexOf(direction) : this.firstStep[cell]!;
        this.reach(next, steps + 1, firstStep);
        if (goal) return next;
        this.queue[tail++] = next;
      }
    }
    return undefined;
  }

  /** A floor cell, picked at random. */
  anyFloor(random: Random): Position {
    return this.positionOf(this.floorCells[Math.floor(random() * this.floorCells.length)]!);
  }

  /** Steps from the last search's start to `cell`: Infinity if that search did not reach it. */
  distanceTo(cell: number): number {
    return cell >= 0 && this.reachedIn[cell] === this.searchNumber
      ? this.distance[cell]!
      : Infinity;
  }

  /** The first step of the last search's way to a cell it reached. */
  firstStepTo(cell: number): Direction {
    return DIRECTIONS[this.firstStep[cell]!]!;
  }

  private reach(cell: number, steps: number, firstStep: number): void {
    this.reachedIn[cell] = this.searchNumber;
    this.distance[cell] = steps;
    this.firstStep[cell] = firstStep;
  }

  private positionOf(cell: number): Position {
    return { x: cell % this.map.width, y: Math.floor(cell / this.map.width) };
  }
}
