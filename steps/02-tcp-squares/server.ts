/**
 * Step 02, the server: the first game. Clients send only their inputs; the
 * server moves the squares and answers with the state (server-authoritative).
 * Every message arrives on a new TCP connection, which closes after the answer.
 */
import net from "node:net";
import { serverOptions } from "../../lib/args.ts";
import {
  MAX_MESSAGE_BYTES,
  type ServerMessage,
  encode,
  parseClientMessage,
} from "../../lib/protocol.ts";
import { GameRoom } from "../../lib/room.ts";
import {
  CONNECTION_OPTIONS,
  ConnectionLimit,
  announce,
  exitOnListenError,
} from "../../lib/serve.ts";

/** The whole message must arrive within this long of connecting, however slowly it is sent. */
const MESSAGE_DEADLINE_MS = 5000;

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 02: the squares game, one TCP connection per message.",
  9999,
  CONNECTION_OPTIONS,
);
const room = new GameRoom();
const connections = new ConnectionLimit(values["max-connections"]);

const server = net.createServer((socket) => {
  socket.on("error", () => socket.destroy()); // a client that vanishes is no reason to crash
  const reply = (message: ServerMessage) => socket.end(encode(message) + "\n");
  // Each connection costs a file descriptor: past the cap, a newcomer is refused at once.
  if (!connections.admit(socket)) return reply(room.refuse("server busy: too many connections"));
  // A stranger who sends nothing, or a byte now and then, must not hold a socket forever.
  const deadline = setTimeout(() => {
    const tooSlow = room.refuse(
      `too slow: send the whole message within ${MESSAGE_DEADLINE_MS / 1000} s`,
    );
    socket.end(encode(tooSlow) + "\n", () => socket.destroy());
  }, MESSAGE_DEADLINE_MS);
  socket.on("close", () => clearTimeout(deadline));

  // The message is everything the client sends before it ends its side of the connection.
  const pieces: Buffer[] = [];
  let received = 0;
  socket.on("data", (piece) => {
    received += piece.length;
    if (received <= MAX_MESSAGE_BYTES) pieces.push(piece);
    else if (socket.writable) reply(room.refuse(`message longer than ${MAX_MESSAGE_BYTES} bytes`));
  });
  socket.on("end", () => {
    if (!socket.writable) return; // already answered: the message was too long
    const parsed = parseClientMessage(Buffer.concat(pieces).toString("utf8"));
    reply(parsed.ok ? room.answer(parsed.message, socket.localPort!) : room.refuse(parsed.reason));
  });
});

// With no connection that stays open, the server only knows a player has gone when they fall silent.
setInterval(() => room.dropSilent(5000), 1000);

server.on("error", (error) => exitOnListenError(error, port));
server.listen(port, host, () => announce(server.address() as net.AddressInfo));
