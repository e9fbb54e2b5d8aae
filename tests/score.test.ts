import { describe, expect, it } from "vitest";
import { TAG_GRACE_MS } from "../lib/game.ts";
import type { GameState } from "../lib/state.ts";
import { EVENT_MS, Score } from "../lib/score.ts";

/** A state with these players (positions do not matter to the score) and this ghost. */
const state = (ghost: string | null, ...names: string[]): GameState => ({
  ghost,
  players: names.map((name, i) => ({ name, x: i, y: 0 })),
});

describe("Score", () => {
  it("a new ghost while the old one is still here is a tag", () => {
    const score = new Score("ann");
    score.observe(state("gus", "gus", "ann", "bob"), 0);
    score.observe(state("bob", "gus", "ann", "bob"), 50);
    expect(score.latestChange(50)).toEqual({ kind: "tag", by: "gus", tagged: "bob", at: 50 });
    expect(score.describe(score.latestChange(50)!)).toBe("gus tagged bob");
    expect(score.board().find(({ name }) => name === "gus")?.tags).toBe(1);
  });

  it("tells a tag from your side", () => {
    const tagged = new Score("ann");
    tagged.observe(state("gus", "gus", "ann"), 0);
    tagged.observe(state("ann", "gus", "ann"), 50);
    expect(tagged.describe(tagged.latestChange(50)!)).toBe("you were tagged by gus");

    const tagger = new Score("gus");
    tagger.observe(state("gus", "gus", "ann"), 0);
    tagger.observe(state("ann", "gus", "ann"), 50);
    expect(tagger.describe(tagger.latestChange(50)!)).toBe("you tagged ann");
    expect(tagger.summary().tags).toBe(1);
  });

  it("the ghost leaving is no tag: the oldest inherits the curse, with no rest", () => {
    const score = new Score("ann");
    score.observe(state("gus", "gus", "ann", "bob"), 0);
    score.observe(state("ann", "ann", "bob"), 50);
    expect(score.latestChange(50)).toEqual({ kind: "inherit", left: "gus", heir: "ann", at: 50 });
    expect(score.describe(score.latestChange(50)!)).toBe("gus left: you are the ghost");
    expect(score.board().every(({ tags }) => tags === 0)).toBe(true);
    expect(score.ghostResting(50)).toBe(false);
  });

  it("the status line tells of a tag for EVENT_MS", () => {
    const score = new Score("ann");
    score.observe(state("gus", "gus", "ann"), 0);
    score.observe(state("ann", "gus", "ann"), 1000);
    expect(score.latestChange(1000 + EVENT_MS - 1)).toBeDefined();
    expect(score.latestChange(1000 + EVENT_MS)).toBeUndefined();
  });

  it("the new ghost rests for TAG_GRACE_MS after the tag is seen", () => {
    const score = new Score("ann");
    score.observe(state("gus", "gus", "ann"), 0);
    expect(score.ghostResting(0)).toBe(false);
    score.observe(state("ann", "gus", "ann"), 1000);
    expect(score.ghostResting(1000)).toBe(true);
    expect(score.restLeftMs(1500)).toBe(TAG_GRACE_MS - 500);
    expect(score.ghostResting(1000 + TAG_GRACE_MS)).toBe(false);
  });

  it("counts each player's time as a human, and your own time as the ghost", () => {
    const score = new Score("ann");
    score.observe(state("gus", "gus", "ann"), 0);
    score.observe(state("gus", "gus", "ann"), 3000); // ann human for 3 s
    score.observe(state("ann", "gus", "ann"), 5000); // tagged: ann human for 2 s more, then the ghost
    score.observe(state("ann", "gus", "ann"), 9000); // ann the ghost for 4 s, gus human
    expect(score.board()).toEqual([
      { name: "ann", humanMs: 5000, tags: 0 },
      { name: "gus", humanMs: 4000, tags: 1 },
    ]);
    expect(score.summary()).toEqual({ tags: 0, ghostSeconds: 4 });
  });

  it("starts a newcomer at zero, and forgets a player who left", () => {
    const score = new Score("ann");
    score.observe(state("gus", "gus", "ann"), 0);
    score.observe(state("gus", "gus", "ann", "bob"), 1000);
    score.observe(state("gus", "gus", "bob"), 2000);
    expect(score.board()).toEqual([
      { name: "bob", humanMs: 1000, tags: 0 },
      { name: "gus", humanMs: 0, tags: 0 },
    ]);
  });

  it("with a lantern, a ghost that changed out of sight is told without guessing who tagged or left", () => {
    const score = new Score("ann", { lantern: true });
    score.observe(state("gus", "gus", "ann", "bob"), 0);
    score.observe(state("bob", "ann", "bob"), 50); // gus walked into the dark, or left: who knows?
    expect(score.latestChange(50)).toEqual({ kind: "unseen", ghost: "bob", at: 50 });
    expect(score.describe(score.latestChange(50)!)).toBe("bob is the ghost now");
    expect(score.board().every(({ tags }) => tags === 0)).toBe(true);
    expect(score.ghostResting(50)).toBe(false);
    score.observe(state("ann", "ann", "bob"), 100);
    // bob in sight, so still in the game: that change was a tag
    expect(score.describe(score.latestChange(100)!)).toBe("you were tagged by bob");
    expect(score.ghostResting(100)).toBe(true);
  });

  it("with a lantern, tells you when you became the ghost out of everyone's sight", () => {
    const score = new Score("ann", { lantern: true });
    score.observe(state("gus", "ann"), 0);
    score.observe(state("ann", "ann"), 50);
    expect(score.describe(score.latestChange(50)!)).toBe("you are the ghost now");
  });
});
