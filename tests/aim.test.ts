/**
 * What a tag attempt is, as the ghost's client sees it (lib/aim.ts), and the displayed tick
 * its INPUT carries (lib/interpolation.ts): no network, one frame at a time.
 */
import { describe, expect, it } from "vitest";
import {
  type Sight,
  SteadyWalker,
  TagAttempts,
  aimAtShown,
  aimingGhost,
  tagAttempt,
} from "../lib/aim.ts";
import { Interpolation } from "../lib/interpolation.ts";
import { TAG_GRACE_MS } from "../lib/game.ts";
import { HOUSE_MAP, type Position, mapFromRows } from "../lib/map.ts";
import { TickClock } from "../lib/tick-clock.ts";

/** Ann is the ghost at (5, 2); the others are drawn where `others` says. */
function sight(others: Record<string, [number, number]>, ghost = "ann"): Sight {
  const drawn = new Map<string, Position>(
    Object.entries(others).map(([name, [x, y]]) => [name, { x, y }]),
  );
  return { you: "ann", ghost, me: { x: 5, y: 2 }, others: drawn };
}

describe("a tag attempt", () => {
  it("is the ghost stepping onto a cell where its screen shows a human", () => {
    const screen = sight({ bob: [6, 2], cy: [5, 4] });
    expect(tagAttempt(screen, "RIGHT")).toBe("bob");
    expect(tagAttempt(screen, "DOWN")).toBeUndefined(); // cy is two cells away
    expect(tagAttempt(screen, "NONE")).toBeUndefined();
  });

  it("is never a human's step, whoever it steps onto", () => {
    expect(tagAttempt(sight({ bob: [6, 2] }, "bob"), "RIGHT")).toBeUndefined();
  });

  it("the bot ghost aims at a human shown next to it, the first of UP, DOWN, LEFT, RIGHT", () => {
    expect(aimAtShown(sight({ bob: [6, 2], cy: [5, 3] }))).toBe("DOWN");
    expect(aimAtShown(sight({ bob: [7, 2] }))).toBeUndefined();
  });
});

describe("a ghost's attempts, each with its answer", () => {
  it("counts an attempt, waits for the state of its tick, and counts the tag it says", () => {
    const attempts = new TagAttempts();
    const screen = sight({ bob: [6, 2] });
    expect(attempts.sent(100, "RIGHT", screen, 0)).toBe("bob");
    // while it waits, the bot stands still, and a step onto bob is not another attempt
    expect(aimingGhost(attempts, screen, 0)).toBe("NONE");
    expect(attempts.sent(101, "RIGHT", screen, 0)).toBeUndefined();
    const players = [
      { name: "ann", x: 5, y: 2 },
      { name: "bob", x: 7, y: 2 },
    ];
    expect(attempts.heard({ tick: 99, ghost: "ann", players }, 900)).toBeUndefined(); // too old
    expect(attempts.heard({ tick: 100, ghost: "bob", players }, 1000)).toEqual({
      victim: "bob",
      tagged: true,
    });
    expect(attempts).toMatchObject({ attempts: 1, tags: 1 });
    // the tag starts the ghost's rest (for bob now): no attempt could tag before it ends
    expect(attempts.holding(1000 + TAG_GRACE_MS - 1)).toBe(true);
    expect(attempts.holding(1000 + TAG_GRACE_MS)).toBe(false);
  });

  it("a state of a later tick answers too, when the state of the attempt's tick was lost; a miss is no tag", () => {
    const attempts = new TagAttempts();
    attempts.sent(100, "RIGHT", sight({ bob: [6, 2] }), 0);
    expect(attempts.heard({ tick: 102, ghost: "ann", players: [] }, 0)).toEqual({
      victim: "bob",
      tagged: false,
    });
    expect(attempts).toMatchObject({ attempts: 1, tags: 0 });
  });

  it("a step onto nobody is no attempt, and the bot that is not the ghost plays as usual", () => {
    const attempts = new TagAttempts();
    expect(attempts.sent(100, "LEFT", sight({ bob: [6, 2] }), 0)).toBeUndefined();
    expect(attempts.attempts).toBe(0);
    expect(aimingGhost(attempts, sight({ bob: [6, 2] }, "bob"), 0)).toBeUndefined();
    expect(aimingGhost(attempts, sight({ bob: [8, 2] }), 0)).toBeUndefined();
  });
});

describe("the experiment's humans", () => {
  /** A corridor of floor from (1, 1) to (5, 1). */
  const CORRIDOR = mapFromRows(["#######", "#.....#", "#######"]);

  it("walk on, turn only at a wall or a square in the way, and never stand still while they can move", () => {
    const walker = new SteadyWalker(1);
    const view = (x: number, others: [number, number][] = []) => ({
      map: CORRIDOR,
      you: "ann",
      state: {
        ghost: "gus",
        players: [
          { name: "ann", x, y: 1 },
          ...others.map(([ox, oy], i) => ({ name: `o${i}`, x: ox, y: oy })),
        ],
      },
    });
    const first = walker.next(0, view(3));
    expect(["LEFT", "RIGHT"]).toContain(first);
    const x = first === "RIGHT" ? 4 : 2;
    expect(walker.next(0, view(x))).toBe(first); // on, the same way
    expect(walker.next(0, view(first === "RIGHT" ? 5 : 1))).not.toBe(first); // the wall: back
    // now going the other way: a square in the way turns it back again; boxed in, it waits
    expect(walker.next(0, view(3, [[first === "RIGHT" ? 2 : 4, 1]]))).toBe(first);
    expect(
      walker.next(
        0,
        view(3, [
          [4, 1],
          [2, 1],
        ]),
      ),
    ).toBe("NONE");
  });
});

describe("the displayed tick", () => {
  it.each([
    ["right", 1],
    ["left", -1],
  ])("is the state whose positions the screen shows, for a square walking %s", (_, step) => {
    const tickMs = 50;
    const clock = new TickClock();
    const interpolation = new Interpolation(HOUSE_MAP, clock);
    const xOf = (tick: number) => (step > 0 ? 20 : 37) + step * tick; // the hall: floor from x 15 to 37
    expect(interpolation.displayedTick()).toBeUndefined();
    for (let tick = 0; tick < 12; tick++) {
      clock.heard(tick, tick * tickMs);
      interpolation.add({ tick, ghost: null, players: [{ name: "bob", x: xOf(tick), y: 4 }] });
      for (const sinceMs of [0, 10, 20, 30, 40]) {
        const drawn = interpolation.positions(tick * tickMs + sinceMs).get("bob")!;
        const displayed = interpolation.displayedTick()!;
        if (tick >= 5) expect(drawn.x).toBe(xOf(displayed));
      }
    }
  });
});
