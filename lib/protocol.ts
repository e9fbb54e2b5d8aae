/**
 * The text messages of the write-up, encoded and validated in one place.
 *
 * Every message is one line of space-separated words. Framing (where a message
 * ends) is the transport's job: a TCP stream needs it, a UDP datagram does not.
 *
 *   client → server                                 server → client
 *   CONNECTED <username>                            CONNECTED <port> <username> <size> WALLS <wallstring> STATE <statestring> END
 *   INPUT <username> <direction> [<seq> [<held>]]   STATE <statestring> END
 *   GETSTATE <username>                             DISCONNECTED <username>
 *   DISCONNECT <username>                           ERROR <reason>
 *   CONNECT <username> [<cookie>]                   CHALLENGE <cookie>                                          (from step 08)
 *                                                   CONNECTED … <size> MAP <mapname> STATE …                     (from step 09)
 *                                                   DELTA tick=<n> [base=<n>] [ghost=<name>] <change> … END      (from step 10)
 *
 * <size> is the map's `<width>x<height>`, <wallstring> its rows of `#` and `.`
 * joined by `/`, and <statestring> is `[tick=<n>] [ghost=<name>] <name>,<x>,<y>[,<ack>[,<ackTick>]] …`.
 *
 * Step 10 sends each client only what changed since a state it holds (lib/delta.ts):
 * - <held> in INPUT: the newest tick whose whole state the client holds, the state the
 *   server may send its changes against.
 * - DELTA: the state of tick <n>, written as its changes from the state of tick base=
 *   (which must be older); without base=, from nothing: a full state. Each square has a
 *   short id in the states of one client, a number below 32 (a state holds at most 32
 *   squares, lib/lantern.ts). A <change> is one of
 *     <id>=<name>,<x>,<y>[,<ack>[,<ackTick>]]   a square that came into the light, with its name
 *                                               (it takes the id from whatever square had it)
 *     <id>,<x>,<y>[,<ack>[,<ackTick>]]          a square of the base state that moved
 *     -<id>                                     a square of the base state that left the light
 *   Your own square is always written, with its ack and ackTick (lib/prediction.ts needs them).
 *   A client applies a DELTA only to the very state its base= names: if it does not hold it
 *   (lost, or too old) it drops the DELTA, and waits for one against a state it has said it holds.
 */
import { INPUTS, type Input, type World } from "./game.ts";
import { MOST_SQUARES_LIT } from "./lantern.ts";
import { type GameMap, MAPS, type MapName, isMapName, mapFromRows } from "./map.ts";

/** The write-up's receive size: the longest message a server accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 1024;
/**
 * The longest message a client accepts from its server. A welcome carries the
 * map and every square, far less than this; a server that sends more is broken
 * or hostile, and must not fill the client's memory.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_USERNAME_LENGTH = 16;

export interface PlayerState {
  name: string;
  x: number;
  y: number;
  /** the last input sequence number the server applied for this player (from step 06) */
  ack?: number;
  /** the tick in which the server first applied that input (from step 07) */
  ackTick?: number;
}

export interface GameState {
  /** the server's tick counter (from step 05), so a client can ignore a state older than one it has shown */
  tick?: number;
  ghost: string | null;
  players: PlayerState[];
}

/** A state with its tick, as every server sends from step 05 on. */
export type TickedState = GameState & { tick: number };

export type ClientMessage =
  | { type: "CONNECTED"; username: string }
  | {
      type: "INPUT";
      username: string;
      input: Input;
      seq?: number;
      /** the newest tick whose state the client holds (from step 10); written only after a seq */
      held?: number;
    }
  | { type: "GETSTATE"; username: string }
  | { type: "DISCONNECT"; username: string };

/**
 * Step 08's join: the first CONNECT has no cookie and gets a CHALLENGE; the
 * second brings that cookie back, which proves the client receives at its address.
 */
export type Connect = { type: "CONNECT"; username: string; cookie?: string };

/** The server's answer to a CONNECTED that lets the player in. */
export type Welcome = {
  type: "CONNECTED";
  port: number;
  username: string;
  map: GameMap;
  /** set: the map is sent by its name (step 09 on), not as its walls, which the client knows already */
  mapName?: MapName;
  state: GameState;
};

/**
 * One square's change in a DELTA (step 10). `enter` is a square that came into the
 * light, written with its name; `move` a square of the base state that moved (or your
 * own, written every time); `leave` a square of the base state that left the light.
 */
export type SquareChange =
  | ({ kind: "enter"; id: number } & PlayerState)
  | ({ kind: "move"; id: number } & Place)
  | { kind: "leave"; id: number };

/** A square without its name: where it is, and the acks your own square carries. */
export type Place = Omit<PlayerState, "name">;

/** Just the place of a square (its name and any other field left out), with no undefined acks in it. */
export function placeOf({ x, y, ack, ackTick }: Place): Place {
  return {
    x,
    y,
    ...(ack === undefined ? {} : { ack }),
    ...(ackTick === undefined ? {} : { ackTick }),
  };
}

/** The state of one tick, as its changes from the state of an older one (step 10). */
export interface Delta {
  tick: number;
  /** the tick of the state these changes apply to; undefined: they apply to nothing, a full state */
  base?: number;
  ghost: string | null;
  changes: SquareChange[];
}

export type ServerMessage =
  | Welcome
  | { type: "CHALLENGE"; cookie: string }
  | { type: "STATE"; state: GameState }
  | { type: "DELTA"; delta: Delta }
  | { type: "DISCONNECTED"; username: string }
  | { type: "ERROR"; reason: string };

export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

/** Why a username is refused, or undefined when it is fine. */
export function usernameProblem(name: string): string | undefined {
  if (name === "") return "username is empty";
  if (name.length > MAX_USERNAME_LENGTH)
    return `username is longer than ${MAX_USERNAME_LENGTH} characters`;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return "username may only use letters, digits, _ and -";
  return undefined;
}

/** The state of the world as the server sends it. */
export function snapshot(world: World): GameState {
  return {
    ghost: world.ghost,
    players: [...world.players.values()].map(({ name, x, y }) => ({ name, x, y })),
  };
}

export function encode(message: ClientMessage | Connect | ServerMessage): string {
  switch (message.type) {
    case "CONNECTED":
      if (!("port" in message)) return `CONNECTED ${message.username}`;
      return [
        "CONNECTED",
        message.port,
        message.username,
        `${message.map.width}x${message.map.height}`,
        ...(message.mapName === undefined
          ? ["WALLS", message.map.rows.join("/")]
          : ["MAP", message.mapName]),
        "STATE",
        encodeState(message.state),
        "END",
      ].join(" ");
    case "CONNECT":
      return ["CONNECT", message.username, ...(message.cookie ? [message.cookie] : [])].join(" ");
    case "CHALLENGE":
      return `CHALLENGE ${message.cookie}`;
    case "INPUT": {
      const { seq, held } = message;
      const numbers = seq === undefined ? [] : held === undefined ? [seq] : [seq, held];
      return ["INPUT", message.username, message.input, ...numbers].join(" ");
    }
    case "GETSTATE":
    case "DISCONNECT":
    case "DISCONNECTED":
      return `${message.type} ${message.username}`;
    case "STATE":
      return `STATE ${encodeState(message.state)} END`;
    case "DELTA":
      return `DELTA ${encodeDelta(message.delta)} END`;
    case "ERROR":
      return `ERROR ${message.reason}`;
  }
}

/**
 * `<x>,<y>[,<ack>[,<ackTick>]]`: where a square is, and the acks of your own. Written with a
 * template rather than an array joined: step 09 on writes 20,000 states a second at 1,000 players.
 */
function encodePlace({ x, y, ack, ackTick }: Place): string {
  if (ack === undefined) return `${x},${y}`;
  return ackTick === undefined ? `${x},${y},${ack}` : `${x},${y},${ack},${ackTick}`;
}

/** `<name>,<x>,<y>[,<ack>[,<ackTick>]]`: one square, as a STATE writes it. */
function encodeSquare(square: PlayerState): string {
  return `${square.name},${encodePlace(square)}`;
}

/**
 * The words of a `<key>=<value>` field at the start of a STATE or a DELTA: one word,
 * or none when there is no value to write (no tick before step 05, no ghost yet).
 */
function fieldWords(key: string, value: string | number | null | undefined): string[] {
  return value === undefined || value === null ? [] : [`${key}=${value}`];
}

function encodeState(state: GameState): string {
  return [
    ...fieldWords("tick", state.tick),
    ...fieldWords("ghost", state.ghost),
    ...state.players.map(encodeSquare),
  ].join(" ");
}

function encodeChange(change: SquareChange): string {
  switch (change.kind) {
    case "enter":
      return `${change.id}=${encodeSquare(change)}`;
    case "move":
      return `${change.id},${encodePlace(change)}`;
    case "leave":
      return `-${change.id}`;
  }
}

function encodeDelta({ tick, base, ghost, changes }: Delta): string {
  return [
    ...fieldWords("tick", tick),
    ...fieldWords("base", base),
    ...fieldWords("ghost", ghost),
    ...changes.map(encodeChange),
  ].join(" ");
}

const fail = (reason: string) => ({ ok: false, reason }) as const;
/** A stranger's word quoted in an ERROR is cut short: an answer should never be much bigger than the question. */
const shorten = (word: string) => word.slice(0, 32);
const ok = <T>(message: T) => ({ ok: true, message }) as const;

const USAGE: Record<ClientMessage["type"], string> = {
  CONNECTED: "CONNECTED <username>",
  INPUT: "INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE> [<seq> [<held>]]",
  GETSTATE: "GETSTATE <username>",
  DISCONNECT: "DISCONNECT <username>",
};

/** Parses what a client sent. Every way it can be wrong has a reason fit for `ERROR <reason>`. */
export function parseClientMessage(line: string): Parsed<ClientMessage> {
  const words = line.trim().split(/\s+/);
  const [command = "", username = "", direction = "", seqWord, heldWord] = words;
  if (command === "") return fail("empty message");
  if (!Object.hasOwn(USAGE, command)) return fail(`unknown command ${shorten(command)}`);
  const type = command as ClientMessage["type"];
  if (words.length === 1) return fail("username is empty");
  const fits = type === "INPUT" ? words.length >= 3 && words.length <= 5 : words.length === 2;
  if (!fits) return fail(`expected ${USAGE[type]}`);
  const problem = usernameProblem(username);
  if (problem) return fail(problem);
  if (type !== "INPUT") return ok({ type, username });

  const input = direction as Input;
  if (!INPUTS.includes(input)) return fail(`unknown direction ${shorten(direction)}`);
  if (seqWord === undefined) return ok({ type, username, input });
  const seq = parseCount(seqWord);
  if (seq === undefined) return fail(`bad sequence number ${shorten(seqWord)}`);
  if (heldWord === undefined) return ok({ type, username, input, seq });
  const held = parseCount(heldWord);
  return held === undefined
    ? fail(`bad tick ${shorten(heldWord)}`)
    : ok({ type, username, input, seq, held });
}

/** A cookie is a keyed hash in base64url: letters, digits, - and _. */
const isCookie = (word: string) => /^[A-Za-z0-9_-]{1,64}$/.test(word);

/**
 * Parses step 08's CONNECT: undefined for anything else. It stands apart from
 * parseClientMessage because only step 08 on knows it, and what a stranger
 * sends there gets no ERROR: an unverified address gets a CHALLENGE or nothing.
 */
export function parseConnect(line: string): Connect | undefined {
  const [command, username = "", cookie, ...rest] = line.trim().split(/\s+/);
  if (command !== "CONNECT" || usernameProblem(username) || rest.length > 0) return undefined;
  if (cookie === undefined) return { type: "CONNECT", username };
  return isCookie(cookie) ? { type: "CONNECT", username, cookie } : undefined;
}

/** Parses what a server sent; a client that gets something else says so instead of guessing. */
export function parseServerMessage(line: string): Parsed<ServerMessage> {
  const words = line.trim().split(/\s+/);
  const [type] = words;
  switch (type) {
    case "CONNECTED": {
      const [, portWord = "", username = "", size = "", how, mapWord = "", stateWord] = words;
      const port = parseCount(portWord);
      const dimensions = /^(\d+)x(\d+)$/.exec(size);
      if (port === undefined || port > 65535 || usernameProblem(username) || !dimensions) {
        return fail("malformed CONNECTED");
      }
      if (stateWord !== "STATE" || words.at(-1) !== "END") return fail("malformed CONNECTED");
      const state = parseState(words.slice(7, -1));
      if (!state) return fail("malformed STATE");
      if (how === "MAP") {
        if (!isMapName(mapWord)) return fail(`unknown map ${shorten(mapWord)}`);
        const map = MAPS[mapWord];
        if (`${map.width}x${map.height}` !== size) return fail("MAP does not match the size");
        return ok({ type, port, username, map, mapName: mapWord, state });
      }
      if (how !== "WALLS") return fail("malformed CONNECTED");
      let map: GameMap;
      try {
        map = mapFromRows(mapWord.split("/"));
      } catch {
        return fail("malformed WALLS");
      }
      if (`${map.width}x${map.height}` !== size) return fail("WALLS do not match the size");
      return ok({ type, port, username, map, state });
    }
    case "CHALLENGE":
      return words.length === 2 && isCookie(words[1]!)
        ? ok({ type, cookie: words[1]! })
        : fail("malformed CHALLENGE");
    case "STATE": {
      const state = words.at(-1) === "END" ? parseState(words.slice(1, -1)) : undefined;
      return state ? ok({ type, state }) : fail("malformed STATE");
    }
    case "DELTA": {
      if (words.at(-1) !== "END") return fail("malformed DELTA");
      const delta = parseDelta(words.slice(1, -1));
      return typeof delta === "string" ? fail(delta) : ok({ type, delta });
    }
    case "DISCONNECTED":
      return words.length === 2 && !usernameProblem(words[1]!)
        ? ok({ type, username: words[1]! })
        : fail("malformed DISCONNECTED");
    case "ERROR":
      return ok({ type, reason: line.trim().slice("ERROR".length).trim() || "unknown error" });
    default:
      return fail(`unknown message ${shorten(type ?? "")}`);
  }
}

/** For a client: the server's message, or an error saying the client cannot make sense of it. */
export function expectServerMessage(line: string): ServerMessage {
  const parsed = parseServerMessage(line);
  if (!parsed.ok)
    throw new Error(`the server sent something this client does not understand (${parsed.reason})`);
  return parsed.message;
}

/**
 * Takes a `<key>=<value>` field off the front of `words` and returns its value, or
 * returns undefined and takes nothing when the first word is not that field.
 */
function takeField(words: string[], key: string): string | undefined {
  return words[0]?.startsWith(`${key}=`) ? words.shift()!.slice(key.length + 1) : undefined;
}

function parseState(words: string[]): GameState | undefined {
  const tickWord = takeField(words, "tick");
  const tick = tickWord === undefined ? undefined : parseCount(tickWord);
  if (tickWord !== undefined && tick === undefined) return undefined;
  const ghost = takeField(words, "ghost") ?? null;
  if (ghost !== null && usernameProblem(ghost)) return undefined;
  const players: PlayerState[] = [];
  const names = new Set<string>();
  for (const word of words) {
    const player = parseSquare(word);
    if (!player || names.has(player.name)) return undefined;
    names.add(player.name);
    players.push(player);
  }
  return { ...(tick === undefined ? {} : { tick }), ghost, players };
}

/** `<name>,<x>,<y>[,<ack>[,<ackTick>]]`, or undefined. */
function parseSquare(word: string): PlayerState | undefined {
  const [name = "", ...fields] = word.split(",");
  const place = parsePlace(fields);
  return usernameProblem(name) || !place ? undefined : { name, ...place };
}

/** `<x>,<y>[,<ack>[,<ackTick>]]`, split at the commas: where a square is, and the acks of your own. */
function parsePlace(fields: string[]): Place | undefined {
  const numbers = fields.map(parseCount);
  const [x, y, ack, ackTick] = numbers;
  if (x === undefined || y === undefined) return undefined;
  if (numbers.length > 4 || numbers.includes(undefined)) return undefined;
  return placeOf({ x, y, ack, ackTick });
}

/** One change of a DELTA, or undefined: `-` starts a square that left, `=` follows the id of one that came. */
function parseChange(word: string): SquareChange | undefined {
  if (word.startsWith("-")) {
    const id = parseId(word.slice(1));
    return id === undefined ? undefined : { kind: "leave", id };
  }
  const equals = word.indexOf("=");
  if (equals !== -1) {
    const id = parseId(word.slice(0, equals));
    const square = parseSquare(word.slice(equals + 1));
    return id === undefined || !square ? undefined : { kind: "enter", id, ...square };
  }
  const [idWord = "", ...fields] = word.split(",");
  const id = parseId(idWord);
  const place = parsePlace(fields);
  return id === undefined || !place ? undefined : { kind: "move", id, ...place };
}

/** A square's id: below MOST_SQUARES_LIT, as a state holds no more squares than that. */
function parseId(word: string): number | undefined {
  const id = parseCount(word);
  return id !== undefined && id < MOST_SQUARES_LIT ? id : undefined;
}

/**
 * The words between DELTA and END, or why they are not a delta. What a server
 * sends is checked as strictly as what a client sends: a baseline that is not
 * older than the state, an id changed twice, or a full state that moves or
 * removes squares it never had are refused here, so that applying a delta
 * (lib/delta.ts) has only to check it against the state it names.
 */
function parseDelta(words: string[]): Delta | string {
  const tickWord = takeField(words, "tick");
  const baseWord = takeField(words, "base");
  const ghostWord = takeField(words, "ghost");
  const tick = tickWord === undefined ? undefined : parseCount(tickWord);
  const base = baseWord === undefined ? undefined : parseCount(baseWord);
  if (tick === undefined) return "malformed DELTA: no tick";
  if (baseWord !== undefined && base === undefined) return "malformed DELTA: bad base";
  if (base !== undefined && base >= tick) return `DELTA base ${base} is not older than its tick`;
  if (ghostWord !== undefined && usernameProblem(ghostWord)) return "malformed DELTA: bad ghost";
  const changes: SquareChange[] = [];
  const ids = new Set<number>();
  const names = new Set<string>();
  for (const word of words) {
    const change = parseChange(word);
    if (!change) return `malformed DELTA change ${shorten(word)}`;
    if (ids.has(change.id)) return `DELTA changes id ${change.id} twice`;
    if (change.kind === "enter" && names.has(change.name))
      return `DELTA brings ${change.name} twice`;
    if (base === undefined && change.kind !== "enter")
      return "a DELTA without base can only bring squares";
    ids.add(change.id);
    if (change.kind === "enter") names.add(change.name);
    changes.push(change);
  }
  return { tick, ...(base === undefined ? {} : { base }), ghost: ghostWord ?? null, changes };
}

/** A whole number written in plain digits, or undefined. */
function parseCount(word: string): number | undefined {
  return /^\d{1,15}$/.test(word) ? Number(word) : undefined;
}
