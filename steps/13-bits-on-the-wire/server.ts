/**
 * Step 13, the server: step 12's, speaking binary (./protocol.ts): the same
 * messages, every value in the bits its range needs. A datagram it cannot
 * read whole (short, too long, a value out of range) is dropped and counted.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import dgram from "node:dgram";
import { numberOption, serverOptions } from "../../lib/args.ts";
import { SentStates } from "../../lib/delta.ts";
import { InputBuffer, MISSED, type Receipt, noInputsDropped } from "../../lib/input-buffer.ts";
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
import { announce, exitOnListenError, kernelDrops, log } from "../../lib/serve.ts";
import { TokenBucket, TokenBuckets } from "../../lib/token-bucket.ts";
import { TRACE_OPTIONS, traceFrom } from "../../lib/trace.ts";
import { MAX_MESSAGE_BYTES } from "../../lib/words.ts";
import {
  type Connect,
  type ServerMessage,
  type TickedState,
  SERVER_TRACE,
  type Verdict,
  encodeServerMessage,
  parseClientMessage,
  parseConnect,
} from "./protocol.ts";

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 13: step 12's game, its messages written in binary, every value in the bits it needs.",
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
const trace = traceFrom(values, SERVER_TRACE);
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
const dropped = {
  unverified: 0,
  tooLong: 0,
  unreadable: 0,
  tooBigToAnswer: 0,
  overRate: 0,
  overJoinRate: 0,
  notTheirs: 0,
};
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
  const connect = parseConnect(datagram);
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

/**
 * A datagram from a seated player's address and port. Anyone may write those on a datagram, so
 * what only the player could have sent is obeyed: a CONNECT again or a DISCONNECT with the
 * seat's cookie, an input for a tick the client's clock could have reached. Anything else is
 * dropped and counted, a CONNECT or a DISCONNECT unanswered: it costs the player's budget nothing.
 */
function play(seat: Seat, datagram: Buffer): void {
  const answer = (message: ServerMessage) => {
    if (!seat.budget.take()) {
      dropped.overRate++;
      return;
    }
    network.send(encodeServerMessage(message), seat.clientPort, seat.address);
  };
  // The same player saying CONNECT again: our welcome was lost (or is still on its way).
  const connect = parseConnect(datagram);
  if (connect) {
    if (!provesSeat(seat, connect)) {
      dropped.notTheirs++;
      return;
    }
    return answer(welcomeFor(seat));
  }
  const parsed = parseClientMessage(datagram);
  // Short, too long, or a value out of range: dropped whole, never half applied.
  if (!parsed.ok) {
    dropped.unreadable++;
    return;
  }
  if (parsed.message.username !== seat.username) {
    return answer(room.refuse(`this address and port play ${seat.username}`));
  }
  const { message } = parsed;
  // An INPUT has no sequence number to push ahead: each input names its tick, and the buffer keeps
  // none further ahead of the server's than an honest clock runs (FUTURE_TICKS, 1 s): a forged
  // one takes only the ticks it names, where step 10's number, pushed 100 ahead, froze the player
  // for the rest of the game. A forger who knows the address and port can still race the player
  // to the few ticks between the player's lead and that bound, where the first input is final;
  // only a secret on every datagram (connect tokens and encryption, a later step) stops that.
  const forged = message.type === "DISCONNECT" && !sameCookie(message.cookie, seat.cookie);
  if (forged) {
    dropped.notTheirs++;
    return;
  }
  room.heardFrom(seat.username);
  if (message.type === "INPUT") {
    const { held, seen, inputs } = message;
    // The newest state the player holds: the next deltas are written against it.
    seat.sent.acknowledge(held);
    // The screen showed `seen` when the newest input was made, and one tick less a frame before.
    const newest = inputs.at(-1)!.tick;
    // Most are copies of inputs the buffer holds or has applied (every INPUT repeats the last
    // ones): those change nothing. Only what a client keeping its clock cannot send is answered,
    // and only by the newest input: its oldest copies may be long past for a client that fell
    // a tick or two behind. (Each written out, not { ...input, seen }: V8 takes 0.4 µs to copy an
    // object and add a field.)
    const receipts = inputs.map(({ tick: inputTick, input }) =>
      seat.inputs.receive({ tick: inputTick, input, seen: seen - (newest - inputTick) }),
    );
    const refused = REFUSED[receipts.at(-1)!];
    if (refused) return answer(room.refuse(`${refused} (the server is at tick ${tick})`));
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

/**
 * What an INPUT is told when its newest input cannot be kept: one ERROR for the datagram. A late
 * input is only counted: its client learns it from `early=-1`, and the next inputs will be in time.
 * A different input for a tick that has one is only counted too: an ERROR for each would be
 * traffic a forger writing the player's address makes the server send to the player.
 */
const REFUSED: Record<Receipt, string | undefined> = {
  kept: undefined,
  copy: undefined,
  late: undefined,
  conflict: undefined,
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
    // A DELTA's steps start from its base's cells: seat.sent keeps them with the states it sent.
    const delta = encodeServerMessage(
      {
        type: "DELTA",
        delta: seat.sent.next(stateFor(seat, lanterns)),
        early: seat.early,
        ...(seat.verdict && { verdict: verdictFor(seat.verdict) }),
      },
      seat.sent,
    );
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
  const now = performance.now();
  for (const [cookie, spentAt] of spentCookies) {
    if (now - spentAt > 2 * COOKIE_SLOT_MS) spentCookies.delete(cookie);
  }
  handshakes.forgetFull(now);
}, 250);

let reported = "";
let reportedTally = "";
setInterval(() => {
  const { unverified, tooLong, unreadable, tooBigToAnswer, overRate, overJoinRate, notTheirs } =
    dropped;
  const { late, conflict, tooOld, tooEarly } = droppedInputs;
  // what the system threw away unread, its queue full: a tick that ran long, or a flood
  const byTheSystem = kernelDrops(socket.address()) ?? 0;
  const report =
    `dropped: ${unverified} from unverified addresses, ${overJoinRate} over an address's join rate, ` +
    `${tooLong} too long, ${unreadable} unreadable, ${notTheirs} not a player's own, ` +
    `${overRate} over a player's rate, ` +
    `${byTheSystem} by the system, its queue full; not answered: ${tooBigToAnswer}; ` +
    `inputs dropped: ${late} late, ${conflict} changing a tick, ${tooOld} long past, ${tooEarly} too far ahead`;
  const counts = [...Object.values(dropped), ...Object.values(droppedInputs)];
  const anyDropped = byTheSystem > 0 || counts.some((count) => count > 0);
  if (report !== reported && anyDropped) log(report);
  reported = report;
  // "tag attempts 12, tagged 11, moved 0×2 4×9": how many cells each tagged human had moved
  // since the ghost's screen showed them, the price of the rewind, paid by the victims.
  const tallied = tally.describe();
  if (tally.attempts > 0 && tallied !== reportedTally) log(tallied);
  reportedTally = tallied;
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
