/**
 * Step 02, the server: the first game. Clients send only their inputs; the
 * server moves the squares and answers with the state (server-authoritative).
 * Every message arrives on a new TCP connection, which closes after the answer.
 */
import net from "node:net";
import { numberOption, serverOptions } from "../../lib/args.ts";
import { STREAM_NETWORK_OPTIONS, networkConditions, simulateStream } from "../../lib/netsim.ts";
import { GameRoom, mapOption, mapOptions } from "../../lib/room.ts";
import {
  CONNECTION_OPTIONS,
  ConnectionLimit,
  announce,
  exitOnListenError,
} from "../../lib/serve.ts";
import { TRACE_OPTIONS, traceFrom } from "../../lib/trace.ts";
import { MAX_MESSAGE_BYTES } from "../../lib/words.ts";
import { type ServerMessage, encodeServerMessage, parseClientMessage } from "./protocol.ts";

/** The whole message must arrive within this long of connecting, however slowly it is sent. */
const MESSAGE_DEADLINE_MS = 5000;

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 02: the squares game, one TCP connection per message.",
  9999,
  { ...mapOptions("house"), ...CONNECTION_OPTIONS, ...STREAM_NETWORK_OPTIONS, ...TRACE_OPTIONS },
);
const conditions = networkConditions(values);
const trace = traceFrom(values);
const room = new GameRoom(mapOption(values.map));
const connections = new ConnectionLimit(
  numberOption(values["max-connections"], "--max-connections", { min: 1, max: 100_000 }),
);

const server = net.createServer((socket) => {
  socket.on("error", () => socket.destroy()); // a client that vanishes is no reason to crash
  // What the server writes crosses a network made worse on purpose (--lag, --loss: lib/netsim.ts).
  const network = simulateStream(socket, conditions, { seed: socket.remotePort, trace });
  // One answer, then the connection closes, even if the client never closes its side.
  const replyAndClose = (message: ServerMessage) => {
    socket.once("finish", () => socket.destroy());
    network.end(encodeServerMessage(message) + "\n");
  };
  // Each connection costs a file descriptor: past the cap, a newcomer is refused at once.
  if (!connections.admit(socket)) {
    return replyAndClose(room.refuse("server busy: too many connections"));
  }
  // A stranger who sends nothing, or a byte now and then, must not hold a socket forever.
  const deadline = setTimeout(() => {
    const seconds = MESSAGE_DEADLINE_MS / 1000;
    replyAndClose(room.refuse(`too slow: send the whole message within ${seconds} s`));
  }, MESSAGE_DEADLINE_MS);
  socket.on("close", () => clearTimeout(deadline));

  // The message is everything the client sends before it ends its side of the connection.
  const pieces: Buffer[] = [];
  let received = 0;
  socket.on("data", (piece) => {
    received += piece.length;
    if (received <= MAX_MESSAGE_BYTES) pieces.push(piece);
    else if (!network.ended)
      replyAndClose(room.refuse(`message longer than ${MAX_MESSAGE_BYTES} bytes`));
  });
  socket.on("end", () => {
    if (network.ended) return; // already answered: the message was too long
    const parsed = parseClientMessage(Buffer.concat(pieces).toString("utf8"));
    replyAndClose(
      parsed.ok ? room.answer(parsed.message, socket.localPort!) : room.refuse(parsed.reason),
    );
  });
});

// With no connection that stays open, the server only
// knows a player has gone when they fall silent.
setInterval(() => room.dropSilent(5000), 1000);

server.on("error", (error) => exitOnListenError(error, port));
server.listen(port, host, () => announce(server.address() as net.AddressInfo));
