/**
 * Step 03, the client: the same game over one TCP connection kept open for the
 * whole session. Each message is a line; the answers come back as lines, in order.
 */
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { clientOptions } from "../../lib/args.ts";
import { readLines } from "../../lib/framing.ts";
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
  "Step 03: play the squares game over one persistent TCP connection.",
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

// One connection for the whole game: the handshake is paid once, not on every message.
const socket = net.connect(options.port, options.host);
socket.setTimeout(ANSWER_TIMEOUT_MS, () =>
  socket.destroy(new Error(`no answer from ${server} for ${ANSWER_TIMEOUT_MS / 1000} s`)),
);
// What the client writes crosses a network made worse on purpose (--lag, --loss: lib/netsim.ts).
const network = simulateStream(socket, conditions, { seed: hashOf(username), trace });
const answers = readLines(socket, MAX_ANSWER_BYTES);

/** Sends a message as one line and waits for the line that answers it. */
async function request(message: ClientMessage): Promise<ServerMessage> {
  player.sent();
  network.write(encodeClientMessage(message) + "\n");
  const answer = await answers.next();
  if (answer.done) throw new Error(`the server at ${server} closed the connection`);
  return expectServerMessage(answer.value);
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
  network.end();
  player.exitWithSummary();
} catch (error) {
  player.exitWithError(error);
}
