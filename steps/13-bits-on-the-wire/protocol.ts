/**
 * This step's messages: step 12's, each one written in binary, bit by bit (./bits.ts), every
 * value in exactly the bits its range needs. A datagram is one message; its last byte is padded
 * with zero bits. Each line below is one message, its fields in order, `name:bits` each:
 *
 *   client → server  CONNECT type:2=0 <username> <cookie?> zeros to 100 bytes
 *   client → server  INPUT type:2=1 <username> held:32 seen:32 tick:32 count:3 <direction:3> …
 *   client → server  GETSTATE type:2=2 <username>
 *   client → server  DISCONNECT type:2=3 <username> <cookie>
 *   server → client  CHALLENGE type:3=0 <cookie>
 *   server → client  CONNECTED type:3=1 port:16 <username> map:1 width:8 height:7 <state>
 *   server → client  DELTA type:3=2 tick:32 <back?> <ghost> early:5 <verdict?> ids:6 <changed?> … <change> …
 *   server → client  DISCONNECTED type:3=3 <username>
 *   server → client  ERROR type:3=4 length:8 <character:8> …
 *
 * <field?> is a bit, 1 if the field follows, 0 if it is left out. back:5 is how many ticks the
 * base is behind tick, less one. <username> (and <ghost>, <name>) is length-1:4, then each
 * character in 6 bits, from the 64 that a username may use (letters, digits, _ and -): `ann` is
 * 22 bits. <cookie> is length-1:6 then its characters, 6 bits each (a cookie is base64url: the
 * same 64 characters). <direction:3> is UP, DOWN, LEFT, RIGHT or NONE, 0 to 4. A position is
 * x:8 y:7: the mansion, the largest map, is 153 × 81 cells. map:1 is the map's number, house 0
 * or mansion 1: the client knows the maps (lib/map.ts), and width and height must be that map's.
 * <state> is tick:32 <ghost?> count:6, then count squares, each <name> x:8 y:7. <ghost?> is a bit,
 * then the ghost's name if there is one.

 * As in step 12, what each field means:
 * - CONNECT is padded with zero bytes to 100: the server answers an address it has not verified
 *   with no more bytes than it received. Without a cookie it gets a CHALLENGE, with it the welcome.
 * - The cookie that won the seat is the seat's secret: a CONNECT again or a DISCONNECT counts only
 *   with it. A <cookie> is a keyed hash: 22 characters, 138 bits here.
 * - INPUT: <held> the newest tick whose whole state the client holds (0: none); <seen> the tick the
 *   screen showed when the newest input was made; then count+1 inputs, for the ticks <tick>,
 *   <tick>+1, …: at most REDUNDANT_INPUTS (8), three bits each.
 * - DELTA: the state of tick <tick>, as its changes from the state of tick <tick> - back - 1
 *   (a state the server still keeps, lib/delta.ts: 32 ticks at most); without a base, a full
 *   state. Against a base, <ghost> is <changed?> then, only if the ghost is not the base's,
 *   <ghost?>: a name of 6 characters costs 41 bits, and the ghost changes once a game or so.
 *   Without a base it is <ghost?>. early:5 is early+1: -1 (no input had arrived) to 20
 *   (FUTURE_TICKS). ids:6 is one more than the highest short id (below 32) the DELTA changes,
 *   then a bit for each id up to it, 1 if it changed: a bit a square where an id was 5 bits a
 *   change (Fiedler's "changed" bit for each cube). Then each change, in the order of its id,
 *   is kind:2 and its fields; without a base every change is an enter, and its kind is left out:
 *     kind 0, enter: <name> x:8 y:7   a square that came into the light, with its name
 *     kind 1, move:  x:8 y:7          a square of the base state that moved further
 *     kind 2, leave                   a square of the base state that left the light
 *     kind 3, step:  dx dy            a square of the base state that walked there
 *   A square walks at most a cell a tick: since a base `back` ticks old, at most `back` cells
 *   each way. A step is that walk, dx and dy each from -back to back, written plus back in the
 *   bits 2 × back + 1 values need: a base 1 tick back, 2 bits each (0 to 2, and 3 is refused),
 *   2 ticks back, 3 bits; a step of 6 to 10 bits where a move is 17, while the base is under
 *   8 ticks back. A move further, which walking never makes, is written whole. The reader
 *   needs the base's cells to place a step: the server has them in the states it keeps for its
 *   deltas (lib/delta.ts), a client keeps the cells of the states it holds (Bases, below);
 *   --trace, which has none, prints a step as it travels: `1,+1,-1`.
 *   A client applies a DELTA only to the very state its base names.
 * - <verdict>, only to the ghost in the tick of its tag attempt: seentick:32 seen x:8 y:7
 *   <real x:8 y:7?> tagged:1: the tick the server judged the ghost to have seen, where
 *   the human stood then and where they really were (absent if they had left).
 *
 * Every read is checked: a datagram too short for its fields, with a whole byte or a bit set
 * after them, or with a value out of its range (a direction 5, a step longer than its base is
 * old, ids:6 past the last id changed) is refused whole, never half applied. --trace prints
 * each datagram as step 12's text (describe…).
 */
import { BitReader, BitWriter, Unreadable, bitsFor } from "./bits.ts";
import { type Delta, KEPT_STATES, type SquareChange } from "../../lib/delta.ts";
import { INPUTS, type Input } from "../../lib/game.ts";
import {
  FUTURE_TICKS,
  MISSED,
  REDUNDANT_INPUTS,
  type TickedInput,
} from "../../lib/input-buffer.ts";
import { MOST_SQUARES_LIT } from "../../lib/lantern.ts";
import { type GameMap, MAPS, type MapName, type Position } from "../../lib/map.ts";
import { type Parsed, fail, fieldWords, ok, usernameProblem } from "../../lib/words.ts";

/** A ghost's tag attempt as the server judged it: where the human stood then, and where they were. */
export interface Verdict {
  /** the tick the ghost's screen is taken to have shown: its claim, clamped to the rewind's cap */
  seenTick: number;
  /** where the human stood at seenTick: where the server rewound them to */
  seen: Position;
  /** where they really were as the ghost moved; undefined if they had left the game */
  real: Position | undefined;
  tagged: boolean;
}

/** One player's square: their name and cell. */
export interface Square {
  name: string;
  x: number;
  y: number;
}

/** Who is the ghost, and where everybody is. */
export interface State {
  ghost: string | null;
  players: Square[];
}

/** The request to join: without a cookie it asks for one, with the cookie it asks for a seat. */
export type Connect = { type: "CONNECT"; username: string; cookie?: string };

/** The state of one tick, as every tick's STATE carries it. */
export interface TickedState extends State {
  tick: number;
}

/** What a player sends once seated (a CONNECT is read apart: it gets no ERROR). */
export type ClientMessage =
  | {
      type: "INPUT";
      username: string;
      /** the newest tick whose whole state the client holds; 0 while it holds none */
      held: number;
      /** the tick the screen showed when the newest of these inputs was made */
      seen: number;
      /** the client's latest inputs, for consecutive ticks, oldest first */
      inputs: readonly TickedInput[];
    }
  | { type: "GETSTATE"; username: string }
  | { type: "DISCONNECT"; username: string; cookie: string };

/** The answer to a join that lets the player in: `CONNECTED <port> …`, with the map and the state. */
export type Welcome = {
  type: "CONNECTED";
  port: number;
  username: string;
  map: GameMap;
  mapName: MapName;
  state: TickedState;
};

/** A square that walked since the base, `back` ticks old: by dx, dy, each -back to back. */
export type Step = { kind: "step"; id: number; dx: number; dy: number };

/**
 * A DELTA as its datagram carries it, before it is read against its base: its moves of a few
 * cells are steps, and its ghost is undefined when it is the base's.
 */
export interface SentDelta {
  tick: number;
  base?: number;
  ghost: string | null | undefined;
  changes: (SquareChange | Step)[];
}

/** A state's DELTA: `D` is a Delta, or a SentDelta as read from the datagram, before its base. */
type DeltaMessage<D> = {
  type: "DELTA";
  delta: D;
  /** how many ticks before this one the input applied in it arrived: MISSED (-1) if none did */
  early: number;
  /** to the ghost, in the tick it tried a tag: how the server judged it */
  verdict?: Verdict;
};

type OtherServerMessage =
  | { type: "CHALLENGE"; cookie: string }
  | Welcome
  | { type: "DISCONNECTED"; username: string }
  | { type: "ERROR"; reason: string };

/** What a server sends. */
export type ServerMessage = OtherServerMessage | DeltaMessage<Delta>;
/** What a client reads from a datagram: a DELTA still to be read against its base (Bases). */
export type ReadServerMessage = OtherServerMessage | DeltaMessage<SentDelta>;

/** A CONNECT's size: the server's answer to an unverified address is never bigger. */
export const CONNECT_BYTES = 100;

const CLIENT_TYPES = ["CONNECT", "INPUT", "GETSTATE", "DISCONNECT"] as const;
const SERVER_TYPES = ["CHALLENGE", "CONNECTED", "DELTA", "DISCONNECTED", "ERROR"] as const;
const MAP_NAMES = Object.keys(MAPS) as MapName[];
/** The characters of a username, and of a cookie (base64url): 64, so 6 bits each. */
const CHARACTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const USERNAME_LENGTHS = 16;
const COOKIE_LENGTHS = 64;
/** The largest map's size: a position takes the bits it needs, 8 and 7 for the mansion's 153 × 81. */
const WIDTH = Math.max(...MAP_NAMES.map((name) => MAPS[name].width));
const HEIGHT = Math.max(...MAP_NAMES.map((name) => MAPS[name].height));
const X_BITS = bitsFor(WIDTH);
const Y_BITS = bitsFor(HEIGHT);
/** A tick: 32 bits, 6.8 years at 20 ticks a second. */
const TICK_BITS = 32;
/**
 * A server's tick is below half that (3.4 years): a client counts its inputs' ticks ahead of it,
 * and a forged tick near 2³² would make them too big for their 32 bits.
 */
const MOST_SERVER_TICKS = 2 ** 31;
/** A base is at most this many ticks back, the states the server keeps (lib/delta.ts). */
const MOST_TICKS_BACK = 32;
/** early - MISSED: from MISSED (-1) to FUTURE_TICKS, the furthest ahead an input is kept. */
const EARLY_VALUES = FUTURE_TICKS + 2;
const CHANGE_KINDS = ["enter", "move", "leave", "step"] as const;
const KIND_BITS = bitsFor(CHANGE_KINDS.length);
/** How many values a step's dx (or dy) takes, against a base `back` ticks old: -back to back. */
export const stepValues = (back: number) => 2 * back + 1;
const ERROR_BYTES = 255;

export function encodeClientMessage(message: ClientMessage | Connect): Buffer {
  const writer = new BitWriter();
  writer.write(CLIENT_TYPES.indexOf(message.type), bitsFor(CLIENT_TYPES.length));
  writeText(writer, message.username, USERNAME_LENGTHS);
  switch (message.type) {
    case "CONNECT":
      writer.writeFlag(message.cookie !== undefined);
      if (message.cookie !== undefined) writeText(writer, message.cookie, COOKIE_LENGTHS);
      return writer.finish(CONNECT_BYTES);
    case "INPUT":
      writer.write(message.held, TICK_BITS);
      writer.write(message.seen, TICK_BITS);
      writer.write(message.inputs[0]!.tick, TICK_BITS);
      writer.write(message.inputs.length - 1, bitsFor(REDUNDANT_INPUTS));
      for (const { input } of message.inputs)
        writer.write(INPUTS.indexOf(input), bitsFor(INPUTS.length));
      return writer.finish();
    case "GETSTATE":
      return writer.finish();
    case "DISCONNECT":
      writeText(writer, message.cookie, COOKIE_LENGTHS);
      return writer.finish();
  }
}

/**
 * The states a DELTA is written against, as a server keeps those it sent a client (SentStates, in
 * lib/delta.ts) and a client those it read (Bases, below).
 */
export interface KeptStates {
  /** Whether the state of `tick` is kept: against a state not kept, a DELTA is written whole. */
  holds(tick: number): boolean;
  /** The ghost in the state of `tick`, a tick held. */
  ghostOf(tick: number): string | null;
  /** Where the square of `id` stood in the state of `tick`, a tick held; undefined if it had none. */
  cellOf(tick: number, id: number): Position | undefined;
}

/**
 * A message's datagram. A DELTA's steps and ghost are written against its base's cells in
 * `bases` (a base not there, its moves are written whole, and its ghost).
 */
export function encodeServerMessage(message: ServerMessage, bases: KeptStates = NO_BASES): Buffer {
  const writer = new BitWriter();
  writer.write(SERVER_TYPES.indexOf(message.type), bitsFor(SERVER_TYPES.length));
  switch (message.type) {
    case "CHALLENGE":
      writeText(writer, message.cookie, COOKIE_LENGTHS);
      break;
    case "CONNECTED": {
      writer.write(message.port, 16);
      writeText(writer, message.username, USERNAME_LENGTHS);
      writer.write(MAP_NAMES.indexOf(message.mapName), bitsFor(MAP_NAMES.length));
      writer.write(message.map.width, X_BITS);
      writer.write(message.map.height, Y_BITS);
      const { tick, ghost, players } = message.state;
      writer.write(tick, TICK_BITS);
      writeGhost(writer, ghost);
      writer.write(players.length, bitsFor(MOST_SQUARES_LIT + 1));
      for (const square of players) writeSquare(writer, square);
      break;
    }
    case "DELTA": {
      const { tick, base, ghost, changes } = message.delta;
      writer.write(tick, TICK_BITS);
      writer.writeFlag(base !== undefined);
      if (base !== undefined) writer.write(tick - base - 1, bitsFor(MOST_TICKS_BACK));
      const held = base !== undefined && bases.holds(base) ? base : undefined;
      const ghostChanged = held === undefined || ghost !== bases.ghostOf(held);
      if (base !== undefined) writer.writeFlag(ghostChanged);
      if (ghostChanged) writeGhost(writer, ghost);
      writer.write(message.early - MISSED, bitsFor(EARLY_VALUES));
      writer.writeFlag(message.verdict !== undefined);
      if (message.verdict) writeVerdict(writer, message.verdict);
      const byId: (SquareChange | undefined)[] = [];
      for (const change of changes) byId[change.id] = change;
      writer.write(byId.length, bitsFor(MOST_SQUARES_LIT + 1));
      for (const change of byId) writer.writeFlag(change !== undefined);
      const back = base === undefined ? undefined : tick - base;
      for (const change of byId) {
        if (!change) continue;
        const was = held === undefined ? undefined : bases.cellOf(held, change.id);
        writeChange(writer, change, back, was);
      }
      break;
    }
    case "DISCONNECTED":
      writeText(writer, message.username, USERNAME_LENGTHS);
      break;
    case "ERROR": {
      // printable ASCII only, the most an answer carries: a reason is ours, in plain English
      const reason = message.reason.replace(/[^\x20-\x7e]/g, "?").slice(0, ERROR_BYTES);
      writer.write(reason.length, 8);
      for (const character of reason) writer.write(character.charCodeAt(0), 8);
      break;
    }
  }
  return writer.finish();
}

/** length-1 then each character in 6 bits: a username or a cookie, checked by the caller. */
function writeText(writer: BitWriter, text: string, lengths: number): void {
  writer.write(text.length - 1, bitsFor(lengths));
  for (const character of text) writer.write(CHARACTERS.indexOf(character), 6);
}

function writeGhost(writer: BitWriter, ghost: string | null): void {
  writer.writeFlag(ghost !== null);
  if (ghost !== null) writeText(writer, ghost, USERNAME_LENGTHS);
}

function writePosition(writer: BitWriter, { x, y }: Position): void {
  writer.write(x, X_BITS);
  writer.write(y, Y_BITS);
}

function writeSquare(writer: BitWriter, square: Square): void {
  writeText(writer, square.name, USERNAME_LENGTHS);
  writePosition(writer, square);
}

/**
 * A change: its kind, then its fields. A move of at most `back` cells each way from `was`, its
 * cell in the base (`back` ticks old), is a step. Without a base every change brings a square:
 * its kind, with one value left, takes no bits (2 a square of a full state, 64 in a crowd of 32).
 */
function writeChange(
  writer: BitWriter,
  change: SquareChange,
  back: number | undefined,
  was: Position | undefined,
): void {
  const step = change.kind === "move" && was !== undefined && back && isStep(was, change, back);
  if (back !== undefined)
    writer.write(CHANGE_KINDS.indexOf(step ? "step" : change.kind), KIND_BITS);
  if (step) {
    writer.write(change.x - was.x + back, bitsFor(stepValues(back)));
    writer.write(change.y - was.y + back, bitsFor(stepValues(back)));
  } else if (change.kind === "enter") writeSquare(writer, change);
  else if (change.kind === "move") writePosition(writer, change);
}

/** Whether the move from `was` to `now` is of `reach` cells or fewer each way. */
function isStep(was: Position, now: Position, reach: number): boolean {
  return Math.abs(now.x - was.x) <= reach && Math.abs(now.y - was.y) <= reach;
}

function writeVerdict(writer: BitWriter, { seenTick, seen, real, tagged }: Verdict): void {
  writer.write(seenTick, TICK_BITS);
  writePosition(writer, seen);
  writer.writeFlag(real !== undefined);
  if (real) writePosition(writer, real);
  writer.writeFlag(tagged);
}

/**
 * Reads a whole datagram with `read`, then checks that nothing but padding is left: the message,
 * or why the datagram is refused (short, too long, a value out of range).
 */
function readWhole<T>(datagram: Uint8Array, read: (reader: BitReader) => T, length?: number) {
  const reader = new BitReader(datagram);
  try {
    const message = read(reader);
    reader.finish(length);
    return ok(message);
  } catch (error) {
    if (error instanceof Unreadable) return fail(error.message);
    throw error;
  }
}

function readText(reader: BitReader, lengths: number, what: string): string {
  const length = reader.readBelow(lengths, `${what} length`) + 1;
  let text = "";
  for (let i = 0; i < length; i++) text += CHARACTERS[reader.read(6)];
  return text;
}

function readUsername(reader: BitReader, what = "username"): string {
  const name = readText(reader, USERNAME_LENGTHS, what);
  const problem = usernameProblem(name);
  if (problem) throw new Unreadable(problem);
  return name;
}

const readCookie = (reader: BitReader) => readText(reader, COOKIE_LENGTHS, "cookie");
const readGhost = (reader: BitReader) => (reader.readFlag() ? readUsername(reader, "ghost") : null);

function readPosition(reader: BitReader): Position {
  return { x: reader.readBelow(WIDTH, "x"), y: reader.readBelow(HEIGHT, "y") };
}

function readSquare(reader: BitReader): Square {
  return { name: readUsername(reader), ...readPosition(reader) };
}

/** Parses what a client sent once seated: why it cannot be read, or the message. */
export function parseClientMessage(datagram: Uint8Array): Parsed<ClientMessage> {
  return readWhole(datagram, (reader): ClientMessage => {
    const type = CLIENT_TYPES[reader.read(bitsFor(CLIENT_TYPES.length))]!;
    if (type === "CONNECT") throw new Unreadable("a CONNECT is read apart");
    const username = readUsername(reader);
    if (type === "GETSTATE") return { type, username };
    if (type === "DISCONNECT") return { type, username, cookie: readCookie(reader) };
    const held = reader.read(TICK_BITS);
    // Any tick a client claims to have seen is taken: the server clamps it to what it holds.
    const seen = reader.read(TICK_BITS);
    const first = reader.read(TICK_BITS);
    const count = reader.read(bitsFor(REDUNDANT_INPUTS)) + 1;
    const inputs: TickedInput[] = [];
    for (let i = 0; i < count; i++) {
      const input = INPUTS[reader.readBelow(INPUTS.length, "direction")]!;
      inputs.push({ tick: first + i, input });
    }
    return { type, username, held, seen, inputs };
  });
}

/**
 * Parses a CONNECT: undefined for anything else. It stands apart from parseClientMessage
 * because what a stranger sends gets no ERROR: an unverified address gets a CHALLENGE or nothing.
 */
export function parseConnect(datagram: Uint8Array): Connect | undefined {
  // most datagrams are not CONNECTs: their size tells, before a reader throws on them
  if (datagram.length !== CONNECT_BYTES) return undefined;
  const parsed = readConnect(datagram);
  return parsed.ok ? parsed.message : undefined;
}

/** A CONNECT, padded to CONNECT_BYTES, or why the datagram is not one. */
function readConnect(datagram: Uint8Array): Parsed<Connect> {
  return readWhole(
    datagram,
    (reader): Connect => {
      const type = CLIENT_TYPES[reader.read(bitsFor(CLIENT_TYPES.length))]!;
      if (type !== "CONNECT") throw new Unreadable("not a CONNECT");
      const username = readUsername(reader);
      return reader.readFlag()
        ? { type, username, cookie: readCookie(reader) }
        : { type, username };
    },
    CONNECT_BYTES,
  );
}

/** Parses what a server sent; a client that gets something else drops it, and counts it. */
export function parseServerMessage(datagram: Uint8Array): Parsed<ReadServerMessage> {
  return readWhole(datagram, (reader): ReadServerMessage => {
    const type = SERVER_TYPES[reader.readBelow(SERVER_TYPES.length, "message type")]!;
    switch (type) {
      case "CHALLENGE":
        return { type, cookie: readCookie(reader) };
      case "CONNECTED": {
        const port = reader.read(16);
        const username = readUsername(reader);
        const mapName = MAP_NAMES[reader.readBelow(MAP_NAMES.length, "map")]!;
        const map = MAPS[mapName];
        if (reader.read(X_BITS) !== map.width || reader.read(Y_BITS) !== map.height) {
          throw new Unreadable("MAP does not match the size");
        }
        const tick = readServerTick(reader);
        const ghost = readGhost(reader);
        const count = reader.readBelow(MOST_SQUARES_LIT + 1, "square count");
        const players: Square[] = [];
        const names = new Set<string>();
        for (let i = 0; i < count; i++) {
          const square = readSquare(reader);
          if (names.has(square.name)) throw new Unreadable(`STATE brings ${square.name} twice`);
          names.add(square.name);
          players.push(square);
        }
        return { type, port, username, map, mapName, state: { tick, ghost, players } };
      }
      case "DELTA":
        return { type, ...readDelta(reader) };
      case "DISCONNECTED":
        return { type, username: readUsername(reader) };
      case "ERROR": {
        const length = reader.read(8);
        let reason = "";
        for (let i = 0; i < length; i++) reason += String.fromCharCode(reader.read(8));
        return { type, reason: reason.trim() || "unknown error" };
      }
    }
  });
}

/** A tick of the server's, in its 32 bits, and below MOST_SERVER_TICKS. */
function readServerTick(reader: BitReader): number {
  const tick = reader.read(TICK_BITS);
  if (tick >= MOST_SERVER_TICKS)
    throw new Unreadable(`tick ${tick} is beyond ${MOST_SERVER_TICKS}`);
  return tick;
}

/**
 * A DELTA's fields, checked as strictly as what a client sends: a square brought twice is refused
 * here, and a full state can only bring squares (its changes have no kind), so that applying a
 * delta (Bases, then lib/delta.ts) has only to check it against the state it names.
 */
function readDelta(reader: BitReader): { delta: SentDelta; early: number; verdict?: Verdict } {
  const tick = readServerTick(reader);
  const back = reader.readFlag() ? reader.read(bitsFor(MOST_TICKS_BACK)) + 1 : undefined;
  if (back !== undefined && back > tick) throw new Unreadable(`DELTA base before tick 0`);
  const ghostChanged = back === undefined || reader.readFlag();
  const ghost = ghostChanged ? readGhost(reader) : undefined;
  const early = reader.readBelow(EARLY_VALUES, "early") + MISSED;
  const verdict = reader.readFlag() ? readVerdict(reader) : undefined;
  const idCount = reader.readBelow(MOST_SQUARES_LIT + 1, "id count");
  const ids: number[] = [];
  for (let id = 0; id < idCount; id++) if (reader.readFlag()) ids.push(id);
  // ids:6 is one more than the last id changed: one DELTA, one way to write it
  if (idCount > 0 && ids.at(-1) !== idCount - 1) throw new Unreadable("id count past the last id");
  const changes: (SquareChange | Step)[] = [];
  const names = new Set<string>();
  for (const id of ids) {
    const kind = back === undefined ? "enter" : CHANGE_KINDS[reader.read(KIND_BITS)]!;
    if (kind === "enter") {
      const square = readSquare(reader);
      if (names.has(square.name)) throw new Unreadable(`DELTA brings ${square.name} twice`);
      names.add(square.name);
      changes.push({ kind, id, ...square });
    } else if (kind === "move") changes.push({ kind, id, ...readPosition(reader) });
    else if (kind === "step") {
      const dx = reader.readBelow(stepValues(back!), "dx") - back!;
      changes.push({ kind, id, dx, dy: reader.readBelow(stepValues(back!), "dy") - back! });
    } else changes.push({ kind, id });
  }
  const delta = { tick, ...(back === undefined ? {} : { base: tick - back }), ghost, changes };
  return { delta, early, ...(verdict && { verdict }) };
}

/**
 * The ghost and the cell of each square, by id, of the last KEPT_STATES states a client read, one
 * each tick modulo KEPT_STATES, as lib/delta.ts keeps the states themselves: what a DELTA is read
 * against. The server reads its bases from the states lib/delta.ts keeps for each client.
 *
 * The cells are numbers in two flat arrays, written in place. Measured when the server kept one
 * for each player too: kept as the changes that brought them, a thousand players' changes outlived
 * V8's young generation (277 MB at 1,000 players in the bench); as an object with two small arrays
 * for each state, they were 19 MB of the heap at 1,000 players, and V8 let the heap grow twice that
 * before it collected (the server peaked at 257 MB; flat, at 191).
 */
export class Bases {
  /** the tick of the state in each slot, -1 for none */
  private readonly ticks = new Float64Array(KEPT_STATES).fill(-1);
  private readonly ghosts = new Array<string | null>(KEPT_STATES).fill(null);
  /** each slot's cells by id, MOST_SQUARES_LIT to a slot: x is -1 where the state has no square of that id */
  private readonly xs = new Int16Array(KEPT_STATES * MOST_SQUARES_LIT).fill(-1);
  private readonly ys = new Int16Array(KEPT_STATES * MOST_SQUARES_LIT);

  holds(tick: number): boolean {
    return this.ticks[tick % KEPT_STATES] === tick;
  }

  /** The ghost in the state of `tick`, a tick held. */
  ghostOf(tick: number): string | null {
    return this.ghosts[tick % KEPT_STATES]!;
  }

  /** Where the square of `id` stood in the state of `tick`, a tick held; undefined if it had none. */
  cellOf(tick: number, id: number): Position | undefined {
    const cell = (tick % KEPT_STATES) * MOST_SQUARES_LIT + id;
    const x = this.xs[cell]!;
    return x < 0 ? undefined : { x, y: this.ys[cell]! };
  }

  /** Keeps the state `delta` makes of its base's (none without one): the client, for each DELTA it applies. */
  keep(delta: Delta): void {
    const slot = delta.tick % KEPT_STATES;
    if (this.ticks[slot]! >= delta.tick) return;
    const first = slot * MOST_SQUARES_LIT;
    const end = first + MOST_SQUARES_LIT;
    if (delta.base === undefined || !this.holds(delta.base)) this.xs.fill(-1, first, end);
    else {
      const baseFirst = (delta.base % KEPT_STATES) * MOST_SQUARES_LIT;
      this.xs.copyWithin(first, baseFirst, baseFirst + MOST_SQUARES_LIT);
      this.ys.copyWithin(first, baseFirst, baseFirst + MOST_SQUARES_LIT);
    }
    for (const change of delta.changes) {
      if (change.kind === "leave") this.xs[first + change.id] = -1;
      else [this.xs[first + change.id], this.ys[first + change.id]] = [change.x, change.y];
    }
    this.ticks[slot] = delta.tick;
    this.ghosts[slot] = delta.ghost;
  }

  /**
   * A DELTA as read from its datagram, its steps and ghost taken from its base (to keep, once applied); or why
   * not: its base is not held (lost, or too old), or a step leads off the map or from a square
   * the base has not.
   */
  resolve(sent: SentDelta): Parsed<Delta> {
    const { base } = sent;
    if (base !== undefined && !this.holds(base))
      return fail(`the state of tick ${base} is not held`);
    const changes: SquareChange[] = [];
    for (const change of sent.changes) {
      if (change.kind !== "step") {
        changes.push(change);
        continue;
      }
      const was = base === undefined ? undefined : this.cellOf(base, change.id);
      if (!was) return fail(`DELTA steps id ${change.id}, which the state has not`);
      const [x, y] = [was.x + change.dx, was.y + change.dy];
      if (x < 0 || x >= WIDTH || y < 0 || y >= HEIGHT)
        return fail(`a step to ${x},${y}, off the map`);
      changes.push({ kind: "move", id: change.id, x, y });
    }
    if (sent.ghost === undefined && base === undefined)
      return fail("a whole state without its ghost");
    const ghost = sent.ghost === undefined ? this.ghostOf(base!) : sent.ghost;
    const delta = { tick: sent.tick, ...(base === undefined ? {} : { base }), ghost, changes };
    return ok(delta);
  }
}

/** The bases of a message sent without any (a welcome, a trace): none held, so a DELTA is written whole. */
const NO_BASES = new Bases();

function readVerdict(reader: BitReader): Verdict {
  const seenTick = reader.read(TICK_BITS);
  const seen = readPosition(reader);
  const real = reader.readFlag() ? readPosition(reader) : undefined;
  return { seenTick, seen, real, tagged: reader.readFlag() };
}

/** For --trace: what a client sent, as step 12's text, or why it cannot be read. */
export function describeClientDatagram(datagram: Uint8Array): string {
  const typeBits = bitsFor(CLIENT_TYPES.length);
  const isConnect =
    datagram.length > 0 &&
    new BitReader(datagram).read(typeBits) === CLIENT_TYPES.indexOf("CONNECT");
  const parsed = isConnect ? readConnect(datagram) : parseClientMessage(datagram);
  return parsed.ok ? textOfClientMessage(parsed.message) : `(unreadable: ${parsed.reason})`;
}

/** For --trace: what a server sent, as step 12's text, or why it cannot be read. */
export function describeServerDatagram(datagram: Uint8Array): string {
  const parsed = parseServerMessage(datagram);
  return parsed.ok ? textOfServerMessage(parsed.message) : `(unreadable: ${parsed.reason})`;
}

/** What --trace prints: the datagrams a server sends and receives, as text. */
export const SERVER_TRACE = { sent: describeServerDatagram, received: describeClientDatagram };
/** What --trace prints: the datagrams a client sends and receives, as text. */
export const CLIENT_TRACE = { sent: describeClientDatagram, received: describeServerDatagram };

/** Step 12's text of each message: what --trace prints, so that the protocol stays readable. */
function textOfClientMessage(message: ClientMessage | Connect): string {
  switch (message.type) {
    case "CONNECT":
      return ["CONNECT", message.username, ...(message.cookie ? [message.cookie] : [])].join(" ");
    case "INPUT":
      const { username, held, seen, inputs } = message;
      return ["INPUT", username, held, seen, ...inputWords(inputs)].join(" ");
    case "GETSTATE":
      return `${message.type} ${message.username}`;
    case "DISCONNECT":
      return `${message.type} ${message.username} ${message.cookie}`;
  }
}

function textOfServerMessage(message: ReadServerMessage): string {
  switch (message.type) {
    case "CONNECTED": {
      const { port, username, map, mapName, state } = message;
      const size = `${map.width}x${map.height}`;
      return [
        "CONNECTED",
        port,
        username,
        size,
        "MAP",
        mapName,
        "STATE",
        ...tickedStateWords(state),
        "END",
      ].join(" ");
    }
    case "CHALLENGE":
      return `CHALLENGE ${message.cookie}`;
    case "DELTA":
      return ["DELTA", ...deltaWords(message), "END"].join(" ");
    case "DISCONNECTED":
      return `DISCONNECTED ${message.username}`;
    case "ERROR":
      return `ERROR ${message.reason}`;
  }
}

/**
 * `<tick> <run> …`: the first input's tick, then the directions as runs of the same one.
 * A held key is one run: `UP*12` is 5 bytes where twelve `UP` would be 35.
 */
function inputWords(inputs: readonly TickedInput[]): string[] {
  const runs: { input: Input; count: number }[] = [];
  for (const { input } of inputs) {
    const run = runs.at(-1);
    if (run?.input === input) run.count++;
    else runs.push({ input, count: 1 });
  }
  const words = runs.map(({ input, count }) => (count === 1 ? input : `${input}*${count}`));
  return [String(inputs[0]?.tick ?? 0), ...words];
}

/**
 * `<name>,<x>,<y>`: one square. Written with a template rather than an
 * array joined: this step writes 20,000 states a second at 1,000 players.
 */
function encodeSquare(square: Square): string {
  return `${square.name},${square.x},${square.y}`;
}

/** `tick=<n> [ghost=<name>] <name>,<x>,<y> …`, as words. */
function tickedStateWords(state: TickedState): string[] {
  return [
    `tick=${state.tick}`,
    ...fieldWords("ghost", state.ghost),
    ...state.players.map(encodeSquare),
  ];
}

function encodeChange(change: SquareChange | Step): string {
  switch (change.kind) {
    case "step":
      return `${change.id},${signed(change.dx)},${signed(change.dy)}`;
    case "enter":
      return `${change.id}=${encodeSquare(change)}`;
    case "move":
      return `${change.id},${change.x},${change.y}`;
    case "leave":
      return `-${change.id}`;
  }
}

/** `+1`, `-1`, `+0`: a step's offset, its sign always written. */
const signed = (offset: number) => (offset < 0 ? String(offset) : `+${offset}`);

/**
 * `tick=<n> [base=<b>] [ghost=<name>] early=<e> [verdict=<verdict>] <change> …`, as words; a
 * ghost left out as the base's is not written, and a ghost gone since the base is `ghost=(none)`.
 */
function deltaWords({ delta, early, verdict }: DeltaMessage<SentDelta>) {
  const { tick, base, ghost, changes } = delta;
  const goneSinceBase = ghost === null && base !== undefined;
  return [
    `tick=${tick}`,
    ...fieldWords("base", base),
    ...fieldWords("ghost", goneSinceBase ? "(none)" : ghost),
    `early=${early}`,
    ...fieldWords("verdict", verdict && encodeVerdict(verdict)),
    ...changes.map(encodeChange),
  ];
}

/** `<seenTick>,<sx>,<sy>,<rx>,<ry>,<T|M>`, with `-,-` for a human who had left. */
function encodeVerdict({ seenTick, seen, real, tagged }: Verdict): string {
  const realWords = real ? [real.x, real.y] : ["-", "-"];
  return [seenTick, seen.x, seen.y, ...realWords, tagged ? "T" : "M"].join(",");
}
