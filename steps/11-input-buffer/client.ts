/**
 * Step 11, the client: step 10's, tagging every input with the server tick it
 * is meant for, and sending it again in the next datagrams, so that a loss
 * costs nothing. Its clock runs just far enough ahead of the server's that its
 * inputs arrive before their tick, a little faster or slower as the server
 * reports how early they arrive; and its prediction replays exactly the inputs
 * the server applies, at the same ticks.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { clientOptions } from "../../lib/args.ts";
import { ReceivedStates } from "../../lib/delta.ts";
import { REDUNDANT_INPUTS, RecentInputs } from "../../lib/input-buffer.ts";
import { InputClock } from "../../lib/input-clock.ts";
import { Interpolation } from "../../lib/interpolation.ts";
import { LANTERN_REACH } from "../../lib/lantern.ts";
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
import { TickClock } from "../../lib/tick-clock.ts";
import { TickedPrediction } from "../../lib/ticked-prediction.ts";
import { TRACE_OPTIONS, traceFrom } from "../../lib/trace.ts";
import {
  type ClientMessage,
  type Connect,
  type ServerMessage,
  type Welcome,
  encodeClientMessage,
  parseServerMessage,
} from "./protocol.ts";

/** The write-up's SOCKET_TIMEOUT: how long to wait for an answer before sending again. */
const SOCKET_TIMEOUT_MS = 500;
/** CONNECTs left unanswered after which the server is taken to be absent (5 s). */
const MAX_UNANSWERED = 10;
/**
 * A CONNECT is padded to this many bytes: the server answers an
 * address it has not verified yet with no more bytes than it received.
 */
const CONNECT_BYTES = 100;
/**
 * A server that sends no new state for this long is taken to have restarted, or lost our seat (our
 * port changed under a NAT, say), and we join again: alive, it sends a state every tick.
 */
const SERVER_SILENCE_MS = 5000;
/**
 * How many ticks a state may leap past the newest shown, beyond what the time since allows at
 * twice the tick rate measured. A forged STATE with tick=999999999999999, believed, made every
 * real state after it look old: the bot showed 57 states in 8 s instead of 160, then left.
 */
const TICK_LEAP_SLACK = 10;

const options = clientOptions(
  import.meta.url,
  "Step 11: play with every input applied in the tick it is meant for.",
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
// The server sends what our lantern lights (lib/lantern.ts): the screen draws the rest dark.
const player = new PlayerSession(options, { lantern: LANTERN_REACH, netView: options.values.net });
player.exitOnSignals();
const username = options.name;
const server = `${options.host}:${options.port}`;

const socket = dgram.createSocket("udp4");
// A connected socket hears that nothing listens at the server's port (from an ICMP message) as
// an error: before we are in, that ends the client; once in, the server may be restarting, and
// the silence that follows makes us join again.
let playing = false;
socket.on("error", (error: NodeJS.ErrnoException) => {
  if (playing && error.code === "ECONNREFUSED") return;
  player.exitWithError(error);
});
const network = simulateNetwork(socket, conditions, {
  seed: hashOf(username),
  trace,
  watch: player.net,
});

/**
 * Sends one datagram and waits for an answer from the server of one of the `expected` types:
 * undefined if none comes in time. Anything else is not an answer (a state still on its way
 * from a seat the welcome of which was lost, say) and must not end the wait.
 */
function request(
  message: ClientMessage | Connect,
  expected: ServerMessage["type"][],
): Promise<ServerMessage | undefined> {
  player.sent();
  const text = encodeClientMessage(message);
  network.send(message.type === "CONNECT" ? text.padEnd(CONNECT_BYTES) : text);
  return new Promise((resolve) => {
    const giveUp = setTimeout(() => done(undefined), SOCKET_TIMEOUT_MS);
    const onMessage = (datagram: Buffer) => {
      const parsed = parseServerMessage(datagram.toString("utf8"));
      if (parsed.ok && expected.includes(parsed.message.type)) done(parsed.message);
    };
    const done = (answer: ServerMessage | undefined) => {
      clearTimeout(giveUp);
      socket.off("message", onMessage);
      resolve(answer);
    };
    socket.on("message", onMessage);
  });
}

/** What answers a CONNECT: a state that comes meanwhile does not. */
const JOIN_ANSWERS: ServerMessage["type"][] = ["CHALLENGE", "CONNECTED", "ERROR"];

/**
 * The handshake: CONNECT until the server answers with a CHALLENGE, CONNECT again with its cookie,
 * and the welcome. Returns the welcome, how long it took to come, and the cookie that won it,
 * which only we and the server know, and which our goodbye must carry; or throws why we cannot join.
 */
async function join(): Promise<{ welcome: Welcome; roundTripMs: number; cookie: string }> {
  let cookie: string | undefined;
  for (let tries = 0; tries < MAX_UNANSWERED; tries++) {
    const sentAt = performance.now();
    const answer = await request({ type: "CONNECT", username, cookie }, JOIN_ANSWERS);
    if (answer?.type === "CHALLENGE") cookie = answer.cookie;
    if (answer?.type === "CONNECTED" && cookie) {
      return { welcome: answer, roundTripMs: performance.now() - sentAt, cookie };
    }
    if (answer?.type === "ERROR") throw new Error(`the server refused: ${answer.reason}`);
  }
  throw new Error(`no answer from ${server}: is the server running?`);
}
/**
 * Joining again, once the server stopped sending us states. Our old seat may still hold our name
 * (a NAT gave us another port: the server frees the seat when it notices its silence, after 5 s
 * by default, as we do), or the server may still be starting: a second try comes that long after.
 */
async function rejoin(): Promise<{ welcome: Welcome; roundTripMs: number; cookie: string }> {
  try {
    return await join();
  } catch {
    await sleep(SERVER_SILENCE_MS);
    return join();
  }
}

try {
  // One port of the server for the whole game, so the socket can be connected to it: the system
  // then drops every datagram from anywhere else, and a stranger cannot make us obey them.
  socket.connect(options.port, options.host);
  await once(socket, "connect");
  let { welcome, roundTripMs, cookie } = await join();
  // Joining (the handshake) is the only exchange left that waits for answers, and it is not the
  // ping: see the reaction timer below.
  player.received(welcome);
  playing = true;
  // What one seat on the server knows of us: made again when we join again.
  let clock = new TickClock();
  // Which tick our next input is for: a round trip ahead of the welcome's, then as the server says.
  let inputClock = new InputClock(welcome.state.tick, roundTripMs, clock.tickMs);
  let prediction = new TickedPrediction(welcome.map, username);
  let interpolation = new Interpolation(welcome.map, clock);
  // the --net view shows what these do: the corrections, the others' delay, the server's squares,
  // and how early our inputs reach the server's buffer
  const watch = () => {
    player.net.inputClock = inputClock;
    if (predict) player.net.prediction = prediction;
    if (interpolate) player.net.interpolation = interpolation;
  };
  watch();
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
  // Our square comes without acks: the tick of a state says which of our inputs it holds.
  let received = new ReceivedStates(username, { acks: false });
  let newestTick = -1;
  let newestAt = performance.now();
  let implausibleTicks = 0;
  const reaction = new ReactionTimer(username);
  let recent = new RecentInputs();
  socket.on("message", (datagram) => {
    const parsed = parseServerMessage(datagram.toString("utf8"));
    if (!parsed.ok) return;
    if (parsed.message.type === "DELTA") {
      // One that leaps further ahead than the time since allows is forged (anyone can write the
      // server's address on a datagram): believed, it would make every real state look old.
      const now = performance.now();
      const { tick } = parsed.message.delta;
      if (
        newestTick >= 0 &&
        tick > newestTick + TICK_LEAP_SLACK + (2 * (now - newestAt)) / clock.tickMs
      ) {
        implausibleTicks++;
        return;
      }
      // How early the server had the input of this tick: what keeps our clock just ahead.
      inputClock.reported(tick, parsed.message.early);
      // The changes from a state we hold make the new state. A delta we cannot apply (the state
      // it changes was lost, or it is broken) is dropped: the next one will name a state we hold.
      const made = received.apply(parsed.message.delta);
      if (!made.ok) return;
      const state = made.message;
      // A state older than one already shown came late or
      // twice: showing it would move squares backwards.
      if (state.tick <= newestTick) return;
      newestTick = state.tick;
      newestAt = now;
      player.received(parsed.message);
      player.show(state);
      clock.heard(state.tick, performance.now());
      interpolation.add(state);
      if (predict) prediction.reconcile(state);
    } else player.received(parsed.message);
    const reactionMs = reaction.stateShown(player.state, performance.now());
    if (reactionMs !== undefined) player.ping(reactionMs);
  });

  // When the next frame is due: frames keep to the clock, not to one another (below).
  let frameDue = performance.now();
  while (player.playing) {
    const frameStart = performance.now();
    const input = player.input();
    const tick = inputClock.tick;
    recent.add(tick, input);
    reaction.inputSent(input, player.state, frameStart);
    // Our own move, shown now rather than a round trip from now.
    if (predict && player.state) prediction.step(tick, input, player.state);
    const { count, cells, blocked } = prediction.corrections;
    const predicting = predict ? `prediction: ${prediction.fixesInWords()}` : "prediction off";
    const interpolating = `interpolation ${interpolate ? "on" : "off"}`;
    player.statusExtra = `${describeConditions(conditions)} · ${predicting} · ${interpolating}`;
    player.summaryExtra = { corrections: count, correctedCells: cells, blocked, implausibleTicks };
    player.draw();
    // This tick's input and the ones before it again: a datagram lost costs nothing, the next
    // one carries the same inputs. Every frame after a change, as long as a copy can still come
    // in time; every 4th frame while a key is held, since a tick with no input of its own repeats
    // the last one.
    if (recent.due(inputClock.copiesInTime)) {
      // Holding no state yet, we say 0: the server never sends a tick 0, so it writes whole states.
      const held = received.newestTick ?? 0;
      const message: ClientMessage = { type: "INPUT", username, held, inputs: recent.latest };
      player.sent();
      network.send(encodeClientMessage(message));
    } else inputClock.wentLate(tick);
    if (frameStart - newestAt > SERVER_SILENCE_MS) {
      // No new state for 5 s: the server restarted, or no longer knows our address (a NAT gave
      // us another port), or everything it sends is dropped here. We join again, as new.
      const why =
        implausibleTicks > 0 ? `, ${implausibleTicks} with ticks too far ahead dropped` : "";
      player.notify(`no new state from ${server} for 5 s${why}: joining again`);
      player.draw();
      try {
        ({ welcome, roundTripMs, cookie } = await rejoin());
      } catch (error) {
        const failed = error instanceof Error ? error.message : String(error);
        throw new Error(
          `no new state from ${server} for 5 s${why}; joining again failed: ${failed}`,
        );
      }
      player.received(welcome);
      clock = new TickClock();
      inputClock = new InputClock(welcome.state.tick, roundTripMs, clock.tickMs);
      prediction = new TickedPrediction(welcome.map, username);
      interpolation = new Interpolation(welcome.map, clock);
      received = new ReceivedStates(username, { acks: false });
      recent = new RecentInputs();
      watch();
      [newestTick, newestAt, frameDue] = [-1, performance.now(), performance.now()];
      continue;
    }
    // One frame per server tick, but never more frames than --send-rate: whatever tick numbers
    // arrive, they must not make us flood the server. Then a little shorter or longer (10 % at
    // most), to keep our inputs arriving just in time.
    const frameMs = inputClock.nextFrame(Math.max(clock.tickMs, 1000 / options.sendRate));
    // A frame that starts late (the machine was busy) makes the next ones come sooner, until our
    // ticks are back where the clock has them; past REDUNDANT_INPUTS frames behind, the inputs
    // would be too old for the server anyway, and the clock catches up by hurrying instead.
    frameDue = Math.max(frameDue + frameMs, frameStart - REDUNDANT_INPUTS * frameMs);
    await sleep(frameDue - performance.now());
  }
  // One try at a goodbye, with the cookie that won our seat: the server obeys no DISCONNECT without
  // it. If it is lost, the server notices the silence and frees our seat anyway.
  await request({ type: "DISCONNECT", username, cookie }, ["DISCONNECTED", "ERROR"]);
  await network.drain(); // a goodbye still held back by --lag must leave before we do
  player.exitWithSummary();
} catch (error) {
  player.exitWithError(error);
}
