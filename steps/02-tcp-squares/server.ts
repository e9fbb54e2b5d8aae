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
import { announce, exitOnListenError } from "../../lib/serve.ts";

const { host, port } = serverOptions(
  import.meta.url,
  "Step 02: the squares game, one TCP connection per message.",
  9999,
  {},
);
const room = new GameRoom();

const server = net.createServer((socket) => {
  // The message is everything the client sends before it ends its side of the connection.
  const pieces: Buffer[] = [];
  let received = 0;
  const reply = (message: ServerMessage) => socket.end(encode(message) + "\n");
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
  // A stranger who connects and never finishes a message must not hold a socket forever.
  socket.setTimeout(5000, () => socket.destroy());
  socket.on("error", () => socket.destroy());
});

// With no connection that stays open, the server only knows a player has gone when they fall silent.
setInterval(() => room.dropSilent(5000), 1000);

server.on("error", (error) => exitOnListenError(error, port));
server.listen(port, host, () => announce(server.address() as net.AddressInfo));
