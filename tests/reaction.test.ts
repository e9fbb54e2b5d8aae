/**
 * The ping of steps 05 on (lib/reaction.ts): a new direction is timed to the first state that shows
 * the square moving that way, unless a state shows another square on the cell it steps to.
 */
import { describe, expect, it } from "vitest";
import { ReactionTimer } from "../lib/reaction.ts";
import type { GameState } from "../lib/state.ts";

/** A state with ann at `x`,5 and, if given, bob at `bobX`,5. */
const shown = (x: number, bobX?: number): GameState => ({
  ghost: "ann",
  players: [
    { name: "ann", x, y: 5 },
    ...(bobX === undefined ? [] : [{ name: "bob", x: bobX, y: 5 }]),
  ],
});

describe("the reaction timer", () => {
  it("times a new direction to the first state that shows the square moving that way", () => {
    const timer = new ReactionTimer("ann");
    timer.inputSent("RIGHT", shown(3), 1000);
    expect(timer.stateShown(shown(3), 1030)).toBeUndefined();
    expect(timer.stateShown(shown(4), 1070)).toBe(70);
    // the same direction again is no new direction: nothing more to time
    timer.inputSent("RIGHT", shown(4), 1100);
    expect(timer.stateShown(shown(5), 1150)).toBeUndefined();
    // a move the other way does not show a RIGHT
    timer.inputSent("LEFT", shown(5), 1200);
    timer.inputSent("RIGHT", shown(5), 1250);
    expect(timer.stateShown(shown(4), 1300)).toBeUndefined();
    expect(timer.stateShown(shown(6), 1340)).toBe(90);
  });

  it("does not time a step onto another square: the move waits for that square, not the network", () => {
    const timer = new ReactionTimer("ann");
    timer.inputSent("RIGHT", shown(3), 1000);
    expect(timer.stateShown(shown(3, 4), 1050)).toBeUndefined();
    // bob has gone, ann's held RIGHT moves her at last: 500 ms of bob, not of the network
    expect(timer.stateShown(shown(4), 1500)).toBeUndefined();
  });

  it("(without bob in the way, the same states are timed)", () => {
    const timer = new ReactionTimer("ann");
    timer.inputSent("RIGHT", shown(3), 1000);
    expect(timer.stateShown(shown(3, 9), 1050)).toBeUndefined();
    // bob next to the cell, not on it: on 4,6, below 4,5
    const bobBelow = { ghost: "ann", players: [...shown(3).players, { name: "bob", x: 4, y: 6 }] };
    expect(timer.stateShown(bobBelow, 1100)).toBeUndefined();
    expect(timer.stateShown(shown(4), 1500)).toBe(500);
  });

  it("keeps waiting through a state without your square, as a broken or hostile server may send", () => {
    const timer = new ReactionTimer("ann");
    timer.inputSent("RIGHT", shown(3), 1000);
    expect(timer.stateShown({ ghost: null, players: [] }, 1050)).toBeUndefined();
    expect(timer.stateShown(undefined, 1060)).toBeUndefined();
    // your name twice: the first is yours, as everywhere else the client looks for it
    const twice = { ghost: null, players: [...shown(4).players, { name: "ann", x: 3, y: 5 }] };
    expect(timer.stateShown(twice, 1100)).toBe(100);
  });

  it("gives up on a direction not shown within 2 s: walked into a wall, or lost", () => {
    const late = new ReactionTimer("ann");
    late.inputSent("RIGHT", shown(3), 1000);
    expect(late.stateShown(shown(4), 3001)).toBeUndefined();
    const timer = new ReactionTimer("ann");
    timer.inputSent("UP", shown(3), 1000);
    expect(timer.stateShown(shown(3), 3001)).toBeUndefined();
    expect(
      timer.stateShown({ ghost: "ann", players: [{ name: "ann", x: 3, y: 4 }] }, 3050),
    ).toBeUndefined();
  });
});
