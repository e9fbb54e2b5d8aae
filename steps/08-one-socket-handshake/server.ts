/**
 * Step 08, the server: one UDP socket for every player, and a handshake before
 * any seat. Players are told apart by the address and port their datagrams
 * come from. A first CONNECT gets a small CHALLENGE carrying a cookie, a keyed
 * hash of the sender's address, port and name; only a CONNECT that brings the
 * cookie back, which proves the sender receives at that address, gets a seat.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import dgram from "node:dgram";
import { numberOption, serverOptions } from "../../lib/args.ts";
import type { Input } from "../../lib/game.ts";
import { SOURCE_LIMIT_OPTIONS, type Source, SourceLimits, endpoint } from "../../lib/limits.ts";
import { NETWORK_OPTIONS, networkConditions, simulateNetwork } from "../../lib/netsim.ts";
import { GameRoom, SILENCE_OPTIONS, mapOption, mapOptions, silenceOption } from "../../lib/room.ts";
import { announce, exitOnListenError, log } from "../../lib/serve.ts";
import { TRACE_OPTIONS, traceFrom } from "../../lib/trace.ts";
import { MAX_MESSAGE_BYTES } from "../../lib/words.ts";
import {
  type ServerMessage,
  encodeServerMessage,
  parseClientMessage,
  parseConnect,
} from "./protocol.ts";

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 08: one socket for every player, and a cookie handshake before any seat.",
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
    ...mapOptions("house"),
    ...SOURCE_LIMIT_OPTIONS,
    ...SILENCE_OPTIONS,
    ...NETWORK_OPTIONS,
    ...TRACE_OPTIONS,
  },
);
const conditions = networkConditions(values);
const trace = traceFrom(values);
const silenceMs = silenceOption(values.timeout);
const tickRate = numberOption(values["tick-rate"], "--tick-rate", { min: 1, max: 1000 });
const sources = new SourceLimits(numberOption(values["per-address"], "--per-address", { min: 1 }));
const room = new GameRoom(mapOption(values.map));

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
  /** the player's last input, applied every tick until a newer one arrives */
  input: Input;
  /** the sequence number of that input: the acknowledgement every state carries */
  inputSeq: number;
  /** the tick in which that input was first applied, once it has been */
  inputTick: number | undefined;
}
const seats = new Map<string, Seat>();
/**
 * The same seats, by the address and port their player sends from: with one socket, those are
 * all that tells one player's datagrams from another's.
 */
const seatAt = new Map<string, Seat>();
/**
 * How far past the last applied input a sequence number may jump. A client numbers its changes one
 * by one, so a bigger jump is forged or broken: accepted, it would make every real input look old.
 */
const SEQUENCE_WINDOW = 100;
const dropped = { unverified: 0, tooLong: 0, tooBigToAnswer: 0, overRate: 0 };

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
    input: "NONE",
    inputSeq: 0,
    inputTick: undefined,
  };
  seats.set(username, seat);
  seatAt.set(endpoint(from), seat);
  sources.taken(from);
  reply(room.welcome(username, socket.address().port));
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
  if (parseConnect(text)) return answer(room.welcome(seat.username, socket.address().port));
  const parsed = parseClientMessage(text);
  if (!parsed.ok) return answer(room.refuse(parsed.reason));
  if (parsed.message.username !== seat.username) {
    return answer(room.refuse(`this address and port play ${seat.username}`));
  }
  room.heardFrom(seat.username);
  if (parsed.message.type === "INPUT") {
    const { input, seq } = parsed.message;
    if (seq > seat.inputSeq + SEQUENCE_WINDOW) {
      return answer(room.refuse(`sequence number ${seq} is too far past ${seat.inputSeq}`));
    }
    // A change that comes twice, late, or after a newer one
    // is not applied again: it would undo the newer one.
    if (seq > seat.inputSeq) {
      seat.input = input;
      seat.inputSeq = seq;
      seat.inputTick = undefined;
    }
  }
  if (parsed.message.type === "DISCONNECT") {
    answer({ type: "DISCONNECTED", username: seat.username });
    closeSeat(seat);
  }
}

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
  for (const seat of seats.values()) {
    room.move(seat.username, seat.input);
    seat.inputTick ??= tick;
  }
  // One state for everyone, encoded to bytes once and sent as is to every player. Each
  // player's ack tells their client which change arrived, so it can stop repeating it,
  // and in which tick it was first applied, so it can line up its frames.
  const state = room.state();
  const players = state.players.map((square) => ({
    ...square,
    ack: seats.get(square.name)?.inputSeq ?? 0,
    ackTick: seats.get(square.name)?.inputTick ?? tick,
  }));
  const datagram = Buffer.from(
    encodeServerMessage({ type: "STATE", state: { ...state, players, tick } }),
  );
  for (const seat of seats.values()) network.send(datagram, seat.clientPort, seat.address);
}, 1000 / tickRate);

// UDP has no connection to close: silence is the only sign a player has gone.
setInterval(() => {
  for (const name of room.dropSilent(silenceMs)) closeSeat(seats.get(name)!);
}, 250);

let reported = "";
setInterval(() => {
  const { unverified, tooLong, tooBigToAnswer, overRate } = dropped;
  const report = `dropped: ${unverified} from unverified addresses, ${tooLong} too long, ${overRate} over a player's rate; not answered: ${tooBigToAnswer}`;
  if (report !== reported && unverified + tooLong + tooBigToAnswer + overRate > 0) log(report);
  reported = report;
}, 5000);

socket.on("error", (error) => exitOnListenError(error, port));
socket.bind(port, host, () => announce(socket.address()));
