/**
 * Where a newcomer spawns, as a side channel (step 09's README): a player walks somewhere in the
 * dark mansion, then a stranger joins under eight names from one address (the most
 * `--per-address` allows) and reads the cell each welcome gives. Knowing the spawn rule (the
 * code is public), it keeps every floor cell where the hidden player could stand and the eight
 * welcomes would have been the same; its lanterns rule out the cells they light. A step 09
 * server started with `--spawn farthest` (the old rule) against one with the default, `entrance`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Input, createWorld } from "../../lib/game.ts";
import { LANTERN_REACH, isLit } from "../../lib/lantern.ts";
import { MANSION_MAP, type Position, entranceOf, isWall } from "../../lib/map.ts";
import type { GameState } from "../../lib/state.ts";
import { parseServerMessage } from "../../steps/09-lantern-interest/protocol.ts";
import { type SpawnRuleName, spawnRule } from "../../lib/room.ts";
import { seededRandom } from "../../lib/random.ts";
import { type Experiment, type Stranger, printTable, progress, server, stranger } from "./lab.ts";

const JOINS = 8;
const TRIALS = 3;
/**
 * How far from the entrance the hidden player walks: past the light of the joins, which stand
 * within 3 cells of it (lib/room.ts), so that none of them sees it under either rule.
 */
const HIDDEN_FROM_ENTRANCE = LANTERN_REACH + 4;
/** How far the hidden player walks at most, in a straight line: a few seconds' walk. */
const WALK_REACH = 30;
/** What the real clients pad a CONNECT to, so that the CHALLENGE is no bigger (step 08). */
const CONNECT_BYTES = 100;

/** The last state `peer` received, or undefined. */
function lastState(peer: Stranger): GameState | undefined {
  for (const text of peer.counts.answers.toReversed()) {
    const parsed = parseServerMessage(text);
    if (!parsed.ok) continue;
    if (parsed.message.type === "STATE") return parsed.message.state;
    if (parsed.message.type === "CONNECTED") return parsed.message.state;
  }
  return undefined;
}

/** Until `found` is true of an answer `peer` received after the first `seen`, or 2 s. */
async function answer(peer: Stranger, seen: number, found: (text: string) => boolean) {
  for (let waited = 0; waited < 2000; waited += 5) {
    const text = peer.counts.answers.slice(seen).find(found);
    if (text !== undefined) return text;
    await sleep(5);
  }
  throw new Error("the server did not answer the handshake");
}

/**
 * The cookie handshake, as the real client does it; returns the welcome's state, and the cookie
 * that won the seat (a goodbye must carry it).
 */
async function handshake(peer: Stranger, port: number, name: string) {
  const seen = peer.counts.answers.length;
  peer.send(`CONNECT ${name}`.padEnd(CONNECT_BYTES), port);
  const challenge = await answer(peer, seen, (text) => text.startsWith("CHALLENGE "));
  const cookie = challenge.split(" ")[1]!;
  peer.send(`CONNECT ${name} ${cookie}`, port);
  const welcome = parseServerMessage(
    await answer(peer, seen, (text) => /^(CONNECTED|ERROR) /.test(text)),
  );
  if (!welcome.ok || welcome.message.type !== "CONNECTED")
    throw new Error(`${name} was not seated`);
  return { state: welcome.message.state as GameState, cookie };
}

/**
 * Walks the hidden player, as step 09's INPUTs, to a floor cell picked at random out of the light
 * of anyone standing by the entrance and at most WALK_REACH from where it starts, by a shortest
 * way from wherever its last state shows it.
 */
async function walk(hider: Stranger, port: number, name: string, seed: number): Promise<Position> {
  const random = seededRandom(seed);
  const ownSquare = () => lastState(hider)?.players.find((square) => square.name === name);
  const start = ownSquare()!;
  const entrance = entranceOf(MANSION_MAP);
  const goals = floorCells().filter(
    (cell) => !isLit(entrance, cell, HIDDEN_FROM_ENTRANCE) && isLit(start, cell, WALK_REACH),
  );
  const goal = goals[Math.floor(random() * goals.length)]!;
  let seq = 0;
  let way: Input | undefined;
  for (const until = performance.now() + 10_000; performance.now() < until; await sleep(40)) {
    const here = ownSquare()!;
    const next: Input = here.x === goal.x && here.y === goal.y ? "NONE" : firstStep(here, goal);
    if (next !== way) seq++;
    way = next;
    hider.send(`INPUT ${name} ${way} ${seq}`, port);
    if (way === "NONE") return here;
  }
  throw new Error(`the hidden player did not reach ${goal.x},${goal.y} in 10 s`);
}

/** The first step of a shortest walk over the mansion's floor from `from` to `to`. */
function firstStep(from: Position, to: Position): Input {
  const { width } = MANSION_MAP;
  const cellOf = ({ x, y }: Position) => y * width + x;
  // a search back from the goal: each cell reached learns the way that leads towards it
  const wayFrom = new Map<number, Input>([[cellOf(to), "NONE"]]);
  const queue = [to];
  for (let i = 0; i < queue.length && !wayFrom.has(cellOf(from)); i++) {
    const { x, y } = queue[i]!;
    for (const [way, cell] of [
      ["LEFT", { x: x + 1, y }],
      ["RIGHT", { x: x - 1, y }],
      ["UP", { x, y: y + 1 }],
      ["DOWN", { x, y: y - 1 }],
    ] as const) {
      if (isWall(MANSION_MAP, cell) || wayFrom.has(cellOf(cell))) continue;
      wayFrom.set(cellOf(cell), way);
      queue.push(cell);
    }
  }
  return wayFrom.get(cellOf(from)) ?? "NONE";
}

function floorCells(): Position[] {
  const cells: Position[] = [];
  for (let y = 0; y < MANSION_MAP.height; y++)
    for (let x = 0; x < MANSION_MAP.width; x++)
      if (!isWall(MANSION_MAP, { x, y })) cells.push({ x, y });
  return cells;
}

/**
 * The floor cells where the hidden player could stand, given the cells the joins got, in order,
 * and what their lanterns lit: a cell stays when `rule` would have put every join where it went.
 */
function candidates(rule: SpawnRuleName, joins: readonly Position[]): Position[] {
  const world = createWorld(MANSION_MAP);
  const spawn = spawnRule(rule, MANSION_MAP);
  let cells = floorCells().filter((cell) => !joins.some((join) => isLit(join, cell)));
  joins.forEach((join, i) => {
    cells = cells.filter((cell) => {
      world.players.clear();
      world.players.set("hider", { name: "hider", ...cell });
      joins
        .slice(0, i)
        .forEach((before, j) => world.players.set(`join${j}`, { name: `join${j}`, ...before }));
      const put = spawn(world);
      return put?.x === join.x && put.y === join.y;
    });
  });
  return cells;
}

interface Trial {
  rule: SpawnRuleName;
  hidden: Position;
  candidates: number;
  found: boolean;
}

/** One trial on a running server: a player hides, strangers join, and all of them leave. */
async function trial(rule: SpawnRuleName, port: number, seed: number): Promise<Trial> {
  const hider = await stranger("127.0.0.1");
  const peers = await Promise.all(Array.from({ length: JOINS }, () => stranger("127.0.0.2")));
  const name = `hider${seed}`;
  const joins: Position[] = [];
  const cookies: string[] = [];
  let hidden: Position;
  try {
    cookies.push((await handshake(hider, port, name)).cookie);
    hidden = await walk(hider, port, name, seed);
    for (const [i, peer] of peers.entries()) {
      const { state, cookie } = await handshake(peer, port, `stranger${i}`);
      cookies.push(cookie);
      if (state.players.some((square) => square.name === name))
        throw new Error(`${name} was in sight`);
      joins.push(state.players.find((square) => square.name === `stranger${i}`)!);
    }
  } finally {
    hider.send(`DISCONNECT ${name} ${cookies[0]}`, port);
    peers.forEach((peer, i) => peer.send(`DISCONNECT stranger${i} ${cookies[i + 1]}`, port));
    await sleep(100);
    for (const peer of [hider, ...peers]) peer.socket.close();
  }
  const left = candidates(rule, joins);
  return {
    rule,
    hidden,
    candidates: left.length,
    found: left.some(({ x, y }) => x === hidden.x && y === hidden.y),
  };
}

export const experiment: Experiment = {
  about: `where ${JOINS} newcomers spawn, as a side channel: the cells a hidden player may be on`,
  steps: ["09"],
  seconds: 30,
  async run() {
    const trials: Trial[] = [];
    for (const rule of ["farthest", "entrance"] satisfies SpawnRuleName[]) {
      progress(
        `step 09 --spawn ${rule}: a player hides, then ${JOINS} joins from one address, ${TRIALS} times`,
      );
      const target = await server("09", ["--spawn", rule]);
      for (let i = 0; i < TRIALS; i++) trials.push(await trial(rule, target.port, i + 1));
      await target.stop();
    }
    printTable([
      ["--spawn", "hidden at", "cells it may be on", "the true one among them"],
      ...trials.map(({ rule, hidden, candidates, found }) => [
        rule,
        `${hidden.x},${hidden.y}`,
        candidates,
        found ? "yes" : "no",
      ]),
    ]);
    const summary = (rule: SpawnRuleName) => {
      const of = trials.filter((each) => each.rule === rule);
      return {
        candidates: of.map((each) => each.candidates),
        found: of.filter((each) => each.found).length,
      };
    };
    console.log(
      JSON.stringify({
        trials: TRIALS,
        farthest: summary("farthest"),
        entrance: summary("entrance"),
      }),
    );
  },
};
