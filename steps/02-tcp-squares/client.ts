/**
 * Step 02, the client: send the held input every frame and draw the state the
 * server answers with. Each message opens a new TCP connection, like the write-up's.
 */
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { clientOptions } from "../../lib/args.ts";
import { PlayerSession } from "../../lib/player.ts";
import {
  type ClientMessage,
  type ServerMessage,
  encode,
  expectServerMessage,
} from "../../lib/protocol.ts";

const options = clientOptions(
  import.meta.url,
  "Step 02: play the squares game, one TCP connection per message.",
  9999,
);
const player = new PlayerSession(options);
const username = options.name;

/** One message, one connection: connect, send, and read the answer until the server closes. */
async function request(message: ClientMessage): Promise<ServerMessage> {
  player.sent(message);
  const socket = net.connect(options.port, options.host);
  socket.end(encode(message) + "\n");
  const pieces: Buffer[] = [];
  for await (const piece of socket) pieces.push(piece);
  return expectServerMessage(Buffer.concat(pieces).toString("utf8"));
}

/** Sends a message, times the round trip (the ping) and shows the answer. */
async function exchange(message: ClientMessage): Promise<void> {
  const sentAt = performance.now();
  const answer = await request(message);
  player.ping(performance.now() - sentAt);
  player.received(answer);
}

try {
  await exchange({ type: "CONNECTED", username });
  while (player.playing) {
    const frameStart = performance.now();
    const input = player.input();
    await exchange(
      input === "NONE" ? { type: "GETSTATE", username } : { type: "INPUT", username, input },
    );
    await sleep(1000 / options.sendRate - (performance.now() - frameStart));
  }
  await request({ type: "DISCONNECT", username });
  player.leave();
} catch (error) {
  player.fail(error as Error);
}
