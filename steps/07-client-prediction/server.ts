/**
 * Step 07, the server: step 06's, with one more number in every state for each
 * player: the tick in which the server first applied their acknowledged input.
 * With it, a client that predicts its own square knows exactly which of its
 * frames a state covers (see lib/prediction.ts).
 */
import dgram from "node:dgram";
import { numberOption, serverOptions } from "../../lib/args.ts";
import type { Input } from "../../lib/game.ts";
import { SOURCE_LIMIT_OPTIONS, SourceLimits } from "../../lib/limits.ts";
import {
  NETWORK_OPTIONS,
  type SimulatedSender,
  networkConditions,
  simulateNetwork,
} from "../../lib/netsim.ts";
import { PORT_POOL_OPTIONS, PORT_TRIES, isPortTaken, portRange } from "../../lib/port-pool.ts";
import { GameRoom, SILENCE_OPTIONS, mapOption, mapOptions, silenceOption } from "../../lib/room.ts";
import { announce, exitOnListenError, kernelDrops, log } from "../../lib/serve.ts";
import { TRACE_OPTIONS, traceFrom } from "../../lib/trace.ts";
import { MAX_MESSAGE_BYTES } from "../../lib/words.ts";
import { type ServerMessage, encodeServerMessage, parseClientMessage } from "./protocol.ts";

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 07: step 06's server, telling each client when its input was first applied.",
  9999,
  {
    "tick-rate": {
      type: "string",
      default: "20",
      placeholder: "HZ",
      description: "world steps (and state broadcasts) per second",
    },
    ...mapOptions("house"),
    ...PORT_POOL_OPTIONS,
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
const freePorts = portRange(values.ports);
const sources = new SourceLimits(numberOption(values["per-address"], "--per-address", { min: 1 }));
const room = new GameRoom(mapOption(values.map));

/** A player's seat: their own socket, and the one address allowed to speak on it. */
interface Seat {
  username: string;
  address: string;
  clientPort: number;
  /** the port of the pool this player talks to, given back when they leave */
  port: number;
  socket: dgram.Socket;
  network: SimulatedSender;
  /** true once the socket listens: the welcome is sent only then */
  open: boolean;
  /** the player's last input, applied every tick until a newer one arrives */
  input: Input;
  /** the sequence number of that input: the acknowledgement every state carries */
  inputSeq: number;
  /** the tick in which that input was first applied, once it has been */
  inputTick: number | undefined;
}
const seats = new Map<string, Seat>();
/**
 * How far past the last applied input a sequence number may jump. A client numbers its changes one
 * by one, so a bigger jump is forged or broken: accepted, it would make every real input look old.
 */
const SEQUENCE_WINDOW = 100;
const dropped = { fromStrangers: 0, tooLong: 0, tooBigToAnswer: 0 };
/**
 * An ERROR to an address nobody has verified is sent only if it is at most this many times
 * its request (QUIC's rule): otherwise strangers could make us send big answers to someone else.
 */
const MAX_AMPLIFICATION = 3;

const main = dgram.createSocket("udp4");
const mainNetwork = simulateNetwork(main, conditions, { trace });

main.on("message", (datagram, from) => {
  // Nobody asked for an answer bigger than the question: a too-long datagram is dropped unanswered.
  if (datagram.length > MAX_MESSAGE_BYTES) {
    dropped.tooLong++;
    return;
  }
  const reply = (message: ServerMessage) => {
    const bytes = encodeServerMessage(message);
    if (
      message.type === "ERROR" &&
      Buffer.byteLength(bytes) > MAX_AMPLIFICATION * datagram.length
    ) {
      dropped.tooBigToAnswer++;
      return;
    }
    mainNetwork.send(bytes, from.port, from.address);
  };
  const parsed = parseClientMessage(datagram.toString("utf8"));
  if (!parsed.ok) return reply(room.refuse(parsed.reason));
  if (parsed.message.type !== "CONNECTED")
    return reply(room.refuse("say CONNECTED <username> here, then talk to your own port"));

  const { username } = parsed.message;
  const seat = seats.get(username);
  if (seat?.address === from.address && seat.clientPort === from.port) {
    // The same player asking again: our answer was lost
    // (or is still on its way). Same seat, same port.
    if (seat.open) reply(room.welcome(username, seat.port));
    return;
  }
  if (seat) return reply(room.refuse(`username ${username} is taken`));
  const tooMany = sources.refusal(from);
  if (tooMany) return reply(room.refuse(tooMany));
  if (freePorts.length === 0) return reply(room.refuse("server full"));
  const refused = room.join(username);
  if (refused) return reply(room.refuse(refused));
  openSeat(username, from, freePorts.shift()!, reply);
});

function openSeat(
  username: string,
  from: dgram.RemoteInfo,
  port: number,
  reply: (message: ServerMessage) => void,
  tries = 1,
): void {
  const socket = dgram.createSocket("udp4");
  const seat: Seat = {
    username,
    address: from.address,
    clientPort: from.port,
    port,
    socket,
    network: simulateNetwork(socket, conditions, { seed: from.port, trace }),
    open: false,
    input: "NONE",
    inputSeq: 0,
    inputTick: undefined,
  };
  seats.set(username, seat);
  sources.taken(from);
  socket.on("message", (datagram, sender) => {
    // The port is the player: a datagram from anyone else is never applied.
    if (sender.address !== seat.address || sender.port !== seat.clientPort) {
      dropped.fromStrangers++;
      return;
    }
    if (datagram.length > MAX_MESSAGE_BYTES) {
      dropped.tooLong++;
      return;
    }
    const answer = (message: ServerMessage) =>
      seat.network.send(encodeServerMessage(message), seat.clientPort, seat.address);
    const parsed = parseClientMessage(datagram.toString("utf8"));
    if (!parsed.ok) return answer(room.refuse(parsed.reason));
    if (parsed.message.username !== username)
      return answer(room.refuse(`this port plays ${username}`));
    if (parsed.message.type === "CONNECTED") return answer(room.welcome(username, seat.port));
    room.heardFrom(username);
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
      answer({ type: "DISCONNECTED", username });
      closeSeat(seat);
    }
  });
  socket.on("error", (error) => {
    log(`cannot use port ${port} for ${username}: ${error.message}`);
    if (!seat.open && isPortTaken(error) && tries < PORT_TRIES && freePorts.length > 0) {
      // Another program holds this port of the pool (another step's server, say): the player
      // gets the next one, and this one goes to the back of the pool, for when it is let go.
      seats.delete(username);
      sources.released(from);
      socket.close(() => freePorts.push(port));
      return openSeat(username, from, freePorts.shift()!, reply, tries + 1);
    }
    if (!seat.open) reply(room.refuse("server busy: try again"));
    closeSeat(seat);
  });
  socket.bind(port, host, () => {
    seat.open = true;
    reply(room.welcome(username, port));
  });
}

/**
 * The player is gone: once our last datagrams to them
 * have left, close their socket and give the port back.
 */
function closeSeat(seat: Seat): void {
  if (seats.get(seat.username) !== seat) return;
  seats.delete(seat.username);
  sources.released({ address: seat.address, port: seat.clientPort });
  room.leave(seat.username);
  void seat.network.drain().then(() => seat.socket.close(() => freePorts.push(seat.port)));
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
  for (const seat of seats.values()) {
    if (seat.open) seat.network.send(datagram, seat.clientPort, seat.address);
  }
}, 1000 / tickRate);

// UDP has no connection to close: silence is the only sign a player has gone.
setInterval(() => {
  for (const name of room.dropSilent(silenceMs)) closeSeat(seats.get(name)!);
}, 250);

let reported = "";
setInterval(() => {
  const { fromStrangers, tooLong, tooBigToAnswer } = dropped;
  // what the system threw away unread at the main port, its queue full: a flood of joins (each
  // player's own port has a queue of its own, which one player's 20 datagrams a second never fill)
  const byTheSystem = kernelDrops(main.address()) ?? 0;
  const report =
    `dropped: ${fromStrangers} from strangers, ${tooLong} too long, ` +
    `${byTheSystem} by the system, its queue full; ` +
    `${tooBigToAnswer} unanswered (the answer would be too big)`;
  const anyDropped = byTheSystem > 0 || fromStrangers + tooLong + tooBigToAnswer > 0;
  if (report !== reported && anyDropped) log(report);
  reported = report;
}, 5000);

main.on("error", (error) => exitOnListenError(error, port));
main.bind(port, host, () => announce(main.address()));
