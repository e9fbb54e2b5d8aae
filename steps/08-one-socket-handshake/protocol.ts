/**
 * This step's messages: each one is one line of words separated by spaces. Framing
 * (where a message ends) is the transport's job: a TCP stream needs it, a UDP datagram does not.
 *
 *   client → server  CONNECT <username>
 *   client → server  CONNECT <username> <cookie>
 *   client → server  INPUT <username> <direction> <seq>
 *   client → server  GETSTATE <username>
 *   client → server  DISCONNECT <username> <cookie>
 *   server → client  CHALLENGE <cookie>
 *   server → client  CONNECTED <port> <username> <size> WALLS <wallstring> STATE <statestring> END
 *   server → client  STATE tick=<n> ghost=<name> <name>,<x>,<y>,<ack>,<ackTick> … END
 *   server → client  DISCONNECTED <username>
 *   server → client  ERROR <reason>
 *
 * <direction> is UP, DOWN, LEFT, RIGHT or NONE. <size> is the map's `<width>x<height>`,
 * <wallstring> its rows of `#` and `.` joined by `/`, and <statestring> is
 * `[ghost=<name>] <name>,<x>,<y> …`: who the ghost is (nobody yet: no ghost=), and every square.
 * A STATE is sent every tick, to every player, unasked: tick=<n> numbers it, so that a client
 * can ignore a state older than one it has shown. <seq> numbers the client's changes of input
 * (1, 2, 3, …), and each square's <ack> is the <seq> of the last one the server applied for it,
 * <ackTick> the tick in which it first applied that input: what a client predicts from.
 *
 * Joining is a handshake on the server's one socket: the first CONNECT has no cookie and gets a
 * CHALLENGE; the second brings that <cookie> back, which proves the client receives at its
 * address, and gets the welcome. A <cookie> is a keyed hash in base64url: letters, digits, - and _.
 * The cookie that won the seat is the seat's secret from then on: a CONNECT again gets the
 * welcome again only with it, and a DISCONNECT only counts with it, so that a stranger who
 * writes a player's address on a datagram, but never saw the cookie, can neither do either.
 */
import { INPUTS, type Input } from "../../lib/game.ts";
import { type GameMap, mapFromRows } from "../../lib/map.ts";
import {
  type Parsed,
  fail,
  fieldWords,
  nameAndNumbers,
  ok,
  parseCount,
  shorten,
  takeField,
  usernameProblem,
  wordsOf,
} from "../../lib/words.ts";

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

/** A square in a tick's STATE: with the acknowledgement of its player's inputs. */
export interface AckedSquare extends Square {
  ack: number;
  ackTick: number;
}

/** The state of one tick, as every tick's STATE carries it. */
export interface TickedState extends State {
  tick: number;
  players: AckedSquare[];
}

/** What a player sends once seated (a CONNECT is read apart: it gets no ERROR). */
export type ClientMessage =
  | { type: "INPUT"; username: string; input: Input; seq: number }
  | { type: "GETSTATE"; username: string }
  | { type: "DISCONNECT"; username: string; cookie: string };

/** The answer to a join that lets the player in: `CONNECTED <port> …`, with the map and the state. */
export type Welcome = {
  type: "CONNECTED";
  port: number;
  username: string;
  map: GameMap;
  state: State;
};

export type ServerMessage =
  | { type: "CHALLENGE"; cookie: string }
  | Welcome
  | { type: "STATE"; state: TickedState }
  | { type: "DISCONNECTED"; username: string }
  | { type: "ERROR"; reason: string };

export function encodeClientMessage(message: ClientMessage | Connect): string {
  switch (message.type) {
    case "CONNECT":
      return ["CONNECT", message.username, ...(message.cookie ? [message.cookie] : [])].join(" ");
    case "INPUT":
      return `INPUT ${message.username} ${message.input} ${message.seq}`;
    case "GETSTATE":
      return `${message.type} ${message.username}`;
    case "DISCONNECT":
      return `${message.type} ${message.username} ${message.cookie}`;
  }
}

export function encodeServerMessage(message: ServerMessage): string {
  switch (message.type) {
    case "CONNECTED": {
      const { port, username, map, state } = message;
      const [size, walls] = [`${map.width}x${map.height}`, map.rows.join("/")];
      return [
        "CONNECTED",
        port,
        username,
        size,
        "WALLS",
        walls,
        "STATE",
        ...stateWords(state),
        "END",
      ].join(" ");
    }
    case "CHALLENGE":
      return `CHALLENGE ${message.cookie}`;
    case "STATE":
      return ["STATE", ...tickedStateWords(message.state), "END"].join(" ");
    case "DISCONNECTED":
      return `DISCONNECTED ${message.username}`;
    case "ERROR":
      return `ERROR ${message.reason}`;
  }
}

/** `<name>,<x>,<y>`: one square. */
function encodeSquare({ name, x, y }: Square): string {
  return `${name},${x},${y}`;
}

/** `[ghost=<name>] <name>,<x>,<y> …`, as words. */
function stateWords(state: State): string[] {
  return [...fieldWords("ghost", state.ghost), ...state.players.map(encodeSquare)];
}

/** `tick=<n> [ghost=<name>] <name>,<x>,<y>,<ack>,<ackTick> …`, as words. */
function tickedStateWords(state: TickedState): string[] {
  const squares = state.players.map(
    ({ name, x, y, ack, ackTick }) => `${name},${x},${y},${ack},${ackTick}`,
  );
  return [`tick=${state.tick}`, ...fieldWords("ghost", state.ghost), ...squares];
}

const USAGE: Record<ClientMessage["type"], string> = {
  INPUT: "INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE> <seq>",
  GETSTATE: "GETSTATE <username>",
  DISCONNECT: "DISCONNECT <username> <cookie>",
};

const WORD_COUNT: Record<ClientMessage["type"], number> = { INPUT: 4, GETSTATE: 2, DISCONNECT: 3 };

const isCookie = (word: string) => /^[A-Za-z0-9_-]{1,64}$/.test(word);

/** Parses what a client sent. Every way it can be wrong has a reason fit for `ERROR <reason>`. */
export function parseClientMessage(line: string): Parsed<ClientMessage> {
  const words = wordsOf(line);
  const [command = "", username = "", direction = "", seqWord = ""] = words;
  if (command === "") return fail("empty message");
  if (!Object.hasOwn(USAGE, command)) return fail(`unknown command ${shorten(command)}`);
  const type = command as ClientMessage["type"];
  if (words.length === 1) return fail("username is empty");
  if (words.length !== WORD_COUNT[type]) return fail(`expected ${USAGE[type]}`);
  const problem = usernameProblem(username);
  if (problem) return fail(problem);
  if (type === "GETSTATE") return ok({ type, username });
  if (type === "DISCONNECT") {
    const cookie = words[2]!;
    return isCookie(cookie)
      ? ok({ type, username, cookie })
      : fail(`bad cookie ${shorten(cookie)}`);
  }

  const input = direction as Input;
  if (!INPUTS.includes(input)) return fail(`unknown direction ${shorten(direction)}`);
  const seq = parseCount(seqWord);
  if (seq === undefined) return fail(`bad sequence number ${shorten(seqWord)}`);
  return ok({ type, username, input, seq });
}

/**
 * Parses a CONNECT: undefined for anything else. It stands apart from parseClientMessage
 * because what a stranger sends gets no ERROR: an unverified address gets a CHALLENGE or nothing.
 */
export function parseConnect(line: string): Connect | undefined {
  const [command, username = "", cookie, ...rest] = wordsOf(line);
  if (command !== "CONNECT" || usernameProblem(username) || rest.length > 0) return undefined;
  if (cookie === undefined) return { type: "CONNECT", username };
  return isCookie(cookie) ? { type: "CONNECT", username, cookie } : undefined;
}

/** Parses what a server sent; a client that gets something else says so instead of guessing. */
export function parseServerMessage(line: string): Parsed<ServerMessage> {
  const words = wordsOf(line);
  const [type] = words;
  switch (type) {
    case "CONNECTED": {
      const [, portWord = "", username = "", size = "", how, wallWord = "", stateWord] = words;
      const port = parseCount(portWord);
      if (port === undefined || port > 65535 || usernameProblem(username)) {
        return fail("malformed CONNECTED");
      }
      if (how !== "WALLS" || stateWord !== "STATE" || words.at(-1) !== "END") {
        return fail("malformed CONNECTED");
      }
      const state = parseState(words.slice(7, -1));
      if (!state) return fail("malformed STATE");
      let map: GameMap;
      try {
        map = mapFromRows(wallWord.split("/"));
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
      const state = words.at(-1) === "END" ? parseTickedState(words.slice(1, -1)) : undefined;
      return state ? ok({ type, state }) : fail("malformed STATE");
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

/** `[ghost=<name>] <name>,<x>,<y> …`, or undefined. */
function parseState(words: string[]): State | undefined {
  const ghost = takeField(words, "ghost") ?? null;
  if (ghost !== null && usernameProblem(ghost)) return undefined;
  const players = parseSquares(words, parseSquare);
  return players && { ghost, players };
}

/** `tick=<n> [ghost=<name>] <name>,<x>,<y>,<ack>,<ackTick> …`, or undefined. */
function parseTickedState(words: string[]): TickedState | undefined {
  const tick = parseCount(takeField(words, "tick") ?? "");
  const ghost = takeField(words, "ghost") ?? null;
  if (tick === undefined || (ghost !== null && usernameProblem(ghost))) return undefined;
  const players = parseSquares(words, parseAckedSquare);
  return players && { tick, ghost, players };
}

/** `<name>,<x>,<y>`, or undefined. */
function parseSquare(word: string): Square | undefined {
  const square = nameAndNumbers(word);
  if (square?.numbers.length !== 2) return undefined;
  const [x, y] = square.numbers as [number, number];
  return { name: square.name, x, y };
}

/** `<name>,<x>,<y>,<ack>,<ackTick>`, or undefined. */
function parseAckedSquare(word: string): AckedSquare | undefined {
  const square = nameAndNumbers(word);
  if (square?.numbers.length !== 4) return undefined;
  const [x, y, ack, ackTick] = square.numbers as [number, number, number, number];
  return { name: square.name, x, y, ack, ackTick };
}

/** Every word a square, each player's once; or undefined. */
function parseSquares<T extends Square>(words: string[], parse: (word: string) => T | undefined) {
  const squares: T[] = [];
  const names = new Set<string>();
  for (const word of words) {
    const square = parse(word);
    if (!square || names.has(square.name)) return undefined;
    names.add(square.name);
    squares.push(square);
  }
  return squares;
}
