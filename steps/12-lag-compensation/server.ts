/**
 * Step 12, the server: step 11's, judging the ghost's tags where its screen
 * showed the humans. Every INPUT says which tick the player's screen showed;
 * the server keeps where every square stood in each of the last ticks (a
 * rewind, capped at 550 ms), and when the ghost steps onto a cell, it tags the
 * human who stood there at that tick, not whoever stands there now. The ghost
 * is told how its attempt was judged.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import dgram from "node:dgram";
import { numberOption, serverOptions } from "../../lib/args.ts";
import { SentStates } from "../../lib/delta.ts";
import {
  InputBuffer,
  MISSED,
  type Receipt,
  type TickedInput,
  noInputsDropped,
} from "../../lib/input-buffer.ts";
import { Lanterns } from "../../lib/lantern.ts";
import { SOURCE_LIMIT_OPTIONS, type Source, SourceLimits, endpoint } from "../../lib/limits.ts";
import { NETWORK_OPTIONS, networkConditions, simulateNetwork } from "../../lib/netsim.ts";
import {
  GameRoom,
  SILENCE_OPTIONS,
  SPAWN_OPTIONS,
  mapOption,
  mapOptions,
  silenceOption,
  spawnOption,
} from "../../lib/room.ts";
import { Rewind, TagTally, type TagVerdict, rewindTicks } from "../../lib/rewind.ts";
import { announce, exitOnListenError, log } from "../../lib/serve.ts";
import { TRACE_OPTIONS, traceFrom } from "../../lib/trace.ts";
import { MAX_MESSAGE_BYTES } from "../../lib/words.ts";
import {
  type ServerMessage,
  type TickedState,
  type Verdict,
  encodeServerMessage,
  parseClientMessage,
  parseConnect,
} from "./protocol.ts";

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 12: the ghost's tags judged where its screen showed the humans, up to 550 ms back.",
  9999,
  {
    "tick-rate": {
      type: "string",
      default: "20",
      placeholder: "HZ",
      description: "world steps (and state broadcasts) per second",
    },
    "cookie-seconds": {
      type: "string",
      default: "5",
      placeholder: "SECONDS",
      description: "a CHALLENGE's cookie stays good for between this and twice this",
    },
    ...mapOptions("mansion"),
    ...SPAWN_OPTIONS,
    ...SOURCE_LIMIT_OPTIONS,
    ...SILENCE_OPTIONS,
    ...NETWORK_OPTIONS,
    ...TRACE_OPTIONS,
    "no-rewind": {
      type: "boolean",
      default: false,
      description:
        "judge a ghost's tags where the humans are now, not where its screen showed them (as step 11)",
    },
  },
);
const conditions = networkConditions(values);
const trace = traceFrom(values);
const silenceMs = silenceOption(values.timeout);
const tickRate = numberOption(values["tick-rate"], "--tick-rate", { min: 1, max: 1000 });
const sources = new SourceLimits(numberOption(values["per-address"], "--per-address", { min: 1 }));
const room = new GameRoom(mapOption(values.map), spawnOption(values.spawn));
/** Where every square stood in each of the last ticks, up to the cap: 11 ticks at 20 Hz. */
const rewind = new Rewind(rewindTicks(1000 / tickRate), !values["no-rewind"]);
/** The ghost's tag attempts, judged: logged, so that the rewind's effect can be measured. */
const tally = new TagTally();

/** A cookie is good in the time slot it was made in and the next one: for 5 to 10 s by default. */
const COOKIE_SLOT_MS =
  numberOption(values["cookie-seconds"], "--cookie-seconds", { min: 0.1 }) * 1000;
/** The key of the cookies' hash: made at start, never sent, so nobody else can make a cookie. */
const COOKIE_KEY = randomBytes(32);

const currentSlot = () => Math.floor(Date.now() / COOKIE_SLOT_MS);

/**
 * The cookie for a CONNECT from `from` as `username`: made again, never stored, when it comes back.
 */
function cookieFor(from: Source, username: string, slot = currentSlot()): string {
  const hash = createHmac("sha256", COOKIE_KEY).update(
    `${from.address} ${from.port} ${username} ${slot}`,
  );
  return hash.digest("base64url").slice(0, 22); // 128 bits: no one guesses that
}

/**
 * Whether `cookie` is one this server made for this address, port and name, in this time slot or the one before.
 */
function cookieIsGood(cookie: string, from: Source, username: string): boolean {
  const slot = currentSlot();
  // timingSafeEqual takes as long whatever the first
  // wrong character: the time tells a forger nothing
  const equal = (made: string) =>
    made.length === cookie.length && timingSafeEqual(Buffer.from(made), Buffer.from(cookie));
  return equal(cookieFor(from, username, slot)) || equal(cookieFor(from, username, slot - 1));
}

/**
 * A client sends at most one datagram a frame, 20 a second, repeats included: twice that is plenty.
 */
const DATAGRAMS_PER_SECOND = 40;
/** A burst the bucket lets through at once: a client that was held up may send a few in a row. */
const BURST = 20;

/**
 * How many datagrams a player may still send: a bucket of BURST tokens, refilled
 * at DATAGRAMS_PER_SECOND, one token a datagram. What a flood sends past that is
 * dropped unread, so it costs the other players nothing.
 */
class TokenBucket {
  private tokens = BURST;
  private refilledAt = performance.now();

  take(now = performance.now()): boolean {
    const refill = ((now - this.refilledAt) / 1000) * DATAGRAMS_PER_SECOND;
    this.tokens = Math.min(BURST, this.tokens + refill);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

/** A player's seat: who they are, where they send from, and what the tick needs of them. */
interface Seat {
  username: string;
  address: string;
  clientPort: number;
  /**
   * the datagrams they may still send: a flood of theirs is dropped, and costs the others nothing
   */
  budget: TokenBucket;
  /** the player's inputs, each waiting for the tick it is meant for */
  inputs: InputBuffer;
  /** how many ticks before its tick the input applied in the last tick arrived (-1: it did not) */
  early: number;
  /** the last states sent to this player, and the newest of them the player holds */
  sent: SentStates;
  /** the ghost's tag attempt in the last tick, judged: sent with its state, then forgotten */
  verdict: TagVerdict | undefined;
}
const seats = new Map<string, Seat>();
/**
 * The same seats, by the address and port their player sends from: with one socket, those are
 * all that tells one player's datagrams from another's.
 */
const seatAt = new Map<string, Seat>();
const dropped = { unverified: 0, tooLong: 0, tooBigToAnswer: 0, overRate: 0 };
/** The inputs every player's buffer dropped: counted in one place, to be logged. */
const droppedInputs = noInputsDropped();

const socket = dgram.createSocket("udp4");
const network = simulateNetwork(socket, conditions, { trace });

socket.on("message", (datagram, from) => {
  // Nobody asked for an answer bigger than the question: a too-long datagram is dropped unanswered.
  if (datagram.length > MAX_MESSAGE_BYTES) {
    dropped.tooLong++;
    return;
  }
  const seat = seatAt.get(endpoint(from));
  if (seat) play(seat, datagram);
  else handshake(datagram, from);
});

/**
 * What an address nobody has verified gets: a CHALLENGE for a CONNECT, never
 * bigger than the CONNECT, and nothing for anything else. Nothing is kept for
 * it either. Only a CONNECT that brings back the cookie gets a seat.
 */
function handshake(datagram: Buffer, from: dgram.RemoteInfo): void {
  const connect = parseConnect(datagram.toString("utf8"));
  if (!connect) {
    dropped.unverified++;
    return;
  }
  const { username, cookie } = connect;
  if (!cookie || !cookieIsGood(cookie, from, username)) {
    const challenge = encodeServerMessage({ type: "CHALLENGE", cookie: cookieFor(from, username) });
    if (Buffer.byteLength(challenge) > datagram.length) {
      dropped.tooBigToAnswer++;
      return;
    }
    return network.send(challenge, from.port, from.address);
  }

  // The cookie came back to us from `from`: the client does receive there. Only now does the
  // server spend a seat on it, and answers bigger than its questions.
  const reply = (message: ServerMessage) =>
    network.send(encodeServerMessage(message), from.port, from.address);
  const tooMany = sources.refusal(from);
  if (tooMany) return reply(room.refuse(tooMany));
  const refused = room.join(username);
  if (refused) return reply(room.refuse(refused));
  const seat: Seat = {
    username,
    address: from.address,
    clientPort: from.port,
    budget: new TokenBucket(),
    inputs: new InputBuffer(tick, droppedInputs),
    early: MISSED,
    sent: new SentStates(username),
    verdict: undefined,
  };
  seats.set(username, seat);
  seatAt.set(endpoint(from), seat);
  sources.taken(from);
  reply(welcomeFor(seat));
}

/**
 * The welcome, made to fit a datagram: it names the map, which the client knows, instead of
 * sending its walls (12.5 KB for the mansion), and its state is what the lantern lights.
 */
function welcomeFor(seat: Seat): ServerMessage {
  const state = stateFor(seat, new Lanterns(room.world));
  const { map } = room.world;
  const port = socket.address().port;
  return { type: "CONNECTED", port, username: seat.username, map, mapName: room.mapName, state };
}

/**
 * What one player sees: the squares their lantern lights (lib/lantern.ts), and the ghost's name
 * even out of sight, so that the game stays fair.
 */
function stateFor(seat: Seat, lanterns: Lanterns): TickedState {
  return { tick, ghost: room.world.ghost, players: lanterns.around(seat.username) };
}

/** A datagram from a seated player: their address and port say who they are. */
function play(seat: Seat, datagram: Buffer): void {
  if (!seat.budget.take()) {
    dropped.overRate++;
    return;
  }
  const answer = (message: ServerMessage) =>
    network.send(encodeServerMessage(message), seat.clientPort, seat.address);
  const text = datagram.toString("utf8");
  // The same player saying CONNECT again: our welcome was lost (or is still on its way).
  if (parseConnect(text)) return answer(welcomeFor(seat));
  const parsed = parseClientMessage(text);
  if (!parsed.ok) return answer(room.refuse(parsed.reason));
  if (parsed.message.username !== seat.username) {
    return answer(room.refuse(`this address and port play ${seat.username}`));
  }
  room.heardFrom(seat.username);
  if (parsed.message.type === "INPUT") {
    const { held, seen, inputs } = parsed.message;
    // The newest state the player holds: the next deltas are written against it.
    seat.sent.acknowledge(held);
    // The screen showed `seen` when the newest input was made, and one tick less a frame before.
    const newest = inputs.at(-1)!.tick;
    const seenBy = (input: TickedInput) => ({ ...input, seen: seen - (newest - input.tick) });
    // Most are copies of inputs the buffer holds or has applied (every INPUT repeats the last
    // ones): those change nothing. Only what a client keeping its clock cannot send is answered.
    const refused = inputs
      .map((input) => REFUSED[seat.inputs.receive(seenBy(input))])
      .find(Boolean);
    if (refused) return answer(room.refuse(`${refused} (the server is at tick ${tick})`));
  }
  if (parsed.message.type === "DISCONNECT") {
    answer({ type: "DISCONNECTED", username: seat.username });
    closeSeat(seat);
  }
}

/**
 * What an INPUT is told when one of its inputs cannot be kept: one ERROR for the datagram. A late
 * input is only counted: its client learns it from `early=-1`, and the next inputs will be in time.
 */
const REFUSED: Record<Receipt, string | undefined> = {
  kept: undefined,
  copy: undefined,
  late: undefined,
  conflict: "a tick's input cannot change once sent",
  "too old": "an input for a tick long past",
  "too early": "an input for a tick too far ahead",
};

/** The player is gone: their seat, and the address and port it held, are free again. */
function closeSeat(seat: Seat): void {
  if (seats.get(seat.username) !== seat) return;
  seats.delete(seat.username);
  seatAt.delete(endpoint({ address: seat.address, port: seat.clientPort }));
  sources.released({ address: seat.address, port: seat.clientPort });
  room.leave(seat.username);
}

let tick = 0;
setInterval(() => {
  tick++;
  // Each player's input for this tick, taken out of their buffer: one a tick, whatever they sent.
  // The ghost's tag is judged at the tick its screen showed with the input (clamped to the cap);
  // a repeated input, which no screen chose, is judged now.
  for (const seat of seats.values()) {
    const { input, early, seen } = seat.inputs.next();
    const now = performance.now();
    seat.verdict = rewind.move(room, seat.username, input, seen ?? tick, tick, now);
    if (seat.verdict) tally.count(seat.verdict);
    seat.early = early;
  }
  rewind.record(tick, room.world);
  // A state for each player, what their lantern lights, sent as its changes from the newest
  // state they hold (a whole state while they hold none): squares at rest cost nothing, and a
  // lost delta costs that tick only, never a square in a wrong place.
  const lanterns = new Lanterns(room.world);
  for (const seat of seats.values()) {
    const delta = encodeServerMessage({
      type: "DELTA",
      delta: seat.sent.next(stateFor(seat, lanterns)),
      early: seat.early,
      ...(seat.verdict && { verdict: verdictFor(seat.verdict) }),
    });
    network.send(delta, seat.clientPort, seat.address);
  }
}, 1000 / tickRate);

/** What the ghost is told of its attempt: where it saw the human, and where they were. */
function verdictFor({ seenTick, seen, real, tagged }: TagVerdict): Verdict {
  return { seenTick, seen: { x: seen.x, y: seen.y }, real, tagged: tagged === seen.name };
}

// UDP has no connection to close: silence is the only sign a player has gone.
setInterval(() => {
  for (const name of room.dropSilent(silenceMs)) closeSeat(seats.get(name)!);
}, 250);

let reported = "";
let reportedTally = "";
setInterval(() => {
  const { unverified, tooLong, tooBigToAnswer, overRate } = dropped;
  const { late, conflict, tooOld, tooEarly } = droppedInputs;
  const report =
    `dropped: ${unverified} from unverified addresses, ${tooLong} too long, ${overRate} over a player's rate; ` +
    `not answered: ${tooBigToAnswer}; inputs dropped: ${late} late, ${conflict} changing a tick, ` +
    `${tooOld} long past, ${tooEarly} too far ahead`;
  const total =
    unverified + tooLong + tooBigToAnswer + overRate + late + conflict + tooOld + tooEarly;
  if (report !== reported && total > 0) log(report);
  reported = report;
  // "tag attempts 12, tagged 11, moved 0×2 4×9": how many cells each tagged human had moved
  // since the ghost's screen showed them, the price of the rewind, paid by the victims.
  const tallied = tally.describe();
  if (tally.attempts > 0 && tallied !== reportedTally) log(tallied);
  reportedTally = tallied;
}, 5000);

socket.on("error", (error) => exitOnListenError(error, port));
socket.bind(port, host, () => announce(socket.address()));
