/**
 * Step 07, the client: it stops waiting for the server to see its own square
 * move. It predicts its square with the server's own movement rule, corrects
 * the guess when a state proves it wrong, and draws the other players a little
 * in the past, in between two states, so that everything moves smoothly.
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { clientOptions } from "../../lib/args.ts";
import type { Input } from "../../lib/game.ts";
import { Interpolation } from "../../lib/interpolation.ts";
import { NET_VIEW_OPTIONS } from "../../lib/net-view.ts";
import {
  NETWORK_OPTIONS,
  describeConditions,
  networkConditions,
  simulateNetwork,
} from "../../lib/netsim.ts";
import { PlayerSession } from "../../lib/player.ts";
import { Prediction } from "../../lib/prediction.ts";
import { hashOf } from "../../lib/random.ts";
import { ReactionTimer } from "../../lib/reaction.ts";
import { TickClock } from "../../lib/tick-clock.ts";
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
/**
 * With nothing to say, the client still sends this often, so the server knows it is still there.
 */
const HEARTBEAT_MS = 1000;

const options = clientOptions(
  import.meta.url,
  "Step 07: play with client-side prediction and interpolation.",
  9999,
  {
    ...NETWORK_OPTIONS,
    ...TRACE_OPTIONS,
    ...NET_VIEW_OPTIONS,
    "no-predict": {
      type: "boolean",
      default: false,
      description: "draw your own square where the server last had it, as in step 06",
    },
    "no-interp": {
      type: "boolean",
      default: false,
      description: "draw the others where the newest state has them, as in step 06",
    },
  },
);
const predict = !options.values["no-predict"];
const interpolate = !options.values["no-interp"];
const conditions = networkConditions(options.values);
const trace = traceFrom(options.values);
const player = new PlayerSession(options, { netView: options.values.net });
player.exitOnSignals();
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
  const clock = new TickClock();
  const prediction = new Prediction(welcome.map, username);
  const interpolation = new Interpolation(welcome.map, clock);
  // the --net view shows what these do: the corrections, the others' delay, the server's squares
  if (predict) player.net.prediction = prediction;
  if (interpolate) player.net.interpolation = interpolation;
  // What is drawn: our own square where we predict it, the others where interpolation puts them.
  player.view = (state) => {
    const others = interpolation.positions(performance.now());
    const players = state.players.map((square) =>
      square.name === username
        ? { ...square, ...(predict ? prediction.position : undefined) }
        : { ...square, ...(interpolate ? others.get(square.name) : undefined) },
    );
    return { ...state, players };
  };

  // From now on the client does not wait for answers:
  // states arrive when the server's tick sends them.
  let newestTick = -1;
  let lastHeardAt = performance.now();
  const reaction = new ReactionTimer(username);
  let input: Input = "NONE";
  let sequence = 0;
  let acknowledged = 0;
  let lastSentAt = -Infinity;
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
    if (parsed.message.type === "STATE") {
      acknowledged =
        parsed.message.state.players.find((square) => square.name === username)?.ack ?? 0;
      clock.heard(parsed.message.state.tick, performance.now());
      interpolation.add(parsed.message.state);
      if (predict) prediction.reconcile(parsed.message.state);
    }
    const reactionMs = reaction.stateShown(player.state, performance.now());
    if (reactionMs !== undefined) player.ping(reactionMs);
  });

  while (player.playing) {
    const frameStart = performance.now();
    const next = player.input();
    if (next !== input) {
      input = next;
      sequence++;
    }
    reaction.inputSent(input, player.state, frameStart);
    // Our own move, shown now rather than a round trip from now.
    if (predict && player.state) prediction.step(input, sequence, player.state);
    const { count, cells, blocked } = prediction.corrections;
    const predicting = predict ? `prediction: ${prediction.fixesInWords()}` : "prediction off";
    const interpolating = `interpolation ${interpolate ? "on" : "off"}`;
    player.statusExtra = `${describeConditions(conditions)} · ${predicting} · ${interpolating}`;
    player.summaryExtra = { corrections: count, correctedCells: cells, blocked };
    player.draw();
    // The rack: an unacknowledged change goes again every
    // frame; otherwise only a heartbeat now and then.
    if (acknowledged < sequence || frameStart - lastSentAt >= HEARTBEAT_MS) {
      const message: ClientMessage = { type: "INPUT", username, input, seq: sequence };
      player.sent();
      network.send(encodeClientMessage(message), serverPort, serverAddress);
      lastSentAt = frameStart;
    }
    player.net.unacknowledged = sequence - acknowledged;
    if (frameStart - lastHeardAt > SERVER_SILENCE_MS) {
      throw new Error(`the server at ${server} stopped sending`);
    }
    // One frame per server tick, so that one predicted move is one move
    // of the server; but never more frames than --send-rate: whatever
    // tick numbers arrive, they must not make us flood the server.
    const frameMs = Math.max(clock.tickMs, 1000 / options.sendRate);
    await sleep(frameMs - (performance.now() - frameStart));
  }
  // One try at a goodbye: if it is lost, the server notices the silence and frees our port anyway.
  await request({ type: "DISCONNECT", username });
  await network.drain(); // a goodbye still held back by --lag must leave before we do
  player.exitWithSummary();
} catch (error) {
  player.exitWithError(error);
}
