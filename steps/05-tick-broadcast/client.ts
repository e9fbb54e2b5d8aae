/**
 * Step 05, the client: send the held input on a timer of its own, and draw
 * whatever state the server broadcasts, newest tick only: datagrams may
 * arrive late, twice, or in another order than they were sent.
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { clientOptions } from "../../lib/args.ts";
import { NET_VIEW_OPTIONS } from "../../lib/net-view.ts";
import {
  NETWORK_OPTIONS,
  describeConditions,
  networkConditions,
  simulateNetwork,
} from "../../lib/netsim.ts";
import { PlayerSession } from "../../lib/player.ts";
import { hashOf } from "../../lib/random.ts";
import { ReactionTimer } from "../../lib/reaction.ts";
import { TRACE_OPTIONS, traceFrom } from "../../lib/trace.ts";
import {
  type ClientMessage,
  type ServerMessage,
  type Welcome,
  encodeClientMessage,
  parseServerMessage,
} from "./protocol.ts";

/** The write-up's SOCKET_TIMEOUT: how long to wait for an answer before sending again. */
const SOCKET_TIMEOUT_MS = 500;
/** CONNECTEDs left unanswered after which the server is taken to be absent (5 s). */
const MAX_UNANSWERED = 10;
/** A server silent for this long is taken to be gone: alive, it sends a state every tick. */
const SERVER_SILENCE_MS = 5000;

const options = clientOptions(
  import.meta.url,
  "Step 05: play while the server broadcasts the state every tick.",
  9999,
  { ...NETWORK_OPTIONS, ...TRACE_OPTIONS, ...NET_VIEW_OPTIONS },
);
const conditions = networkConditions(options.values);
const trace = traceFrom(options.values);
const player = new PlayerSession(options, { netView: options.values.net });
player.exitOnSignals();
player.statusExtra = describeConditions(conditions);
const username = options.name;
const server = `${options.host}:${options.port}`;

const socket = dgram.createSocket("udp4");
socket.on("error", (error) => player.exitWithError(error)); // rare on UDP: say it, and stop
const network = simulateNetwork(socket, conditions, {
  seed: hashOf(username),
  trace,
  watch: player.net,
});
/** The server's address, once looked up, and its main port until it gives us our own. */
let serverAddress = options.host;
let serverPort = options.port;
/** Anyone can send us a datagram: one from any other address or port is ignored, never obeyed. */
const fromServer = (from: dgram.RemoteInfo) =>
  from.address === serverAddress && from.port === serverPort;

/**
 * Sends one datagram and waits for the next one from the server: undefined if none comes in time.
 */
function request(message: ClientMessage): Promise<ServerMessage | undefined> {
  player.sent();
  network.send(encodeClientMessage(message), serverPort, serverAddress);
  return new Promise((resolve) => {
    const giveUp = setTimeout(() => done(undefined), SOCKET_TIMEOUT_MS);
    const onMessage = (datagram: Buffer, from: dgram.RemoteInfo) => {
      const parsed = parseServerMessage(datagram.toString("utf8"));
      if (parsed.ok && fromServer(from)) done(parsed.message);
    };
    const done = (answer: ServerMessage | undefined) => {
      clearTimeout(giveUp);
      socket.off("message", onMessage);
      resolve(answer);
    };
    socket.on("message", onMessage);
  });
}

/**
 * Says CONNECTED until the server answers, and returns its welcome, or throws why it cannot join.
 */
async function join(): Promise<Welcome> {
  for (let tries = 0; tries < MAX_UNANSWERED; tries++) {
    const answer = await request({ type: "CONNECTED", username });
    if (answer?.type === "CONNECTED") return answer;
    if (answer?.type === "ERROR") throw new Error(`the server refused: ${answer.reason}`);
  }
  throw new Error(`no answer from ${server}: is the server running?`);
}

try {
  serverAddress = (await lookup(options.host, { family: 4 })).address;
  const welcome = await join();
  // Joining is the one round trip left, and no longer the ping: see the reaction timer below.
  player.received(welcome);
  serverPort = welcome.port;

  // From now on the client does not wait for answers:
  // states arrive when the server's tick sends them.
  let newestTick = -1;
  let lastHeardAt = performance.now();
  const reaction = new ReactionTimer(username);
  socket.on("message", (datagram, from) => {
    const parsed = parseServerMessage(datagram.toString("utf8"));
    if (!parsed.ok || !fromServer(from)) return;
    lastHeardAt = performance.now();
    if (parsed.message.type === "STATE") {
      // A state older than one already shown came late or
      // twice: showing it would move squares backwards.
      if (parsed.message.state.tick <= newestTick) return;
      newestTick = parsed.message.state.tick;
    }
    player.received(parsed.message);
    const reactionMs = reaction.stateShown(player.state, performance.now());
    if (reactionMs !== undefined) player.ping(reactionMs);
  });

  while (player.playing) {
    const frameStart = performance.now();
    const input = player.input();
    const message: ClientMessage = { type: "INPUT", username, input };
    reaction.inputSent(input, player.state, frameStart);
    player.sent();
    network.send(encodeClientMessage(message), serverPort, serverAddress);
    if (frameStart - lastHeardAt > SERVER_SILENCE_MS) {
      throw new Error(`the server at ${server} stopped sending`);
    }
    await sleep(1000 / options.sendRate - (performance.now() - frameStart));
  }
  // One try at a goodbye: if it is lost, the server notices the silence and frees our port anyway.
  await request({ type: "DISCONNECT", username });
  await network.drain(); // a goodbye still held back by --lag must leave before we do
  player.exitWithSummary();
} catch (error) {
  player.exitWithError(error);
}
