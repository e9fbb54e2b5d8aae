/**
 * Step 02, the client: send the held input every frame and draw the state the
 * server answers with. Each message opens a new TCP connection, like the write-up's.
 */
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { clientOptions } from "../../lib/args.ts";
import {
  STREAM_NETWORK_OPTIONS,
  describeConditions,
  networkConditions,
  simulateStream,
} from "../../lib/netsim.ts";
import { PlayerSession } from "../../lib/player.ts";
import { hashOf } from "../../lib/random.ts";
import { TRACE_OPTIONS, traceFrom } from "../../lib/trace.ts";
import { MAX_ANSWER_BYTES } from "../../lib/words.ts";
import {
  type ClientMessage,
  type ServerMessage,
  encodeClientMessage,
  expectServerMessage,
} from "./protocol.ts";

/** A server silent for this long is taken to be gone: a client must never wait forever. */
const ANSWER_TIMEOUT_MS = 5000;

const options = clientOptions(
  import.meta.url,
  "Step 02: play the squares game, one TCP connection per message.",
  9999,
  { ...STREAM_NETWORK_OPTIONS, ...TRACE_OPTIONS },
);
const conditions = networkConditions(options.values);
const trace = traceFrom(options.values);
const player = new PlayerSession(options);
player.exitOnSignals();
player.statusExtra = describeConditions(conditions);
const username = options.name;
const server = `${options.host}:${options.port}`;
let connectionsOpened = 0;

/** One message, one connection: connect, send, and read the answer until the server closes. */
async function request(message: ClientMessage): Promise<ServerMessage> {
  player.sent();
  const socket = net.connect(options.port, options.host);
  socket.setTimeout(ANSWER_TIMEOUT_MS, () =>
    socket.destroy(new Error(`no answer from ${server} for ${ANSWER_TIMEOUT_MS / 1000} s`)),
  );
  // What the client writes crosses a network made worse on purpose (--lag, --loss: lib/netsim.ts).
  const seed = hashOf(username) + ++connectionsOpened;
  simulateStream(socket, conditions, { seed, trace }).end(encodeClientMessage(message) + "\n");
  const pieces: Buffer[] = [];
  let received = 0;
  for await (const piece of socket) {
    received += piece.length;
    if (received > MAX_ANSWER_BYTES) {
      throw new Error(`the server at ${server} sent an answer over ${MAX_ANSWER_BYTES} bytes`);
    }
    pieces.push(piece);
  }
  if (received === 0) throw new Error(`the server at ${server} closed the connection unanswered`);
  return expectServerMessage(Buffer.concat(pieces).toString("utf8"));
}

/** Sends a message, times the round trip (the ping) and shows the answer. */
async function exchange(message: ClientMessage): Promise<ServerMessage> {
  const sentAt = performance.now();
  const answer = await request(message);
  player.ping(performance.now() - sentAt);
  player.received(answer);
  return answer;
}

try {
  const welcome = await exchange({ type: "CONNECTED", username });
  if (welcome.type === "ERROR") throw new Error(`the server refused: ${welcome.reason}`);
  while (player.playing) {
    const frameStart = performance.now();
    const input = player.input();
    await exchange(
      input === "NONE" ? { type: "GETSTATE", username } : { type: "INPUT", username, input },
    );
    await sleep(1000 / options.sendRate - (performance.now() - frameStart));
  }
  await request({ type: "DISCONNECT", username });
  player.exitWithSummary();
} catch (error) {
  player.exitWithError(error);
}
