/**
 * Step 03, the client: the same game over one TCP connection kept open for the
 * whole session. Each message is a line; the answers come back as lines, in order.
 */
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { clientOptions } from "../../lib/args.ts";
import { readLines } from "../../lib/framing.ts";
import { PlayerSession } from "../../lib/player.ts";
import {
  type ClientMessage,
  type ServerMessage,
  encode,
  expectServerMessage,
} from "../../lib/protocol.ts";

const options = clientOptions(
  import.meta.url,
  "Step 03: play the squares game over one persistent TCP connection.",
  9999,
);
const player = new PlayerSession(options);
const username = options.name;

// One connection for the whole game: the handshake is paid once, not on every message.
const socket = net.connect(options.port, options.host);
const answers = readLines(socket, 1 << 20); // the server is trusted with long lines: a welcome carries the map

/** Sends a message as one line and waits for the line that answers it. */
async function request(message: ClientMessage): Promise<ServerMessage> {
  player.sent(message);
  socket.write(encode(message) + "\n");
  const answer = await answers.next();
  if (answer.done)
    throw Object.assign(new Error("the server closed the connection"), { code: "ECONNRESET" });
  return expectServerMessage(answer.value);
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
  socket.end();
  player.leave();
} catch (error) {
  player.fail(error as Error);
}
