import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { labelsOf } from "../lib/labels.ts";

const labelsIn = (names: string[]) => names.map((name) => labelsOf(names).get(name));

describe("labelsOf", () => {
  it("gives the first two characters when they tell the players apart", () => {
    expect(labelsIn(["alice", "bob", "x"])).toEqual(["al", "bo", "x "]);
  });

  it("gives the first and last characters to names that begin alike", () => {
    expect(labelsIn(["bot1", "bot2", "bot3", "alice"])).toEqual(["b1", "b2", "b3", "al"]);
  });

  it("gives the last two when the first and last clash too", () => {
    expect(labelsIn(["bot11", "bot21", "bob"])).toEqual(["11", "21", "bb"]);
  });

  it("finds a free label when every rule clashes", () => {
    const names = ["ab", "a-b", "a_b"];
    const labels = labelsIn(names);
    expect(new Set(labels).size).toBe(3);
    expect(labels.every((label) => label?.length === 2)).toBe(true);
  });

  it("does not depend on the order the players come in the state", () => {
    const names = ["bot1", "bot2", "bob", "bo", "b", "bot12", "ann", "anna"];
    expect(labelsOf(names)).toEqual(labelsOf([...names].reverse()));
  });

  it("keeps a label when someone whose name is not alike joins", () => {
    const before = labelsOf(["bot1", "bot2", "ann"]);
    const after = labelsOf(["bot1", "bot2", "ann", "zed"]);
    for (const name of before.keys()) expect(after.get(name)).toBe(before.get(name));
  });

  it("tells a thousand bots apart", () => {
    const names = Array.from({ length: 1000 }, (_, i) => `bot${i + 1}`);
    const labels = labelsOf(names);
    expect(new Set(labels.values()).size).toBe(1000);
  });

  it("tells any players apart, two characters each (property)", () => {
    const username = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
    fc.assert(
      fc.property(fc.uniqueArray(username, { maxLength: 60, size: "max" }), (names) => {
        const labels = [...labelsOf(names).values()];
        expect(labels.length).toBe(names.length);
        expect(new Set(labels).size).toBe(names.length);
        expect(labels.every((label) => label.length === 2)).toBe(true);
      }),
    );
  });
});
