/**
 * The size of a STATE message for N players, computed rather than measured,
 * for the steps whose bots read a TCP stream: there the swarm sees bytes, not
 * where one message ends (a UDP step's datagrams are measured instead).
 */
import { encode } from "../../lib/protocol.ts";
import { HOUSE_MAP } from "../../lib/map.ts";
import { GameRoom } from "../../lib/room.ts";

/**
 * The STATE a server sends once bot1…botN have joined the house, encoded by
 * lib/protocol.ts: the same names as the swarm's bots, the same spawn cells.
 * The squares move, but a coordinate stays one or two digits, so the size
 * moves by a few bytes at most.
 */
export function computedStateBytes(players: number): number {
  const room = new GameRoom(HOUSE_MAP, () => {}); // a room that logs nothing
  for (let i = 1; i <= players; i++) room.join(`bot${i}`);
  return Buffer.byteLength(encode({ type: "STATE", state: room.state() }));
}
