import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { KeyboardControl, inputOfKey } from "../lib/controls.ts";
import type { Input } from "../lib/game.ts";

const FRAME_MS = 50; // a client sending 20 inputs a second

/**
 * Plays a timeline millisecond by millisecond: the key presses due at that
 * moment, then a frame every FRAME_MS. Returns the input of each frame.
 */
function play(
  presses: [at: number, input: Input][],
  untilMs: number,
): { at: number; input: Input }[] {
  const keys = new KeyboardControl();
  const frames: { at: number; input: Input }[] = [];
  for (let now = 0; now < untilMs; now++) {
    for (const [at, input] of presses) if (at === now) keys.press(input, now);
    if (now % FRAME_MS === 0) frames.push({ at: now, input: keys.next(now) });
  }
  return frames;
}

/** The frames from `from` (included) to `to` (excluded). */
const between = (frames: { at: number; input: Input }[], from: number, to: number) =>
  frames.filter(({ at }) => at >= from && at < to).map(({ input }) => input);

const cellsMoved = (inputs: Input[]) => inputs.filter((input) => input !== "NONE").length;

/**
 * A key held down as a terminal reports it: the press at `from`, the first
 * auto-repeat `delayMs` later, then one every `everyMs` until `until`.
 */
function held(
  input: Input,
  from: number,
  until: number,
  { delayMs, everyMs } = { delayMs: 500, everyMs: 33 },
): [number, Input][] {
  const presses: [number, Input][] = [[from, input]];
  for (let at = from + delayMs; at <= until; at += everyMs) presses.push([at, input]);
  return presses;
}

describe("KeyboardControl: a tap moves one cell", () => {
  it("a single press gives exactly one step, then NONE", () => {
    const frames = play([[10, "UP"]], 500);
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

  it("two taps 300 ms apart move two cells, not three or four", () => {
    const frames = play(
      [
        [10, "RIGHT"],
        [310, "RIGHT"],
      ],
      1500,
    );
    expect(cellsMoved(between(frames, 0, 1500))).toBe(2);
  });

  it("taps 150 to 400 ms apart, as a person taps, move one cell each (property)", () => {
    const gaps = fc.array(fc.integer({ min: 150, max: 400 }), { minLength: 1, maxLength: 12 });
    fc.assert(
      fc.property(gaps, (gapsMs) => {
        let at = 10;
        const presses: [number, Input][] = gapsMs.map((gap) => [(at += gap), "LEFT"]);
        expect(cellsMoved(between(play(presses, at + 1000), 0, at + 1000))).toBe(gapsMs.length);
      }),
    );
  });

  it("a quick press of a different key is not lost", () => {
    const frames = play(
      [
        [10, "UP"],
        [20, "LEFT"],
      ],
      200,
    );
    expect(frames.map(({ input }) => input)).toEqual(["NONE", "UP", "LEFT", "NONE"]);
  });
});

describe("KeyboardControl: a held key moves on", () => {
  it.each([
    ["a usual terminal: first repeat after 500 ms, then every 33 ms", 500, 33],
    ["X11's default: first repeat after 660 ms, then 25 a second", 660, 40],
  ])("%s", (_, delayMs, everyMs) => {
    const lastRepeat = 2000 - ((2000 - delayMs) % everyMs);
    const frames = play(held("RIGHT", 10, 2000, { delayMs, everyMs }), 3000);
    // one cell for the press, and nothing more while the terminal waits to repeat
    expect(cellsMoved(between(frames, 0, delayMs + 10))).toBe(1);
    // then a cell on every frame for as long as the key is down
    expect(between(frames, delayMs + 10 + FRAME_MS, lastRepeat)).not.toContain("NONE");
    // and it stops within 100 ms of the last repeat
    expect(cellsMoved(between(frames, lastRepeat + 100, 3000))).toBe(0);
  });

  it("space (NONE) stops it at once", () => {
    const frames = play([...held("RIGHT", 0, 1495), [1500, "NONE"]], 2000);
    expect(between(frames, 600, 1500)).not.toContain("NONE");
    expect(cellsMoved(between(frames, 1500, 2000))).toBe(0);
  });

  it("another key stops it and moves one cell its own way", () => {
    const frames = play([...held("RIGHT", 0, 1000), [1010, "UP"]], 2000);
    expect(between(frames, 1050, 2000).filter((input) => input !== "NONE")).toEqual(["UP"]);
  });
});

describe("inputOfKey", () => {
  it.each([
    [{ name: "up" }, "UP"],
    [{ name: "left" }, "LEFT"],
    [{ name: "w" }, "UP"],
    [{ name: "d" }, "RIGHT"],
    [{ name: "s", shift: true }, "DOWN"],
    [{ name: "space" }, "NONE"],
    [{ name: "s", ctrl: true }, undefined],
    [{ name: "q" }, undefined],
    [{ name: "constructor" }, undefined],
    [{}, undefined],
    [undefined, undefined],
  ])("%o is %s", (key, input) => {
    expect(inputOfKey(key)).toBe(input);
  });
});
