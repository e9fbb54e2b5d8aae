/**
 * Where a client's input comes from: the keyboard, or a bot.
 *
 * Terminals report key presses and auto-repeats, never releases. So a press
 * moves one cell, and a direction counts as held while its auto-repeats keep
 * coming: the first repeat arrives within REPEAT_DELAY_MS of the press, the
 * next ones every 30–50 ms, and the square stops HOLD_MS after the last one.
 */
import type { Input } from "./game.ts";
import { type Random, seededRandom } from "./random.ts";

export interface Control {
  /** the input to send now, for a client that sends one per frame */
  next(now: number): Input;
}

/** The longest usual wait before a held key starts repeating. */
const REPEAT_DELAY_MS = 600;
/** Longer than the gap between two auto-repeats, short enough to stop soon after the key is let go. */
const HOLD_MS = 150;
/** Presses quicker than the frames are kept, up to this many, so a quick tap-tap is never lost. */
const MAX_TAPS = 3;

export class KeyboardControl implements Control {
  private readonly taps: Input[] = [];
  private held: Input = "NONE";
  private heldUntil = -Infinity;
  private lastPress: { input: Input; at: number } | undefined;

  press(input: Input, now: number): void {
    if (input === "NONE") {
      this.taps.length = 0;
      this.heldUntil = -Infinity;
    } else if (this.lastPress?.input === input && now - this.lastPress.at < REPEAT_DELAY_MS) {
      this.held = input;
      this.heldUntil = now + HOLD_MS;
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

const DIRECTIONS: readonly Input[] = ["UP", "DOWN", "LEFT", "RIGHT"];

/** A headless player: walks in a random direction and turns about twice a second. */
export class BotControl implements Control {
  private readonly random: Random;
  private input: Input = "NONE";
  private turnAt = -Infinity;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  next(now: number): Input {
    if (now >= this.turnAt) {
      this.input = DIRECTIONS[Math.floor(this.random() * DIRECTIONS.length)]!;
      this.turnAt = now + 250 + this.random() * 500;
    }
    return this.input;
  }
}
