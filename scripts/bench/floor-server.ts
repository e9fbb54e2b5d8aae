/**
 * The floor: a server that does nothing but what every game server must, send
 * each player one datagram a tick, of `--bytes` bytes (the bench gives it the
 * mean state size it measured for a step, in the same run), and read what its
 * players send (the bench's floor bots send what the step's players did). What
 * it costs is what that traffic costs, so a step's CPU reads as a multiple of
 * its own network.
 *
 * It speaks just enough of step 08's protocol for the crowd's step 09 bots: a
 * CONNECT is welcomed at once (no cookie: the bench runs on loopback), and
 * each tick's datagram is a state-like `STATE tick=<tick> <name>,0,0,<ack>`
 * padded with spaces, which the bots read as they read a state (peek.ts): its
 * tick, and the ack of their input, so that they send no more than they would
 * to a real server. Each player's datagram is one buffer, rewritten in place.
 *
 *     npx tsx scripts/bench/floor-server.ts --port 0 --bytes 150 --map mansion
 */
import dgram from "node:dgram";
import { addressOptions, numberOption, parseOptions, portOption } from "../../lib/args.ts";
import { type Source, endpoint } from "../../lib/limits.ts";
import { MAPS } from "../../lib/map.ts";
import {
  encodeServerMessage,
  parseClientMessage,
  parseConnect,
} from "../../steps/09-lantern-interest/protocol.ts";
import { mapOption, mapOptions } from "../../lib/room.ts";
import { announce, exitOnListenError } from "../../lib/serve.ts";
import { SMALLEST_FLOOR_BYTES } from "./floor.ts";
import { SAFE_DATAGRAM_BYTES } from "./report.ts";
import { TICK_RATE } from "./steps.ts";

const { values } = parseOptions(
  {
    command: "npx tsx scripts/bench/floor-server.ts",
    summary:
      "The bench's floor: sends each player one datagram of --bytes a tick, reads what they send, " +
      "and does nothing else.",
  },
  {
    ...addressOptions("server", 0),
    bytes: {
      type: "string",
      default: "150",
      placeholder: "BYTES",
      description: "the size of every datagram",
    },
    ...mapOptions("mansion"),
  },
);
const bytes = numberOption(values.bytes, "--bytes", {
  min: SMALLEST_FLOOR_BYTES,
  max: SAFE_DATAGRAM_BYTES,
});
const mapName = mapOption(values.map);
const port = portOption(values.port);
/** The bench asks for at most 5,000 players: a few more seats for its probes, and no more. */
const MOST_SEATS = 5100;

interface Seat {
  source: Source;
  name: string;
  /** the sequence number of the player's newest input: the ack every datagram carries */
  ack: number;
  datagram: Buffer;
}
const seats = new Map<string, Seat>();
let tick = 0;

const socket = dgram.createSocket("udp4");
socket.on("message", (message, from) => {
  const seat = seats.get(endpoint(from));
  const text = message.toString("utf8");
  if (!seat) return welcome(text, from);
  const parsed = parseClientMessage(text);
  if (parsed.ok && parsed.message.type === "INPUT" && parsed.message.seq > seat.ack)
    seat.ack = parsed.message.seq;
});

/** A CONNECT gets a seat and a welcome at once; anything else from a stranger is dropped. */
function welcome(text: string, from: Source): void {
  const connect = parseConnect(text.trimEnd());
  if (!connect || seats.size >= MOST_SEATS) return;
  const { username } = connect;
  seats.set(endpoint(from), {
    source: from,
    name: username,
    ack: 0,
    datagram: Buffer.alloc(bytes),
  });
  const state = { tick, ghost: username, players: [{ name: username, x: 1, y: 1 }] };
  const welcome = { port: socket.address().port, username, map: MAPS[mapName], mapName, state };
  socket.send(encodeServerMessage({ type: "CONNECTED", ...welcome }), from.port, from.address);
}

setInterval(() => {
  tick++;
  // Rewritten a tick after it was sent: the socket has long passed it to the kernel.
  for (const { source, name, ack, datagram } of seats.values()) {
    datagram.fill(" ");
    datagram.write(`STATE tick=${tick} ${name},0,0,${ack}`, "latin1");
    socket.send(datagram, source.port, source.address);
  }
}, 1000 / TICK_RATE);

/**
 * The receive queue the steps' servers (08 on) ask for, so that the floor reads what they would
 * read: with the system's default, 256 datagrams, the floor's bots' inputs overflowed it while
 * it sent a tick's states, and the system dropped 780 to 6,343 of them in 5 s (at 1,000 and 2,000
 * players), inputs the floor never paid to read.
 */
const RECEIVE_QUEUE_BYTES = 4000 * 832;

socket.on("error", (error) => exitOnListenError(error, port));
socket.bind(port, values.host, () => {
  socket.setRecvBufferSize(RECEIVE_QUEUE_BYTES / 2);
  announce(socket.address());
});
