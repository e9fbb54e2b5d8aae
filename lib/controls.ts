/**
 * Where a client's input comes from: the keyboard here, or a bot (lib/bot.ts).
 *
 * Terminals report key presses and auto-repeats, never releases. A key held
 * down is one press, then after a pause (usually 250–600 ms) a repeat every
 * 30–50 ms; a person tapping a key presses it at most every 150 ms or so. So
 * a press moves one cell, and a press that follows the last one of the same
 * key sooner than any person could tap is an auto-repeat: the key is held,
 * and the square moves on every frame until the repeats stop.
 */
import type { Key } from "node:readline";
import type { Input } from "./game.ts";
import type { GameMap } from "./map.ts";
import type { GameState } from "./state.ts";

/** What a source of input may look at: the map, and the state as the client last saw it. */
export interface View {
  map: GameMap;
  /** undefined until the first state arrives */
  state: GameState | undefined;
  /** the name this client plays as */
  you: string;
}

export interface Control {
  /** the input to send now, for a client that sends one per frame */
  next(now: number, view: View): Input;
}

/**
 * Faster than a person taps, slower than a terminal
 * repeats (every 30–50 ms, a little more when busy).
 */
const AUTO_REPEAT_GAP_MS = 100;
/** Presses quicker than the frames are kept, up to this many, so a quick tap-tap is never lost. */
const MAX_TAPS = 3;

export class KeyboardControl implements Control {
  private readonly taps: Input[] = [];
  private held: Input = "NONE";
  private heldUntil = -Infinity;
  private lastPress: { input: Input; at: number } | undefined;

  press(input: Input, now: number): void {
    const repeat = this.lastPress?.input === input && now - this.lastPress.at < AUTO_REPEAT_GAP_MS;
    if (input === "NONE") {
      this.taps.length = 0;
      this.heldUntil = -Infinity;
    } else if (repeat) {
      this.held = input;
      this.heldUntil = now + AUTO_REPEAT_GAP_MS;
    } else {
      if (this.taps.length < MAX_TAPS) this.taps.push(input);
      this.heldUntil = -Infinity;
    }
    this.lastPress = { input, at: now };
  }

  next(now: number): Input {
    return this.taps.shift() ?? (now < this.heldUntil ? this.held : "NONE");
  }
}

/** The keys that play: arrows or WASD move, space stops. */
const KEYS: Readonly<Record<string, Input>> = {
  up: "UP",
  down: "DOWN",
  left: "LEFT",
  right: "RIGHT",
  w: "UP",
  s: "DOWN",
  a: "LEFT",
  d: "RIGHT",
  space: "NONE",
};

/** The input a key from readline's "keypress" event stands for, or undefined for any other key. */
export function inputOfKey(key: Key | undefined): Input | undefined {
  return key?.name !== undefined && !key.ctrl && !key.meta && Object.hasOwn(KEYS, key.name)
    ? KEYS[key.name]
    : undefined;
}
