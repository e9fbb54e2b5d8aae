/**
 * Step 03, the server: the same game over one TCP connection per player, kept
 * open for the whole session. TCP is a byte stream, so each message ends with
 * a newline, and the connection itself tells the server when a player is gone.
 */
import net from "node:net";
import { numberOption, serverOptions } from "../../lib/args.ts";
import { LineTooLongError, readLines } from "../../lib/framing.ts";
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

/** A stranger must join within this long of connecting. */
const JOIN_DEADLINE_MS = 5000;
/**
 * A player sends a line 20 times a second: a connection
 * with no complete line for this long is closed.
 */
const LINE_DEADLINE_MS = 5000;
/**
 * Answers a client has not read yet, above which it
 * is dropped: otherwise they pile up in our memory.
 */
const MAX_UNSENT_BYTES = 64 * 1024;

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 03: the squares game over one persistent TCP connection per player.",
  9999,
  { ...mapOptions("house"), ...CONNECTION_OPTIONS, ...STREAM_NETWORK_OPTIONS, ...TRACE_OPTIONS },
);
const conditions = networkConditions(values);
const trace = traceFrom(values);
const room = new GameRoom(mapOption(values.map));
const connections = new ConnectionLimit(
  numberOption(values["max-connections"], "--max-connections", { min: 1, max: 100_000 }),
);

const server = net.createServer(async (socket) => {
  socket.on("error", () => socket.destroy()); // a client that vanishes is no reason to crash
  // What the server writes crosses a network made worse on purpose (--lag, --loss: lib/netsim.ts).
  const network = simulateStream(socket, conditions, { seed: socket.remotePort, trace });
  const reply = (message: ServerMessage) => network.write(encodeServerMessage(message) + "\n");
  // The last answer on this connection, which then
  // closes, even if the client never closes its side.
  const replyAndClose = (message: ServerMessage) => {
    socket.once("finish", () => socket.destroy());
    network.end(encodeServerMessage(message) + "\n");
  };
  // Each connection costs a file descriptor: past the cap, a newcomer is refused at once.
  if (!connections.admit(socket)) {
    return replyAndClose(room.refuse("server busy: too many connections"));
  }

  // The connection is the player: once a name is connected
  // here, it is the only name this socket may speak for.
  let username: string | undefined;
  // A closed connection is a disconnect, whether the client said goodbye or vanished.
  socket.on("close", () => {
    if (username) room.leave(username, "disconnected");
  });

  // A stranger who never joins, a player who falls silent, and bytes trickled one at a time
  // (which would keep an idle timer happy) must not hold a socket forever.
  const joinDeadline = setTimeout(() => {
    if (!username) replyAndClose(room.refuse(`too slow: join within ${JOIN_DEADLINE_MS / 1000} s`));
  }, JOIN_DEADLINE_MS);
  const lineDeadline = setTimeout(() => {
    // a stranger has had the join deadline: one refusal is enough
    if (username)
      replyAndClose(room.refuse(`too slow: no complete line for ${LINE_DEADLINE_MS / 1000} s`));
  }, LINE_DEADLINE_MS);
  socket.on("close", () => {
    clearTimeout(joinDeadline);
    clearTimeout(lineDeadline);
  });

  try {
    for await (const line of readLines(socket, MAX_MESSAGE_BYTES)) {
      lineDeadline.refresh();
      const parsed = parseClientMessage(line);
      if (!parsed.ok) reply(room.refuse(parsed.reason));
      else if (!username && parsed.message.type !== "CONNECTED") {
        reply(room.refuse("say CONNECTED <username> first"));
      } else if (
        username &&
        (parsed.message.type === "CONNECTED" || parsed.message.username !== username)
      ) {
        reply(room.refuse(`this connection plays ${username}`));
      } else {
        const answer = room.answer(parsed.message, socket.localPort!);
        if (answer.type === "CONNECTED") username = answer.username;
        if (answer.type === "DISCONNECTED") {
          // The goodbye ends the connection: a connection stands for one player.
          username = undefined;
          replyAndClose(answer);
        } else reply(answer);
      }
      // A client that sends without reading its answers would make them pile up here.
      if (network.unsentBytes > MAX_UNSENT_BYTES) {
        room.refuse(
          `dropped a client that does not read its answers (${MAX_UNSENT_BYTES} bytes unsent)`,
        );
        socket.destroy();
      }
    }
  } catch (error) {
    // A line that never ends would fill the server's
    // memory: answer, and close only this connection.
    if (error instanceof LineTooLongError) replyAndClose(room.refuse(error.message));
    else socket.destroy();
  }
});

server.on("error", (error) => exitOnListenError(error, port));
server.listen(port, host, () => announce(server.address() as net.AddressInfo));
