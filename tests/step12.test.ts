/**
 * Step 12 (steps/12-lag-compensation): the ghost's tag is judged where the humans stood at the
 * tick its screen showed, clamped to the rewind's cap (lib/rewind.ts), on real sockets. Every
 * input is sent a second before its tick, so the test does not depend on when datagrams land:
 * the human leaves the cell at tick A, and the ghost steps onto it at tick B, claiming a tick.
 */
import { describe, expect, it } from "vitest";
import type { Delta } from "../lib/delta.ts";
import { type Input, stepFrom } from "../lib/game.ts";
import { type Position, isWall } from "../lib/map.ts";
import { rewindTicks } from "../lib/rewind.ts";
import { startServer } from "../scripts/harness/launch.ts";
import * as protocol from "../steps/12-lag-compensation/protocol.ts";
import {
  type Peer,
  forgerTests,
  handshake,
  natRebindingTest,
  nextOfType,
  rejoinTest,
  udpPeer,
} from "./udp.ts";

const STEP = "12-lag-compensation";
/**
 * How far ahead the tests aim their inputs: 0.6 s at 20 Hz, time enough to send them all first,
 * and with the ghost's 3 ticks later still inside what the server keeps (FUTURE_TICKS).
 */
const AHEAD = 12;
/** The cap at the default 20 ticks a second: 11 ticks. */
const CAP = rewindTicks(1000 / 20);
const DIRECTIONS = ["UP", "DOWN", "LEFT", "RIGHT"] as const;

const placeIn = (delta: Delta, name: string): Position => {
  const change = delta.changes.find((square) => square.kind === "enter" && square.name === name);
  if (change?.kind !== "enter") throw new Error(`${name} is not in the state of ${delta.tick}`);
  return { x: change.x, y: change.y };
};

/** Sends `name`'s input `direction` for tick `tick` and NONE after it, saying its screen showed `seen`. */
function sendMove(peer: Peer, port: number, name: string, tick: number, move: Input, seen: number) {
  // <seen> is the newest input's (tick + 1): the input for `tick` claims one less
  peer.send(`INPUT ${name} 0 ${seen + 1} ${tick} ${move} NONE`, port);
}

/**
 * A ghost and a human spawned side by side at the entrance; the human steps away in tick A,
 * and the ghost onto the cell they left in tick B = A + `ticksLater`, claiming the tick
 * `claim(A, B)`. Returns the DELTA of tick B to the ghost, and where the human was.
 */
async function ghostStepsOntoTheCellLeft(
  args: string[],
  ticksLater: number,
  claim: (leftAt: number, steppedAt: number) => number,
) {
  const server = await startServer(STEP, ["--map", "house", ...args]);
  const ghost = await udpPeer(protocol);
  const human = await udpPeer(protocol);
  try {
    const welcome = await handshake(ghost, server.port, "ghost");
    if (welcome.message.type !== "CONNECTED") throw new Error("the ghost was refused");
    await handshake(human, server.port, "human");
    const { delta } = await nextOfType(ghost, "DELTA");
    expect(delta.ghost).toBe("ghost"); // the first to join is the ghost
    const { map } = welcome.message;
    const ghostAt = placeIn(delta, "ghost");
    const humanAt = placeIn(delta, "human");
    const onto = DIRECTIONS.find((direction) => {
      const cell = stepFrom(ghostAt, direction);
      return cell.x === humanAt.x && cell.y === humanAt.y;
    });
    if (!onto) throw new Error("the entrance rule put them apart");
    const away = DIRECTIONS.find((direction) => {
      const cell = stepFrom(humanAt, direction);
      return !isWall(map, cell) && (cell.x !== ghostAt.x || cell.y !== ghostAt.y);
    })!;
    const leftAt = delta.tick + AHEAD;
    const steppedAt = leftAt + ticksLater;
    sendMove(human, server.port, "human", leftAt, away, leftAt);
    sendMove(ghost, server.port, "ghost", steppedAt, onto, claim(leftAt, steppedAt));
    for (;;) {
      const datagram = await ghost.next((d) => d.message.type === "DELTA", 5000);
      if (datagram?.message.type !== "DELTA") throw new Error(`no DELTA for tick ${steppedAt}`);
      if (datagram.message.delta.tick < steppedAt) continue;
      expect(datagram.message.delta.tick).toBe(steppedAt);
      const seen = humanAt;
      const real = stepFrom(humanAt, away);
      return { ...datagram.message, leftAt, steppedAt, seen, real };
    }
  } finally {
    ghost.close();
    human.close();
    await server.stop();
  }
}

describe("step 12: the ghost tags what its screen showed", () => {
  it("tags a human where the ghost's screen showed them, a few ticks before they left", async () => {
    const judged = await ghostStepsOntoTheCellLeft([], 3, (leftAt) => leftAt - 1);
    expect(judged.delta.ghost).toBe("human");
    expect(judged.verdict).toEqual({
      seenTick: judged.leftAt - 1,
      seen: judged.seen,
      real: judged.real,
      tagged: true,
    });
  });

  it("with --no-rewind, judges the same step where the human is now: a miss", async () => {
    const judged = await ghostStepsOntoTheCellLeft(["--no-rewind"], 3, (leftAt) => leftAt - 1);
    expect(judged.delta.ghost).toBe("ghost");
    expect(judged.verdict).toEqual({
      seenTick: judged.leftAt - 1,
      seen: judged.seen,
      real: judged.real,
      tagged: false,
    });
  });

  it("clamps a claim older than the cap: judged the cap back, not at tick 0", async () => {
    const judged = await ghostStepsOntoTheCellLeft([], 5, () => 0);
    expect(judged.verdict?.seenTick).toBe(judged.steppedAt - CAP);
    expect(judged.verdict?.tagged).toBe(true); // the human still stood there the cap back
  });

  it("gives a hostile ghost nothing for claiming tick 0 when the human left beyond the cap", async () => {
    const judged = await ghostStepsOntoTheCellLeft([], CAP + 4, () => 0);
    expect(judged.delta.ghost).toBe("ghost");
    expect(judged.verdict).toBeUndefined(); // nobody stood there the cap back: no attempt
  });

  it("judges a claim from the future in the present: the cell is empty, nobody is tagged", async () => {
    const judged = await ghostStepsOntoTheCellLeft([], 3, (_, steppedAt) => steppedAt + 100);
    expect(judged.delta.ghost).toBe("ghost");
    expect(judged.verdict).toBeUndefined();
  });
});

describe("step 12: a forger who writes a seated player's address, and the cost of joining", () =>
  forgerTests(STEP, "ticked and seen"));

describe("step 12: the real client", () => {
  rejoinTest(STEP);
  natRebindingTest(STEP);
});
