import { describe, expect, it } from "vitest";
import { HOUSE_MAP } from "../lib/map.ts";
import type { ClientMessage } from "../steps/04-udp-dedicated-ports/protocol.ts";
import { GameRoom } from "../lib/room.ts";

const quietRoom = () => new GameRoom("house", () => {});

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
