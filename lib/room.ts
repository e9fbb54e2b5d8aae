/**
 * The game as a server runs it: who is in the house, and the answer to each
 * request. Every step's server owns one GameRoom and does only the networking
 * around it, so two steps' servers differ by how messages travel, not by the game.
 */
import { type OptionSpecs, exitWithUsageError, numberOption } from "./args.ts";
import {
  type Input,
  type World,
  addPlayer,
  applyInput,
  createWorld,
  removePlayer,
} from "./game.ts";
import { type GameMap, MAPS, type MapName, isMapName } from "./map.ts";
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

export class GameRoom {
  readonly world: World;
  /**
   * when each player was last heard from, for the steps
   * that have no connection to tell them a player is gone
   */
  private readonly lastHeard = new Map<string, number>();

  /** what strangers try is logged, but a flood of it must not flood the log */
  private readonly refusals: RateLimitedLog;

  constructor(
    readonly mapName: MapName,
    private readonly logLine: (line: string) => void = log,
  ) {
    this.world = createWorld(MAPS[mapName]);
    this.refusals = new RateLimitedLog(logLine);
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
    if (!addPlayer(this.world, name)) return "the house is full";
    this.lastHeard.set(name, now);
    this.logLine(`${name} joined (${this.size} online)`);
    return undefined;
  }

  leave(name: string, why = "left"): void {
    if (!this.has(name)) return;
    removePlayer(this.world, name);
    this.lastHeard.delete(name);
    this.logLine(`${name} ${why} (${this.size} online)`);
  }

  move(name: string, input: Input, now = performance.now()): void {
    const ghost = this.world.ghost;
    applyInput(this.world, name, input, now);
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
