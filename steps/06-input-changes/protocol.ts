/**
 * This step's messages: each one is one line of words separated by spaces. Framing
 * (where a message ends) is the transport's job: a TCP stream needs it, a UDP datagram does not.
 *
 *   client → server  CONNECTED <username>
 *   client → server  INPUT <username> <direction> <seq>
 *   client → server  GETSTATE <username>
 *   client → server  DISCONNECT <username>
 *   server → client  CONNECTED <port> <username> <size> WALLS <wallstring> STATE <statestring> END
 *   server → client  STATE tick=<n> ghost=<name> <name>,<x>,<y>,<ack> … END
 *   server → client  DISCONNECTED <username>
 *   server → client  ERROR <reason>
 *
 * <direction> is UP, DOWN, LEFT, RIGHT or NONE. <size> is the map's `<width>x<height>`,
 * <wallstring> its rows of `#` and `.` joined by `/`, and <statestring> is
 * `[ghost=<name>] <name>,<x>,<y> …`: who the ghost is (nobody yet: no ghost=), and every square.
 * A STATE is sent every tick, to every player, unasked: tick=<n> numbers it, so that a client
 * can ignore a state older than one it has shown. <seq> numbers the client's changes of input
 * (1, 2, 3, …), and each square's <ack> is the <seq> of the last one the server applied for it.
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

/** The request to join: `CONNECTED <username>`. */
export type Join = { type: "CONNECTED"; username: string };

/** A square in a tick's STATE: with the acknowledgement of its player's inputs. */
export interface AckedSquare extends Square {
  ack: number;
}

/** The state of one tick, as every tick's STATE carries it. */
export interface TickedState extends State {
  tick: number;
  players: AckedSquare[];
}

export type ClientMessage =
  | Join
  | { type: "INPUT"; username: string; input: Input; seq: number }
  | { type: "GETSTATE"; username: string }
  | { type: "DISCONNECT"; username: string };

/** The answer to a join that lets the player in: `CONNECTED <port> …`, with the map and the state. */
export type Welcome = {
  type: "CONNECTED";
  port: number;
  username: string;
  map: GameMap;
  state: State;
};

export type ServerMessage =
  | Welcome
  | { type: "STATE"; state: TickedState }
  | { type: "DISCONNECTED"; username: string }
  | { type: "ERROR"; reason: string };

export function encodeClientMessage(message: ClientMessage): string {
  switch (message.type) {
    case "INPUT":
      return `INPUT ${message.username} ${message.input} ${message.seq}`;
    case "CONNECTED":
    case "GETSTATE":
    case "DISCONNECT":
      return `${message.type} ${message.username}`;
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

/** `tick=<n> [ghost=<name>] <name>,<x>,<y>,<ack> …`, as words. */
function tickedStateWords(state: TickedState): string[] {
  const squares = state.players.map(({ name, x, y, ack }) => `${name},${x},${y},${ack}`);
  return [`tick=${state.tick}`, ...fieldWords("ghost", state.ghost), ...squares];
}

const USAGE: Record<ClientMessage["type"], string> = {
  CONNECTED: "CONNECTED <username>",
  INPUT: "INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE> <seq>",
  GETSTATE: "GETSTATE <username>",
  DISCONNECT: "DISCONNECT <username>",
};

/** Parses what a client sent. Every way it can be wrong has a reason fit for `ERROR <reason>`. */
export function parseClientMessage(line: string): Parsed<ClientMessage> {
  const words = wordsOf(line);
  const [command = "", username = "", direction = "", seqWord = ""] = words;
  if (command === "") return fail("empty message");
  if (!Object.hasOwn(USAGE, command)) return fail(`unknown command ${shorten(command)}`);
  const type = command as ClientMessage["type"];
  if (words.length === 1) return fail("username is empty");
  if (words.length !== (type === "INPUT" ? 4 : 2)) return fail(`expected ${USAGE[type]}`);
  const problem = usernameProblem(username);
  if (problem) return fail(problem);
  if (type !== "INPUT") return ok({ type, username });

  const input = direction as Input;
  if (!INPUTS.includes(input)) return fail(`unknown direction ${shorten(direction)}`);
  const seq = parseCount(seqWord);
  if (seq === undefined) return fail(`bad sequence number ${shorten(seqWord)}`);
  return ok({ type, username, input, seq });
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

/** `tick=<n> [ghost=<name>] <name>,<x>,<y>,<ack> …`, or undefined. */
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

/** `<name>,<x>,<y>,<ack>`, or undefined. */
function parseAckedSquare(word: string): AckedSquare | undefined {
  const square = nameAndNumbers(word);
  if (square?.numbers.length !== 3) return undefined;
  const [x, y, ack] = square.numbers as [number, number, number];
  return { name: square.name, x, y, ack };
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
