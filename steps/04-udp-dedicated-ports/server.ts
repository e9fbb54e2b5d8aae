/**
 * Step 04, the server: the same game over UDP. A player says CONNECTED on the
 * main port and gets a port of their own, with a socket bound to it; from then
 * on every datagram of theirs goes there and is answered with the state.
 */
import dgram from "node:dgram";
import {
  NETWORK_OPTIONS,
  networkConditions,
  numberOption,
  portPoolOption,
  serverOptions,
} from "../../lib/args.ts";
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
  "Step 04: the squares game over UDP, a dedicated port per player.",
  9999,
  {
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
    const result = room.answer(parsed.message, seat.port!);
    answer(result);
    if (result.type === "DISCONNECTED") closeSeat(seat);
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
