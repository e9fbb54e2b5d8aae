/**
 * This step's messages: each one is one line of words separated by spaces. Framing
 * (where a message ends) is the transport's job: a TCP stream needs it, a UDP datagram does not.
 *
 *   client → server  CONNECT <username>
 *   client → server  CONNECT <username> <cookie>
 *   client → server  INPUT <username> <held> <seen> <tick> <run> …
 *   client → server  GETSTATE <username>
 *   client → server  DISCONNECT <username> <cookie>
 *   server → client  CHALLENGE <cookie>
 *   server → client  CONNECTED <port> <username> <size> MAP <mapname> STATE <statestring> END
 *   server → client  DELTA tick=<n> ghost=<name> early=<e> verdict=<verdict> <change> … END
 *   server → client  DELTA tick=<n> base=<b> ghost=<name> early=<e> verdict=<verdict> <change> … END
 *   server → client  DISCONNECTED <username>
 *   server → client  ERROR <reason>
 *
 * <direction> is UP, DOWN, LEFT, RIGHT or NONE. <size> is the map's `<width>x<height>`, and
 * <mapname> its name (house or mansion): the client knows the maps (lib/map.ts), so the welcome
 * no longer sends the walls. <statestring> is `tick=<n> [ghost=<name>] <name>,<x>,<y> …`.
 * A state holds what the player's lantern lights; ghost= is left out while nobody is the ghost.
 * A DELTA is sent every tick, to every player, unasked: tick=<n> numbers it, so that a client
 * can ignore a state older than one it has shown.
 *
 * The cookie that won the seat is the seat's secret from then on: a CONNECT again gets the
 * welcome again only with it, and a DISCONNECT only counts with it, so that a stranger who
 * writes a player's address on a datagram, but never saw the cookie, can neither do either.
 * Joining is a handshake on the server's one socket: the first CONNECT has no cookie and gets a
 * CHALLENGE; the second brings that <cookie> back, which proves the client receives at its
 * address, and gets the welcome. A <cookie> is a keyed hash in base64url: letters, digits, - and _.
 *
 * Each client is sent only what changed since a state it holds (lib/delta.ts):
 * - <held> in INPUT: the newest tick whose whole state the client holds, the state the server
 *   may send its changes against; 0 until the client holds one (no state has tick 0).
 * - DELTA: the state of tick <n>, written as its changes from the state of tick base=<b> (which
 *   must be older); without base=, from nothing: a full state. Each square has a short id in
 *   the states of one client, a number below 32 (a state holds at most 32 squares,
 *   lib/lantern.ts). A <change> is one of
 *     <id>=<name>,<x>,<y>   a square that came into the light, with its name
 *                           (it takes the id from whatever square had it)
 *     <id>,<x>,<y>          a square of the base state that moved
 *     -<id>                 a square of the base state that left the light
 *   Your own square is always written.
 *   A client applies a DELTA only to the very state its base= names: if it does not hold it
 *   (lost, or too old) it drops the DELTA, and waits for one against a state it has said it holds.
 *
 * Every input is tagged with the server tick it is meant for, and sent again in the next
 * datagrams (lib/input-buffer.ts):
 * - INPUT: the client's latest inputs, for the ticks <tick>, <tick>+1, … in order, as runs: a
 *   <run> is `<direction>` for one tick or `<direction>*<count>` for <count> ticks in a row, e.g.
 *   `INPUT ann 1200 1302 1301 UP*3 NONE*9` (UP in ticks 1301 to 1303, NONE in 1304 to 1312); at most
 *   REDUNDANT_INPUTS ticks in one INPUT. The server applies each input in its tick, once.
 * - early=<e> in DELTA: how many ticks before tick <n> the input the server applied in it
 *   arrived, 0 just in time; -1 when none had arrived (the server repeated the one before). The
 *   tick of a state says which of your inputs it holds: your square carries no acks.
 *
 * The ghost tags what its screen shows (lib/rewind.ts):
 * - <seen> in INPUT: the tick the client's screen showed the others at (interpolation's displayed
 *   tick) when it made its newest input, the last of the runs; each input before it claims one
 *   tick less. The server judges the ghost's tag where the humans stood at that tick, clamped to
 *   its rewind's cap: `INPUT ann 1200 1302 1301 UP*3 NONE*9` says that ann's screen showed tick
 *   1302 when she chose her input for 1312, and 1291 when she chose UP for 1301.
 * - verdict=<verdict> in DELTA, only to the ghost, only in the tick of its tag attempt:
 *   `<seenTick>,<sx>,<sy>,<rx>,<ry>,<T|M>`: the tick the server judged the ghost to have seen
 *   (its claim, clamped), the cell where the human stood then, the cell where they really were
 *   (`-,-` if they had left the game), and T if the ghost tagged them, M if it missed.
 */
import type { Delta, SquareChange } from "../../lib/delta.ts";
import { INPUTS, type Input } from "../../lib/game.ts";
import {
  FUTURE_TICKS,
  MISSED,
  REDUNDANT_INPUTS,
  type TickedInput,
} from "../../lib/input-buffer.ts";
import { MOST_SQUARES_LIT } from "../../lib/lantern.ts";
import { type GameMap, MAPS, type MapName, type Position, isMapName } from "../../lib/map.ts";
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

export type ServerMessage =
  | { type: "CHALLENGE"; cookie: string }
  | Welcome
  | {
      type: "DELTA";
      delta: Delta;
      /** how many ticks before this one the input applied in it arrived: MISSED (-1) if none did */
      early: number;
      /** to the ghost, in the tick it tried a tag: how the server judged it */
      verdict?: Verdict;
    }
  | { type: "DISCONNECTED"; username: string }
  | { type: "ERROR"; reason: string };

export function encodeClientMessage(message: ClientMessage | Connect): string {
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

export function encodeServerMessage(message: ServerMessage): string {
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

function encodeChange(change: SquareChange): string {
  switch (change.kind) {
    case "enter":
      return `${change.id}=${encodeSquare(change)}`;
    case "move":
      return `${change.id},${change.x},${change.y}`;
    case "leave":
      return `-${change.id}`;
  }
}

/** `tick=<n> [base=<b>] [ghost=<name>] early=<e> [verdict=<verdict>] <change> …`, as words. */
function deltaWords({ delta, early, verdict }: { delta: Delta; early: number; verdict?: Verdict }) {
  const { tick, base, ghost, changes } = delta;
  return [
    `tick=${tick}`,
    ...fieldWords("base", base),
    ...fieldWords("ghost", ghost),
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

const USAGE: Record<ClientMessage["type"], string> = {
  INPUT: "INPUT <username> <held> <seen> <tick> <UP|DOWN|LEFT|RIGHT|NONE>[*<count>] …",
  GETSTATE: "GETSTATE <username>",
  DISCONNECT: "DISCONNECT <username> <cookie>",
};

/** The words of the messages that have a fixed number of them: an INPUT has as many as its runs. */
const WORD_COUNT: Record<Exclude<ClientMessage["type"], "INPUT">, number> = {
  GETSTATE: 2,
  DISCONNECT: 3,
};

const isCookie = (word: string) => /^[A-Za-z0-9_-]{1,64}$/.test(word);

/** Parses what a client sent. Every way it can be wrong has a reason fit for `ERROR <reason>`. */
export function parseClientMessage(line: string): Parsed<ClientMessage> {
  const words = wordsOf(line);
  const [command = "", username = "", heldWord = "", seenWord = "", tickWord = "", ...runs] = words;
  if (command === "") return fail("empty message");
  if (!Object.hasOwn(USAGE, command)) return fail(`unknown command ${shorten(command)}`);
  const type = command as ClientMessage["type"];
  if (words.length === 1) return fail("username is empty");
  const fits = type === "INPUT" ? runs.length > 0 : words.length === WORD_COUNT[type];
  if (!fits) return fail(`expected ${USAGE[type]}`);
  const problem = usernameProblem(username);
  if (problem) return fail(problem);
  if (type === "GETSTATE") return ok({ type, username });
  if (type === "DISCONNECT") {
    const cookie = words[2]!;
    return isCookie(cookie)
      ? ok({ type, username, cookie })
      : fail(`bad cookie ${shorten(cookie)}`);
  }

  const held = parseCount(heldWord);
  if (held === undefined) return fail(`bad tick ${shorten(heldWord)}`);
  // Any tick a client claims to have seen is taken: the server clamps it to what it holds.
  const seen = parseCount(seenWord);
  if (seen === undefined) return fail(`bad tick ${shorten(seenWord)}`);
  const first = parseCount(tickWord);
  if (first === undefined) return fail(`bad tick ${shorten(tickWord)}`);
  const inputs: TickedInput[] = [];
  for (const run of runs) {
    const [direction = "", countWord = "1", ...rest] = run.split("*");
    const input = direction as Input;
    const count = parseCount(countWord);
    if (!INPUTS.includes(input) || !count || rest.length > 0)
      return fail(`bad run ${shorten(run)}`);
    // Counted before anything is made: `UP*99999999` costs the server one comparison.
    if (inputs.length + count > REDUNDANT_INPUTS) {
      return fail(`more than ${REDUNDANT_INPUTS} ticks in one INPUT`);
    }
    for (let i = 0; i < count; i++) inputs.push({ tick: first + inputs.length, input });
  }
  return ok({ type, username, held, seen, inputs });
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
      const [, portWord = "", username = "", size = "", how, mapWord = "", stateWord] = words;
      const port = parseCount(portWord);
      if (port === undefined || port > 65535 || usernameProblem(username)) {
        return fail("malformed CONNECTED");
      }
      if (how !== "MAP" || stateWord !== "STATE" || words.at(-1) !== "END") {
        return fail("malformed CONNECTED");
      }
      const state = parseTickedState(words.slice(7, -1));
      if (!state) return fail("malformed STATE");
      if (!isMapName(mapWord)) return fail(`unknown map ${shorten(mapWord)}`);
      const map = MAPS[mapWord];
      if (`${map.width}x${map.height}` !== size) return fail("MAP does not match the size");
      return ok({ type, port, username, map, mapName: mapWord, state });
    }
    case "CHALLENGE":
      return words.length === 2 && isCookie(words[1]!)
        ? ok({ type, cookie: words[1]! })
        : fail("malformed CHALLENGE");
    case "DELTA": {
      if (words.at(-1) !== "END") return fail("malformed DELTA");
      const parsed = parseDelta(words.slice(1, -1));
      return typeof parsed === "string" ? fail(parsed) : ok({ type, ...parsed });
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

/** `tick=<n> [ghost=<name>] <name>,<x>,<y> …`, or undefined. */
function parseTickedState(words: string[]): TickedState | undefined {
  const tick = parseCount(takeField(words, "tick") ?? "");
  const ghost = takeField(words, "ghost") ?? null;
  if (tick === undefined || (ghost !== null && usernameProblem(ghost))) return undefined;
  const players = parseSquares(words, parseSquare);
  return players && { tick, ghost, players };
}

/** `<name>,<x>,<y>`, or undefined. */
function parseSquare(word: string): Square | undefined {
  const square = nameAndNumbers(word);
  if (!square || square.numbers.length !== 2) return undefined;
  const [x, y] = square.numbers as [number, number];
  return { name: square.name, x, y };
}

/** `<x>,<y>`, split at the commas, or undefined. */
function parsePlace(fields: string[]): { x: number; y: number } | undefined {
  const [x, y, ...rest] = fields.map(parseCount);
  return x === undefined || y === undefined || rest.length > 0 ? undefined : { x, y };
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
function parseDelta(words: string[]): { delta: Delta; early: number; verdict?: Verdict } | string {
  const tickWord = takeField(words, "tick");
  const baseWord = takeField(words, "base");
  const ghostWord = takeField(words, "ghost");
  const earlyWord = takeField(words, "early");
  const verdictWord = takeField(words, "verdict");
  const tick = tickWord === undefined ? undefined : parseCount(tickWord);
  const base = baseWord === undefined ? undefined : parseCount(baseWord);
  const early = earlyWord === String(MISSED) ? MISSED : parseCount(earlyWord ?? "");
  if (tick === undefined) return "malformed DELTA: no tick";
  if (baseWord !== undefined && base === undefined) return "malformed DELTA: bad base";
  if (base !== undefined && base >= tick) return `DELTA base ${base} is not older than its tick`;
  if (ghostWord !== undefined && usernameProblem(ghostWord)) return "malformed DELTA: bad ghost";
  if (early === undefined) return "malformed DELTA: no early";
  // The server keeps no input further ahead: a larger one is a hostile server's, or a forger's.
  if (early > FUTURE_TICKS) return `DELTA early ${early} is beyond ${FUTURE_TICKS} ticks`;
  const verdict = verdictWord === undefined ? undefined : parseVerdict(verdictWord);
  if (verdictWord !== undefined && !verdict) return "malformed DELTA: bad verdict";
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
  const delta = {
    tick,
    ...(base === undefined ? {} : { base }),
    ghost: ghostWord ?? null,
    changes,
  };
  return { delta, early, ...(verdict && { verdict }) };
}

/** `<seenTick>,<sx>,<sy>,<rx>,<ry>,<T|M>`, or undefined. */
function parseVerdict(word: string): Verdict | undefined {
  const [tickWord = "", sx = "", sy = "", rx = "", ry = "", outcome, ...rest] = word.split(",");
  const seenTick = parseCount(tickWord);
  const seen = parsePlace([sx, sy]);
  const real = rx === "-" && ry === "-" ? null : parsePlace([rx, ry]);
  if (seenTick === undefined || !seen || real === undefined || rest.length > 0) return undefined;
  if (outcome !== "T" && outcome !== "M") return undefined;
  return { seenTick, seen, real: real ?? undefined, tagged: outcome === "T" };
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
