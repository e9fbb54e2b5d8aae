import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LANTERN_REACH, MOST_SQUARES_LIT, isLit } from "../lib/lantern.ts";
import { HOUSE_MAP, MANSION_MAP, type Position, entranceOf, isWall } from "../lib/map.ts";
import type { ClientMessage } from "../steps/04-udp-dedicated-ports/protocol.ts";
import { GameRoom, type SpawnRuleName } from "../lib/room.ts";

const quietRoom = () => new GameRoom("house", "farthest", () => {});

describe("GameRoom.answer", () => {
  it("CONNECTED welcomes the player with the port to use, the map and a state that includes them", () => {
    const answer = quietRoom().answer({ type: "CONNECTED", username: "ann" }, 4001);
    expect(answer).toMatchObject({
      type: "CONNECTED",
      port: 4001,
      username: "ann",
      map: HOUSE_MAP,
      state: { ghost: "ann", players: [{ name: "ann" }] },
    });
  });

  it("refuses a second CONNECTED with a name already in the house", () => {
    const room = quietRoom();
    room.answer({ type: "CONNECTED", username: "ann" }, 4001);
    expect(room.answer({ type: "CONNECTED", username: "ann" }, 4001)).toEqual({
      type: "ERROR",
      reason: "username ann is taken",
    });
  });

  it.each<ClientMessage>([
    { type: "INPUT", username: "bob", input: "UP" },
    { type: "GETSTATE", username: "bob" },
    { type: "DISCONNECT", username: "bob" },
  ])("refuses $type from a player who is not connected", (message) => {
    const room = quietRoom();
    room.answer({ type: "CONNECTED", username: "ann" }, 4001);
    expect(room.answer(message, 4001)).toEqual({ type: "ERROR", reason: "bob is not connected" });
  });

  it("INPUT moves the player and answers with the new state", () => {
    const room = quietRoom();
    room.answer({ type: "CONNECTED", username: "ann" }, 4001);
    const { x, y } = room.world.players.get("ann")!;
    expect(room.answer({ type: "INPUT", username: "ann", input: "RIGHT" }, 4001)).toEqual({
      type: "STATE",
      state: { ghost: "ann", players: [{ name: "ann", x: x + 1, y }] },
    });
  });

  it("DISCONNECT removes the player", () => {
    const room = quietRoom();
    room.answer({ type: "CONNECTED", username: "ann" }, 4001);
    room.answer({ type: "CONNECTED", username: "bob" }, 4001);
    expect(room.answer({ type: "DISCONNECT", username: "ann" }, 4001)).toEqual({
      type: "DISCONNECTED",
      username: "ann",
    });
    expect(room.has("ann")).toBe(false);
    expect(room.size).toBe(1);
  });
});

describe("GameRoom.dropSilent", () => {
  it("removes only the players silent for longer than the limit, and names them", () => {
    const room = quietRoom();
    room.join("ann", 1000); // silent for 5000 ms at 6000: gone
    room.join("bob", 0);
    room.heardFrom("bob", 3000); // silent for exactly 3000 ms, not longer: stays
    room.join("cid", 5000); // silent for 1000 ms: stays
    expect(room.dropSilent(3000, 6000)).toEqual(["ann"]);
    expect([...room.world.players.keys()]).toEqual(["bob", "cid"]);
  });
});

describe("where newcomers spawn", () => {
  /**
   * The cells eight newcomers get, one after the other, in a mansion where `hidden` (if given)
   * stands: what a stranger joining under eight names learns from the welcomes.
   */
  function spawnsBeside(rule: SpawnRuleName, hidden: Position | undefined): Position[] {
    const room = new GameRoom("mansion", rule, () => {});
    if (hidden) room.world.players.set("hidden", { name: "hidden", ...hidden });
    return Array.from({ length: 8 }, (_, i) => {
      room.join(`newcomer${i}`);
      const { x, y } = room.world.players.get(`newcomer${i}`)!;
      return { x, y };
    });
  }

  /** A floor cell of the mansion that no newcomer's lantern reaches, at the entrance. */
  const hiddenCell = fc
    .record({ x: fc.nat(MANSION_MAP.width - 1), y: fc.nat(MANSION_MAP.height - 1) })
    .filter((cell) => !isWall(MANSION_MAP, cell))
    .filter((cell) => !isLit(entranceOf(MANSION_MAP), cell, 2 * LANTERN_REACH));

  const spawnTellsNothing = (rule: SpawnRuleName) =>
    fc.property(hiddenCell, (hidden) => {
      expect(spawnsBeside(rule, hidden)).toEqual(spawnsBeside(rule, undefined));
    });

  it("by the entrance, a player nobody can see changes nowhere a newcomer lands (property)", () => {
    fc.assert(spawnTellsNothing("entrance"), { numRuns: 30 });
  });

  it("farthest from everyone, the old rule, gives a hidden player away", () => {
    expect(() => fc.assert(spawnTellsNothing("farthest"), { numRuns: 30 })).toThrow();
  });

  it("puts the first 29 by the entrance, fewer than a state shows, and the next anywhere free", () => {
    const room = new GameRoom("mansion", "entrance", () => {});
    for (let i = 0; i < 40; i++) room.join(`newcomer${i}`);
    const entrance = entranceOf(MANSION_MAP);
    const near = [...room.world.players.values()].filter((square) => isLit(entrance, square, 3));
    expect(near).toHaveLength(29);
    expect(near.length).toBeLessThan(MOST_SQUARES_LIT);
    expect(room.size).toBe(40);
  });

  it("puts newcomers together, each in the light of all the others", () => {
    const cells = spawnsBeside("entrance", undefined);
    for (const cell of cells) for (const other of cells) expect(isLit(cell, other)).toBe(true);
  });
});

describe("the log of who joins and leaves", () => {
  it("is rate-limited: one socket churning joins and leaves cannot flood it", () => {
    const lines: string[] = [];
    const room = new GameRoom("house", "farthest", (line) => lines.push(line));
    for (let i = 0; i < 500; i++) {
      room.join(`churn${i}`);
      room.leave(`churn${i}`);
    }
    // a few dozen lines in each window of 5 s, the rest only counted (lib/serve.ts's RateLimitedLog)
    expect(lines.length).toBeLessThanOrEqual(20);
    expect(lines[0]).toMatch(/^churn0 joined/);
  });
});
