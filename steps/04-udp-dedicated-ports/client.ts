/**
 * Step 04, the client: the same game over UDP. Say CONNECTED to the server's
 * main port, then talk to the dedicated port it answers with. A datagram or
 * its answer may be lost, so no wait lasts longer than half a second.
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { clientOptions } from "../../lib/args.ts";
import {
  NETWORK_OPTIONS,
  describeConditions,
  networkConditions,
  simulateNetwork,
} from "../../lib/netsim.ts";
import { PlayerSession } from "../../lib/player.ts";
import { hashOf } from "../../lib/random.ts";
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
/** Unanswered messages in a row after which the server is taken to be gone (5 s). */
const MAX_UNANSWERED = 10;

const options = clientOptions(
  import.meta.url,
  "Step 04: play the squares game over UDP, on a port of your own.",
  9999,
  { ...NETWORK_OPTIONS, ...TRACE_OPTIONS },
);
const conditions = networkConditions(options.values);
const trace = traceFrom(options.values);
const player = new PlayerSession(options);
player.exitOnSignals();
player.statusExtra = describeConditions(conditions);
const username = options.name;
const server = `${options.host}:${options.port}`;

const socket = dgram.createSocket("udp4");
socket.on("error", (error) => player.exitWithError(error)); // rare on UDP: say it, and stop
const network = simulateNetwork(socket, conditions, { seed: hashOf(username), trace });
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

/** Sends a message, times the round trip (the ping) and shows the answer, if one came. */
async function exchange(message: ClientMessage): Promise<ServerMessage | undefined> {
  const sentAt = performance.now();
  const answer = await request(message);
  if (answer) {
    player.ping(performance.now() - sentAt);
    player.received(answer);
  }
  return answer;
}

/**
 * Says CONNECTED until the server answers, and returns its welcome, or throws why it cannot join.
 */
async function join(): Promise<Welcome> {
  for (let tries = 0; tries < MAX_UNANSWERED; tries++) {
    const answer = await exchange({ type: "CONNECTED", username });
    if (answer?.type === "CONNECTED") return answer;
    if (answer?.type === "ERROR") throw new Error(`the server refused: ${answer.reason}`);
  }
  throw new Error(`no answer from ${server}: is the server running?`);
}

try {
  serverAddress = (await lookup(options.host, { family: 4 })).address;
  const welcome = await join();
  serverPort = welcome.port;

  let unanswered = 0;
  while (player.playing) {
    const frameStart = performance.now();
    const input = player.input();
    const answer = await exchange(
      input === "NONE" ? { type: "GETSTATE", username } : { type: "INPUT", username, input },
    );
    unanswered = answer ? 0 : unanswered + 1;
    if (unanswered === MAX_UNANSWERED) throw new Error(`the server at ${server} stopped answering`);
    await sleep(1000 / options.sendRate - (performance.now() - frameStart));
  }
  // One try at a goodbye: if it is lost, the server notices the silence and frees our port anyway.
  await request({ type: "DISCONNECT", username });
  await network.drain(); // a goodbye still held back by --lag must leave before we do
  player.exitWithSummary();
} catch (error) {
  player.exitWithError(error);
}
