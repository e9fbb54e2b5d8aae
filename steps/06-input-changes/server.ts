/**
 * Step 06, the server: players send their input only when it changes. The
 * server keeps each player's last input and applies it every tick until a
 * newer one arrives, and every state says which input it has applied (the ack).
 */
import dgram from "node:dgram";
import {
  NETWORK_OPTIONS,
  networkConditions,
  numberOption,
  portPoolOption,
  serverOptions,
} from "../../lib/args.ts";
import type { Input } from "../../lib/game.ts";
import { type SimulatedSender, simulateNetwork } from "../../lib/netsim.ts";
import {
  MAX_MESSAGE_BYTES,
  type ServerMessage,
  encode,
  parseClientMessage,
} from "../../lib/protocol.ts";
import { GameRoom } from "../../lib/room.ts";
import { announce, exitOnListenError, log } from "../../lib/serve.ts";

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 06: players send only input changes; the server keeps and acknowledges them.",
  9999,
  {
    "tick-rate": {
      type: "string",
      default: "20",
      placeholder: "HZ",
      description: "world steps (and state broadcasts) per second",
    },
    ports: {
      type: "string",
      default: "10000-10255",
      placeholder: "RANGE",
      description: "the dedicated ports players get: a range, or a count of ports the system picks",
    },
    timeout: {
      type: "string",
      default: "5",
      placeholder: "SECONDS",
      description: "remove a player silent for this long",
    },
    ...NETWORK_OPTIONS,
  },
);
const conditions = networkConditions(values);
const silenceMs = numberOption(values.timeout, "--timeout", { min: 0.1 }) * 1000;
const tickRate = numberOption(values["tick-rate"], "--tick-rate", { min: 1, max: 1000 });
const freePorts = portPoolOption(values.ports);
const room = new GameRoom();

/** A player's seat: their own socket, and the one address allowed to speak on it. */
interface Seat {
  username: string;
  address: string;
  clientPort: number;
  /** the port taken from the pool (0 when the system picks), given back when the player leaves */
  poolPort: number;
  socket: dgram.Socket;
  network: SimulatedSender;
  /** the bound port, once the socket listens */
  port?: number;
  /** the player's last input, applied every tick until a newer one arrives */
  input: Input;
  /** the sequence number of that input: the acknowledgement every state carries */
  inputSeq: number;
}
const seats = new Map<string, Seat>();
const dropped = { fromStrangers: 0, tooLong: 0 };

const main = dgram.createSocket("udp4");
const mainNetwork = simulateNetwork(main, conditions);

main.on("message", (datagram, from) => {
  // Nobody asked for an answer bigger than the question: a too-long datagram is dropped unanswered.
  if (datagram.length > MAX_MESSAGE_BYTES) {
    dropped.tooLong++;
    return;
  }
  const reply = (message: ServerMessage) =>
    mainNetwork.send(encode(message), from.port, from.address);
  const parsed = parseClientMessage(datagram.toString("utf8"));
  if (!parsed.ok) return reply(room.refuse(parsed.reason));
  if (parsed.message.type !== "CONNECTED")
    return reply(room.refuse("say CONNECTED <username> here, then talk to your own port"));

  const { username } = parsed.message;
  const seat = seats.get(username);
  if (seat && seat.address === from.address && seat.clientPort === from.port) {
    // The same player asking again: our answer was lost (or is still on its way). Same seat, same port.
    if (seat.port !== undefined) reply(room.welcome(username, seat.port));
    return;
  }
  const refused = seat
    ? `username ${username} is taken`
    : freePorts.length === 0
      ? "server full"
      : room.join(username);
  if (refused) return reply(room.refuse(refused));
  openSeat(username, from, freePorts.shift()!, reply);
});

function openSeat(
  username: string,
  from: dgram.RemoteInfo,
  poolPort: number,
  reply: (message: ServerMessage) => void,
  triesLeft = freePorts.length,
): void {
  const socket = dgram.createSocket("udp4");
  const seat: Seat = {
    username,
    address: from.address,
    clientPort: from.port,
    poolPort,
    socket,
    network: simulateNetwork(socket, conditions, from.port),
    input: "NONE",
    inputSeq: 0,
  };
  seats.set(username, seat);
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
      seat.network.send(encode(message), seat.clientPort, seat.address);
    const parsed = parseClientMessage(datagram.toString("utf8"));
    if (!parsed.ok) return answer(room.refuse(parsed.reason));
    if (parsed.message.username !== username)
      return answer(room.refuse(`this port plays ${username}`));
    if (parsed.message.type === "CONNECTED") return answer(room.welcome(username, seat.port!));
    room.heardFrom(username);
    if (parsed.message.type === "INPUT") {
      const { input, seq } = parsed.message;
      if (seq === undefined)
        return answer(
          room.refuse("INPUT needs a sequence number: INPUT <username> <direction> <seq>"),
        );
      // A change that comes twice, late, or after a newer one is not applied again: it would undo the newer one.
      if (seq > seat.inputSeq) {
        seat.input = input;
        seat.inputSeq = seq;
      }
    }
    if (parsed.message.type === "DISCONNECT") {
      answer({ type: "DISCONNECTED", username });
      closeSeat(seat);
    }
  });
  socket.on("error", (error) => {
    // Another program holds this port of the pool: put it at the back and try the next one.
    log(`cannot open port ${poolPort} for ${username}: ${error.message}`);
    seats.delete(username);
    socket.close();
    freePorts.push(poolPort);
    if (triesLeft > 0) return openSeat(username, from, freePorts.shift()!, reply, triesLeft - 1);
    room.leave(username);
    reply(room.refuse("server full: no port of the pool could be opened"));
  });
  socket.bind(poolPort, host, () => {
    seat.port = socket.address().port;
    reply(room.welcome(username, seat.port));
  });
}

/** The player is gone: once our last datagrams to them have left, close their socket and give the port back. */
function closeSeat(seat: Seat): void {
  if (seats.get(seat.username) !== seat) return;
  seats.delete(seat.username);
  room.leave(seat.username);
  void seat.network.drain().then(() => seat.socket.close(() => freePorts.push(seat.poolPort)));
}

let tick = 0;
setInterval(() => {
  for (const seat of seats.values()) room.move(seat.username, seat.input);
  tick++;
  // One state for everyone, encoded once. Each player's ack tells their client which change arrived,
  // so it can stop repeating it.
  const state = room.state();
  const players = state.players.map((square) => ({
    ...square,
    ack: seats.get(square.name)?.inputSeq ?? 0,
  }));
  const datagram = encode({ type: "STATE", state: { ...state, players, tick } });
  for (const seat of seats.values()) {
    if (seat.port !== undefined) seat.network.send(datagram, seat.clientPort, seat.address);
  }
}, 1000 / tickRate);

// UDP has no connection to close: silence is the only sign a player has gone.
setInterval(() => {
  for (const name of room.dropSilent(silenceMs)) closeSeat(seats.get(name)!);
}, 250);

let reported = "";
setInterval(() => {
  const report = `dropped: ${dropped.fromStrangers} from strangers, ${dropped.tooLong} too long`;
  if (report !== reported && (dropped.fromStrangers || dropped.tooLong)) log(report);
  reported = report;
}, 5000);

main.on("error", (error) => exitOnListenError(error, port));
main.bind(port, host, () => announce(main.address()));
