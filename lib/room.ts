/**
 * The game as a server runs it: who is in the house, and the answer to each
 * request. Every step's server owns one GameRoom and does only the networking
 * around it, so two steps' servers differ by how messages travel, not by the game.
 */
import { type OptionSpecs, exitWithUsageError, numberOption } from "./args.ts";
import {
  type Input,
  type SpawnRule,
  type TagJudge,
  type World,
  addPlayer,
  applyInput,
  createWorld,
  farthestFreeCell,
  removePlayer,
} from "./game.ts";
import {
  type GameMap,
  type Position,
  MAPS,
  type MapName,
  entranceOf,
  isMapName,
  isWall,
} from "./map.ts";
import { RateLimitedLog, log } from "./serve.ts";
import { type GameState, snapshot } from "./state.ts";

/** A request, as the steps that answer every one (02 to 04) read it from their protocol.ts. */
type Request =
  | { type: "CONNECTED" | "GETSTATE" | "DISCONNECT"; username: string }
  | { type: "INPUT"; username: string; input: Input };

/** The room's answers, which each step's protocol.ts writes on the wire. */
type Welcome = {
  type: "CONNECTED";
  port: number;
  username: string;
  map: GameMap;
  state: GameState;
};
type Refusal = { type: "ERROR"; reason: string };
type Answer =
  | Welcome
  | Refusal
  | { type: "STATE"; state: GameState }
  | { type: "DISCONNECTED"; username: string };

/** The option of every game server: which map it plays on. */
export function mapOptions(defaultMap: keyof typeof MAPS) {
  return {
    map: {
      type: "string",
      default: defaultMap,
      placeholder: "NAME",
      description: "the map: house (624 floor cells) or mansion (16 houses, 10,056 floor cells)",
    },
  } satisfies OptionSpecs;
}

export function mapOption(name: string): MapName {
  if (!isMapName(name)) exitWithUsageError(`--map must be house or mansion, not '${name}'`);
  return name;
}

/** The option of every server that has no connection to tell it a player has gone (steps 04 on). */
export const SILENCE_OPTIONS = {
  timeout: {
    type: "string",
    default: "5",
    placeholder: "SECONDS",
    description: "remove a player silent for this long",
  },
} satisfies OptionSpecs;

export function silenceOption(value: string): number {
  return numberOption(value, "--timeout", { min: 0.1 }) * 1000;
}

/**
 * Where newcomers start (`--spawn`). `farthest` puts each on the free cell farthest from everyone:
 * fair when everyone sees everything, but in the dark it is a side channel. Where the newcomer
 * lands says where nobody is, and eight joins found a hidden player's cell, out of 10,056
 * (`npm run experiment -- spawn-leak`). `entrance` tells nothing the newcomer cannot see.
 */
export const SPAWN_RULES = ["entrance", "farthest"] as const;
export type SpawnRuleName = (typeof SPAWN_RULES)[number];

/** The option of the servers that hide players (steps 09 on): where newcomers start. */
export const SPAWN_OPTIONS = {
  spawn: {
    type: "string",
    default: "entrance",
    placeholder: "RULE",
    description:
      "where newcomers start: entrance (by the grand hall's middle) or farthest (from everyone: a side channel)",
  },
} satisfies OptionSpecs;

export function spawnOption(name: string): SpawnRuleName {
  const rule = SPAWN_RULES.find((known) => known === name);
  if (!rule) exitWithUsageError(`--spawn must be ${SPAWN_RULES.join(" or ")}, not '${name}'`);
  return rule;
}

/**
 * How far from the entrance newcomers are put. Any two cells within 3 of it are at most 6 apart,
 * inside a lantern's 8 (LANTERN_REACH), and there are fewer of them (29 on the mansion) than the
 * 32 squares a state holds (MOST_SQUARES_LIT): a newcomer sees every square already there, so
 * the cell it gets tells it nothing its own lantern does not. Everyone starts together, and
 * meets the others at once.
 */
const ENTRANCE_REACH = 3;

/**
 * The `entrance` rule: the free floor cell nearest the map's entrance, within ENTRANCE_REACH of
 * it; when those are all taken, a free floor cell picked at random, which says only that it was free.
 */
function byTheEntrance(map: GameMap): SpawnRule {
  const entrance = entranceOf(map);
  const distance = (cell: Position) => Math.hypot(cell.x - entrance.x, cell.y - entrance.y);
  const near: Position[] = [];
  for (let y = entrance.y - ENTRANCE_REACH; y <= entrance.y + ENTRANCE_REACH; y++)
    for (let x = entrance.x - ENTRANCE_REACH; x <= entrance.x + ENTRANCE_REACH; x++)
      if (distance({ x, y }) <= ENTRANCE_REACH && !isWall(map, { x, y })) near.push({ x, y });
  near.sort((a, b) => distance(a) - distance(b)); // stable: among equals, in reading order
  return (world: World) => near.find((cell) => !world.players.at(cell)) ?? anyFreeCell(world);
}

/** The rule that `--spawn NAME` names, for `map`. */
export function spawnRule(name: SpawnRuleName, map: GameMap): SpawnRule {
  return name === "entrance" ? byTheEntrance(map) : farthestFreeCell;
}

function anyFreeCell({ map, players }: World): Position | undefined {
  const free: Position[] = [];
  for (let y = 0; y < map.height; y++)
    for (let x = 0; x < map.width; x++)
      if (!isWall(map, { x, y }) && !players.at({ x, y })) free.push({ x, y });
  return free[Math.floor(Math.random() * free.length)];
}

export class GameRoom {
  readonly world: World;
  /**
   * when each player was last heard from, for the steps
   * that have no connection to tell them a player is gone
   */
  private readonly lastHeard = new Map<string, number>();

  /** what strangers try is logged, but a flood of it must not flood the log */
  private readonly refusals: RateLimitedLog;
  /**
   * who joins and leaves, as rate-limited: one socket churning joins and leaves wrote 1.7 MB of
   * log a second on step 08 before, with a line each
   */
  private readonly comings: RateLimitedLog;

  private readonly spawn: SpawnRule;

  constructor(
    readonly mapName: MapName,
    spawn: SpawnRuleName = "farthest",
    private readonly logLine: (line: string) => void = log,
  ) {
    this.world = createWorld(MAPS[mapName]);
    this.spawn = spawnRule(spawn, this.world.map);
    this.refusals = new RateLimitedLog(logLine);
    this.comings = new RateLimitedLog(logLine);
  }

  has(name: string): boolean {
    return this.world.players.has(name);
  }

  get size(): number {
    return this.world.players.size;
  }

  /** Puts a new player in the house, or says why not. */
  join(name: string, now = performance.now()): string | undefined {
    if (this.has(name)) return `username ${name} is taken`;
    if (!addPlayer(this.world, name, this.spawn)) return "the house is full";
    this.lastHeard.set(name, now);
    this.comings.line(`${name} joined (${this.size} online)`);
    return undefined;
  }

  leave(name: string, why = "left"): void {
    if (!this.has(name)) return;
    removePlayer(this.world, name);
    this.lastHeard.delete(name);
    this.comings.line(`${name} ${why} (${this.size} online)`);
  }

  /** `judge`: who the ghost tags (lib/rewind.ts); by default whoever stands on the cell it steps to. */
  move(name: string, input: Input, now = performance.now(), judge?: TagJudge): void {
    const ghost = this.world.ghost;
    applyInput(this.world, name, input, now, judge);
    if (this.world.ghost !== ghost)
      this.logLine(`${ghost} tagged ${this.world.ghost}: ${this.world.ghost} is the ghost`);
  }

  heardFrom(name: string, now = performance.now()): void {
    if (this.has(name)) this.lastHeard.set(name, now);
  }

  /**
   * Removes the players not heard from for `silenceMs`, and returns their names:
   * without a connection, silence is the only sign a player has gone.
   */
  dropSilent(silenceMs: number, now = performance.now()): string[] {
    const silent = [...this.lastHeard]
      .filter(([, heardAt]) => now - heardAt > silenceMs)
      .map(([name]) => name);
    for (const name of silent) this.leave(name, `timed out after ${silenceMs / 1000} s of silence`);
    return silent;
  }

  state(): GameState {
    return snapshot(this.world);
  }

  /** The answer to a join: the map, and `state`, the whole room's unless a step sends less. */
  welcome(name: string, port: number, state: GameState = this.state()): Welcome {
    return { type: "CONNECTED", port, username: name, map: this.world.map, state };
  }

  /**
   * The answer to one request, for the steps where every message gets one
   * (02 to 04): `port` is the one the player should talk to from now on.
   */
  answer(message: Request, port: number): Answer {
    if (message.type === "CONNECTED") {
      const refused = this.join(message.username);
      return refused ? this.refuse(refused) : this.welcome(message.username, port);
    }
    if (!this.has(message.username)) return this.refuse(`${message.username} is not connected`);
    this.heardFrom(message.username);
    switch (message.type) {
      case "INPUT":
        this.move(message.username, message.input);
        return { type: "STATE", state: this.state() };
      case "GETSTATE":
        return { type: "STATE", state: this.state() };
      case "DISCONNECT":
        this.leave(message.username);
        return { type: "DISCONNECTED", username: message.username };
    }
  }

  /**
   * An ERROR answer, logged (a few a second at most)
   * so the server's output tells what strangers tried.
   */
  refuse(reason: string): Refusal {
    this.refusals.line(`refused: ${reason}`);
    return { type: "ERROR", reason };
  }
}
