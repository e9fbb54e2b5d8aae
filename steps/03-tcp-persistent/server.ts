/**
 * Step 03, the server: the same game over one TCP connection per player, kept
 * open for the whole session. TCP is a byte stream, so each message ends with
 * a newline, and the connection itself tells the server when a player is gone.
 */
import net from "node:net";
import { serverOptions } from "../../lib/args.ts";
import { LineTooLongError, readLines } from "../../lib/framing.ts";
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
  "Step 03: the squares game over one persistent TCP connection per player.",
  9999,
  {},
);
const room = new GameRoom();

const server = net.createServer(async (socket) => {
  // The connection is the player: once a name is connected here, it is the only name this socket may speak for.
  let username: string | undefined;
  const reply = (message: ServerMessage) => socket.write(encode(message) + "\n");
  // A closed connection is a disconnect, whether the client said goodbye or vanished.
  socket.on("close", () => username && room.leave(username, "disconnected"));
  // A stranger who connects and falls silent must not hold a socket forever.
  socket.setTimeout(5000, () => socket.destroy());
  try {
    for await (const line of readLines(socket, MAX_MESSAGE_BYTES)) {
      const parsed = parseClientMessage(line);
      if (!parsed.ok) reply(room.refuse(parsed.reason));
      else if (!username && parsed.message.type !== "CONNECTED")
        reply(room.refuse("say CONNECTED <username> first"));
      else if (
        username &&
        (parsed.message.type === "CONNECTED" || parsed.message.username !== username)
      ) {
        reply(room.refuse(`this connection plays ${username}`));
      } else {
        const answer = room.answer(parsed.message, socket.localPort!);
        if (answer.type === "CONNECTED") username = answer.username;
        if (answer.type === "DISCONNECTED") username = undefined;
        reply(answer);
      }
    }
  } catch (error) {
    // A line that never ends would fill the server's memory: answer, and close only this connection.
    if (error instanceof LineTooLongError) socket.end(encode(room.refuse(error.message)) + "\n");
    else socket.destroy();
  }
});

server.on("error", (error) => exitOnListenError(error, port));
server.listen(port, host, () => announce(server.address() as net.AddressInfo));
