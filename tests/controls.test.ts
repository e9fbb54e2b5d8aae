import { describe, expect, it } from "vitest";
import { BotControl, type Control, KeyboardControl } from "../lib/controls.ts";
import type { Input } from "../lib/game.ts";

const FRAME_MS = 50; // a client sending 20 inputs a second

/**
 * Plays a timeline millisecond by millisecond: the key presses due at that
 * moment, then a frame every FRAME_MS. Returns the input of each frame.
 */
function play(
  keys: KeyboardControl,
  presses: [at: number, input: Input][],
  untilMs: number,
): { at: number; input: Input }[] {
  const frames: { at: number; input: Input }[] = [];
  for (let now = 0; now < untilMs; now++) {
    for (const [at, input] of presses) if (at === now) keys.press(input, now);
    if (now % FRAME_MS === 0) frames.push({ at: now, input: keys.next(now) });
  }
  return frames;
}

/** The distinct inputs of the frames from `from` (included) to `to` (excluded). */
const inputsBetween = (frames: { at: number; input: Input }[], from: number, to: number) => [
  ...new Set(frames.filter(({ at }) => at >= from && at < to).map(({ input }) => input)),
];

/** A held key: the press, then the terminal's auto-repeats every 33 ms, the last one at `lastAt`. */
const held = (input: Input, lastAt: number): [number, Input][] =>
  Array.from({ length: Math.floor(lastAt / 33) + 1 }, (_, i) => [i * 33, input]);

describe("KeyboardControl", () => {
  it("a single press gives exactly one step, then NONE", () => {
    const frames = play(new KeyboardControl(), [[10, "UP"]], 500);
    expect(frames.map(({ input }) => input)).toEqual([
      "NONE",
      "UP",
      "NONE",
      "NONE",
      "NONE",
      "NONE",
      "NONE",
      "NONE",
      "NONE",
      "NONE",
    ]);
  });

  it("auto-repeats keep it moving on every frame, and it stops within 150 ms of the last one", () => {
    const frames = play(new KeyboardControl(), held("RIGHT", 990), 1500); // 990 = 30 × 33
    expect(inputsBetween(frames, 0, 1000)).toEqual(["RIGHT"]);
    expect(inputsBetween(frames, 990 + 150, 1500)).toEqual(["NONE"]);
  });

  it("a quick press of a different key is not lost", () => {
    const frames = play(
      new KeyboardControl(),
      [
        [10, "UP"],
        [20, "LEFT"],
      ],
      200,
    );
    expect(frames.map(({ input }) => input)).toEqual(["NONE", "UP", "LEFT", "NONE"]);
  });

  it("space (NONE) stops it at once", () => {
    const frames = play(new KeyboardControl(), [...held("RIGHT", 495), [500, "NONE"]], 1000);
    expect(inputsBetween(frames, 0, 500)).toEqual(["RIGHT"]);
    expect(inputsBetween(frames, 500, 1000)).toEqual(["NONE"]);
  });
});

describe("BotControl", () => {
  /** The bot's input on every frame of ten simulated seconds. */
  const tenSeconds = (bot: Control) =>
    Array.from({ length: 10_000 / FRAME_MS }, (_, frame) => bot.next(frame * FRAME_MS));

  it("plays the same sequence for the same seed, another for another seed", () => {
    expect(tenSeconds(new BotControl(7))).toEqual(tenSeconds(new BotControl(7)));
    expect(tenSeconds(new BotControl(7))).not.toEqual(tenSeconds(new BotControl(8)));
  });

  it.each([1, 2, 3])(
    "with seed %i, it turns about twice a second and never stands still",
    (seed) => {
      const inputs = tenSeconds(new BotControl(seed));
      const turns = inputs.filter(
        (input, frame) => frame > 0 && input !== inputs[frame - 1],
      ).length;
      expect(turns).toBeGreaterThanOrEqual(10);
      expect(turns).toBeLessThanOrEqual(40);
      expect(inputs).not.toContain("NONE");
    },
  );
});
