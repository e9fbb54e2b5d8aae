/**
 * Step 09, the server: step 08's, in the dark mansion. Every player carries a
 * lantern, and each one's state holds only the squares it lights (interest
 * management), so a state stays small however many play. The price: a state
 * for every player every tick, where step 08 encoded one for everyone.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import dgram from "node:dgram";
import { numberOption, serverOptions } from "../../lib/args.ts";
import type { Input } from "../../lib/game.ts";
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
import { announce, exitOnListenError, kernelDrops, log } from "../../lib/serve.ts";
import { TokenBucket, TokenBuckets } from "../../lib/token-bucket.ts";
import { TRACE_OPTIONS, traceFrom } from "../../lib/trace.ts";
import { MAX_MESSAGE_BYTES } from "../../lib/words.ts";
import {
  type Connect,
  type ServerMessage,
  type TickedState,
  encodeServerMessage,
  parseClientMessage,
  parseConnect,
} from "./protocol.ts";

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 09: a dark mansion: each player's state holds only what their lantern lights.",
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
  },
);
const conditions = networkConditions(values);
const trace = traceFrom(values);
const silenceMs = silenceOption(values.timeout);
const tickRate = numberOption(values["tick-rate"], "--tick-rate", { min: 1, max: 1000 });
const sources = new SourceLimits(numberOption(values["per-address"], "--per-address", { min: 1 }));
const room = new GameRoom(mapOption(values.map), spawnOption(values.spawn));

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
  const made = (slotMade: number) => sameCookie(cookieFor(from, username, slotMade), cookie);
  return made(slot) || made(slot - 1);
}

/**
 * Whether two cookies are the same. timingSafeEqual takes as long whatever
 * the first wrong character: the time tells a forger nothing.
 */
function sameCookie(known: string, sent: string): boolean {
  return known.length === sent.length && timingSafeEqual(Buffer.from(known), Buffer.from(sent));
}

/**
 * A client sends at most one datagram a frame, 20 a second, repeats included: twice that is plenty.
 */
const DATAGRAMS_PER_SECOND = 40;
/** A burst the bucket lets through at once: a client that was held up may send a few in a row. */
const BURST = 20;
/**
 * CONNECTs one address may send without a seat: a join takes two, and each of its --per-address
 * players may join at once, twice over for loss; then half a join a second per player. Joins and
 * leaves churned from one socket, unlimited, seated 23,400 players a second on step 08's server,
 * and 3,900 on step 09's and 10's, at 100 % CPU, an honest player's p99 860 ms.
 */
const handshakes = new TokenBuckets(4 * sources.maxPerAddress, sources.maxPerAddress);
/**
 * The cookies that won a seat, and when: a cookie is good for 10 s, and within them it must not
 * win a second seat once its first is left. Forgotten when they would have expired anyway.
 */
const spentCookies = new Map<string, number>();

/** A player's seat: who they are, where they send from, and what the tick needs of them. */
interface Seat {
  username: string;
  address: string;
  clientPort: number;
  /**
   * the cookie that won the seat: only the player has it (it went to their address alone), so a
   * CONNECT again or a DISCONNECT counts only with it, whoever writes their address on a datagram
   */
  cookie: string;
  /**
   * the answers they may still cost (an ERROR, the welcome again): a flood of theirs is dropped
   * unanswered, and costs the others nothing
   */
  budget: TokenBucket;
  /** the player's last input, applied every tick until a newer one arrives */
  input: Input;
  /** the sequence number of that input: the acknowledgement every state carries */
  inputSeq: number;
  /** when inputSeq last rose (or the seat was taken): how far the next may jump depends on it */
  inputSeqAt: number;
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
 * How far past the last applied input a sequence number may ever jump. A client numbers its changes
 * one by one, so a bigger jump is forged or broken: accepted, it would make every real input look old.
 */
const SEQUENCE_WINDOW = 100;

/**
 * How far past the last applied input the next sequence number may be: as far as the client
 * could have counted since (a change a frame, never more than DATAGRAMS_PER_SECOND), plus a
 * burst. A forger who wrote alice's address on INPUTs 100 ahead at a time froze her for the
 * rest of the game (45 moves where she made 193); now each jump is bounded by the time.
 */
function plausibleSeq(seat: Seat, now = performance.now()): number {
  const couldHaveCounted = BURST + ((now - seat.inputSeqAt) / 1000) * DATAGRAMS_PER_SECOND;
  return seat.inputSeq + Math.min(SEQUENCE_WINDOW, Math.floor(couldHaveCounted));
}

const dropped = {
  unverified: 0,
  tooLong: 0,
  tooBigToAnswer: 0,
  overRate: 0,
  overJoinRate: 0,
  notTheirs: 0,
};

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
  if (!handshakes.take(from.address)) {
    dropped.overJoinRate++;
    return;
  }
  const { username, cookie } = connect;
  if (!cookie || spentCookies.has(cookie) || !cookieIsGood(cookie, from, username)) {
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
  spentCookies.set(cookie, performance.now());
  const seat: Seat = {
    username,
    address: from.address,
    clientPort: from.port,
    cookie,
    budget: new TokenBucket(BURST, DATAGRAMS_PER_SECOND),
    input: "NONE",
    inputSeq: 0,
    inputSeqAt: performance.now(),
    inputTick: undefined,
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
 * What one player sees: the squares their lantern lights (lib/lantern.ts), their own with the
 * acks their client needs, and the ghost's name even out of sight, so that the game stays fair.
 */
function stateFor(seat: Seat, lanterns: Lanterns): TickedState {
  // Written out, not { ...square, ack, ackTick }: V8 takes 0.9 µs to copy an object and add fields.
  const players = lanterns.around(seat.username).map((square) =>
    square.name === seat.username
      ? {
          name: square.name,
          x: square.x,
          y: square.y,
          ack: seat.inputSeq,
          ackTick: seat.inputTick,
        }
      : square,
  );
  return { tick, ghost: room.world.ghost, players };
}

/**
 * A datagram from a seated player's address and port. Anyone may write those on a datagram, so
 * what only the player could have sent is obeyed: a CONNECT again or a DISCONNECT with the
 * seat's cookie, an INPUT whose number the client could have reached. Anything else is dropped
 * and counted, unanswered, and costs the player's budget nothing.
 */
function play(seat: Seat, datagram: Buffer): void {
  const answer = (message: ServerMessage) => {
    if (!seat.budget.take()) {
      dropped.overRate++;
      return;
    }
    network.send(encodeServerMessage(message), seat.clientPort, seat.address);
  };
  const text = datagram.toString("utf8");
  // The same player saying CONNECT again: our welcome was lost (or is still on its way).
  const connect = parseConnect(text);
  if (connect) {
    if (!provesSeat(seat, connect)) {
      dropped.notTheirs++;
      return;
    }
    return answer(welcomeFor(seat));
  }
  const parsed = parseClientMessage(text);
  if (!parsed.ok) return answer(room.refuse(parsed.reason));
  if (parsed.message.username !== seat.username) {
    return answer(room.refuse(`this address and port play ${seat.username}`));
  }
  const { message } = parsed;
  const forged =
    (message.type === "INPUT" && message.seq > plausibleSeq(seat)) ||
    (message.type === "DISCONNECT" && !sameCookie(message.cookie, seat.cookie));
  if (forged) {
    dropped.notTheirs++;
    return;
  }
  room.heardFrom(seat.username);
  if (message.type === "INPUT") {
    // A change that comes twice, late, or after a newer one
    // is not applied again: it would undo the newer one.
    if (message.seq > seat.inputSeq) {
      seat.input = message.input;
      seat.inputSeq = message.seq;
      seat.inputSeqAt = performance.now();
      seat.inputTick = undefined;
    }
  }
  if (message.type === "DISCONNECT") {
    answer({ type: "DISCONNECTED", username: seat.username });
    closeSeat(seat);
  }
}

/**
 * Whether a CONNECT from a seat's address and port is its player's: it brings the seat's cookie,
 * or a newer one made for them (a CHALLENGE that came late), which becomes the seat's.
 */
function provesSeat(seat: Seat, { username, cookie }: Connect): boolean {
  if (!cookie || username !== seat.username) return false;
  if (sameCookie(cookie, seat.cookie)) return true;
  if (!cookieIsGood(cookie, { address: seat.address, port: seat.clientPort }, username))
    return false;
  seat.cookie = cookie;
  spentCookies.set(cookie, performance.now());
  return true;
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
  // A state for each player: what their lantern lights. The lanterns look up the squares near
  // each player in a grid made once a tick, instead of looking at every square for every player.
  const lanterns = new Lanterns(room.world);
  for (const seat of seats.values()) {
    const state = encodeServerMessage({ type: "STATE", state: stateFor(seat, lanterns) });
    network.send(state, seat.clientPort, seat.address);
  }
}, 1000 / tickRate);

// UDP has no connection to close: silence is the only sign a player has gone.
setInterval(() => {
  for (const name of room.dropSilent(silenceMs)) closeSeat(seats.get(name)!);
  const now = performance.now();
  for (const [cookie, spentAt] of spentCookies) {
    if (now - spentAt > 2 * COOKIE_SLOT_MS) spentCookies.delete(cookie);
  }
  handshakes.forgetFull(now);
}, 250);

let reported = "";
setInterval(() => {
  const { unverified, tooLong, tooBigToAnswer, overRate, overJoinRate, notTheirs } = dropped;
  // what the system threw away unread, its queue full: a tick that ran long, or a flood
  const byTheSystem = kernelDrops(socket.address()) ?? 0;
  const report =
    `dropped: ${unverified} from unverified addresses, ${overJoinRate} over an address's join rate, ` +
    `${tooLong} too long, ${notTheirs} not a player's own, ${overRate} over a player's rate, ` +
    `${byTheSystem} by the system, its queue full; not answered: ${tooBigToAnswer}`;
  const anyDropped = byTheSystem > 0 || Object.values(dropped).some((count) => count > 0);
  if (report !== reported && anyDropped) log(report);
  reported = report;
}, 5000);

socket.on("error", (error) => exitOnListenError(error, port));
/**
 * The receive queue the system keeps for the socket, while the server is busy with a tick. Its
 * default, 212,992 bytes on Linux, held 256 datagrams of 100 bytes (each costs 832 bytes of it,
 * measured), so a burst of joins, or one frame of inputs from a few hundred players, overflowed
 * it and the system dropped the rest unread. This holds one datagram from each of 1,000 players,
 * four times over. The system doubles what is asked for its bookkeeping, and caps it at
 * net.core.rmem_max.
 */
const RECEIVE_QUEUE_BYTES = 4000 * 832;

socket.bind(port, host, () => {
  socket.setRecvBufferSize(RECEIVE_QUEUE_BYTES / 2);
  announce(socket.address());
});
