/**
 * The crowd's adapters for the UDP steps, in two halves that steps.ts puts
 * together: how a bot joins, and how it plays once seated. Steps 04 to 07 join
 * the same way (CONNECTED to the main port, asked again every half second until
 * a welcome names the bot's own port); they play by a request and its answer
 * (04), the input every frame (05), or only the input's changes, repeated until
 * acknowledged (06, 07). Step 08 joins another way, on the server's one socket
 * with its cookie handshake (oneSocket), and keeps the plays.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import type { Input } from "../../lib/game.ts";
import { RecentInputs, type TickedInput } from "../../lib/input-buffer.ts";
import {
  type BotContext,
  type BotProtocol,
  type JoinAnswer,
  type ProtocolBot,
  joinAnswerOf,
} from "./crowd.ts";
import type { HeldStates } from "./held-deltas.ts";
import { ackOf, messageType, tickOf } from "./peek.ts";

/** The write-up's SOCKET_TIMEOUT: how long a client waits for an answer before asking again. */
const ANSWER_TIMEOUT_MS = 500;
/** Unanswered CONNECTED after which the server is taken to be gone (5 s), as in the clients. */
const JOIN_TRIES = 10;
/** With nothing new to say, a step 06 client still sends this often. */
const HEARTBEAT_MS = 1000;
/** Step 10's client sends at least this often: each input says which states it holds. */
const HELD_HEARTBEAT_MS = 200;

/** An input as a bot sends it: with its sequence number from step 06, and the tick it holds in step 10. */
export type InputMessage = {
  type: "INPUT";
  username: string;
  input: Input;
  seq?: number;
  held?: number;
};
/**
 * Step 11's input: the bot's latest inputs, each tagged with the tick it is meant for; from step 12
 * on with the tick its screen showed, for a bot that draws nothing the newest state it holds.
 */
export type TickedInputs = {
  type: "INPUT";
  username: string;
  held: number;
  seen: number;
  inputs: readonly TickedInput[];
};

/** The joins: CONNECTED to the main port (steps 04 to 07), CONNECT on the one socket (08 on). */
type Join = { type: "CONNECTED"; username: string };
type Connect = { type: "CONNECT"; username: string; cookie?: string };

/**
 * How a bot plays once seated: what it sends in a frame (`Message`, its step's input),
 * and what it does with a datagram.
 */
export interface Play<Message extends InputMessage | TickedInputs> {
  /** like ProtocolBot.frame; `send` sends one message to the bot's own port */
  frame(input: Input, now: number, send: (message: Message) => void): boolean;
  datagram(datagram: Buffer): void;
}

/**
 * A datagram as a bot's protocol reads it: one character a byte (latin1), so that the bytes of a
 * binary step (13) reach its protocol unchanged, and a text step's ASCII reads as in UTF-8.
 */
const textOf = (datagram: Buffer) => datagram.toString("latin1");

/**
 * A bot's UDP socket, bound to the bot's own address: every datagram it sends or
 * receives from the server's `port()` is metered; a join waits for the next one.
 */
function botSocket(bot: BotContext, port: () => number) {
  const socket = dgram.createSocket("udp4");
  let onDatagram: (datagram: Buffer) => void = () => {};
  socket.on("message", (datagram, from) => {
    if (from.port !== port()) return;
    bot.meter.received(datagram.length);
    onDatagram(datagram);
  });
  socket.on("error", (error: NodeJS.ErrnoException) => bot.fail(error.code ?? error.message));
  return {
    async open(): Promise<void> {
      socket.bind(0, bot.localAddress);
      await once(socket, "listening");
    },
    send(text: string): void {
      const datagram = Buffer.from(text, "latin1");
      bot.meter.sent(datagram.length);
      socket.send(datagram, port(), bot.server.host);
    },
    /** The next datagram from the server, or undefined if none comes in time. */
    next: () =>
      new Promise<Buffer | undefined>((resolve) => {
        const giveUp = setTimeout(() => resolve(undefined), ANSWER_TIMEOUT_MS);
        onDatagram = (datagram) => {
          clearTimeout(giveUp);
          onDatagram = () => {};
          resolve(datagram);
        };
      }),
    /** From now on, every datagram from the server goes to the bot's play. */
    play(datagram: (datagram: Buffer) => void): void {
      onDatagram = datagram;
    },
    close: () => socket.close(),
  };
}

/**
 * Steps 04 to 07: one socket, the join on the server's main port, then play on the bot's own port.
 */
export function dedicatedPort<Message extends InputMessage>(
  bot: BotContext,
  protocol: BotProtocol<Join | NoInfer<Message>>,
  play: Play<Message>,
): ProtocolBot {
  /** the main port until the welcome names the bot's own */
  let serverPort = bot.server.port;
  const socket = botSocket(bot, () => serverPort);
  const send = (message: Join | Message) => socket.send(protocol.encodeClientMessage(message));
  return {
    async join(): Promise<JoinAnswer> {
      await socket.open();
      for (let tries = 0; tries < JOIN_TRIES; tries++) {
        send({ type: "CONNECTED", username: bot.name });
        const welcome = await socket.next();
        if (!welcome) continue;
        const answer = joinAnswerOf(protocol.expectServerMessage(textOf(welcome)));
        if (answer.seated) {
          serverPort = answer.port;
          socket.play(play.datagram);
        }
        return answer;
      }
      throw new Error(`no answer to CONNECTED in ${(JOIN_TRIES * ANSWER_TIMEOUT_MS) / 1000} s`);
    },
    frame: (input, now) => play.frame(input, now, send),
    close: () => socket.close(),
  };
}

/**
 * What step 08's client pads a CONNECT to: the server answers no more bytes than it
 * received. The handshake experiment pads its CONNECTs to it too.
 */
export const CONNECT_BYTES = 100;

/**
 * Step 08 on: one socket, every message to the server's one port, and a join
 * by handshake: CONNECT, the server's CHALLENGE, CONNECT with its cookie.
 */
export function oneSocket<Message extends InputMessage | TickedInputs>(
  bot: BotContext,
  protocol: BotProtocol<Connect | NoInfer<Message>>,
  play: Play<Message>,
): ProtocolBot {
  const socket = botSocket(bot, () => bot.server.port);
  const send = (message: Connect | Message) => {
    const text = protocol.encodeClientMessage(message);
    socket.send(message.type === "CONNECT" ? text.padEnd(CONNECT_BYTES) : text);
  };
  return {
    async join(): Promise<JoinAnswer> {
      await socket.open();
      let cookie: string | undefined;
      for (let tries = 0; tries < JOIN_TRIES; tries++) {
        send({ type: "CONNECT", username: bot.name, cookie });
        const datagram = await socket.next();
        if (!datagram) continue;
        const message = protocol.expectServerMessage(textOf(datagram));
        if (message.type === "CHALLENGE") {
          cookie = message.cookie;
          continue;
        }
        const answer = joinAnswerOf(message);
        if (answer.seated) socket.play(play.datagram);
        return answer;
      }
      throw new Error(`no answer to CONNECT in ${(JOIN_TRIES * ANSWER_TIMEOUT_MS) / 1000} s`);
    },
    frame: (input, now) => play.frame(input, now, send),
    close: () => socket.close(),
  };
}

/**
 * Step 04: a request each frame, answered with the state;
 * the next waits for the answer, or half a second.
 */
export function requestAndAnswer(bot: BotContext): Play<InputMessage> {
  let askedAt: number | undefined;
  return {
    frame(input, now, send) {
      if (askedAt !== undefined) {
        if (now - askedAt < ANSWER_TIMEOUT_MS) return false;
        bot.meter.lost(); // no answer in time: the client asks again, and that state never comes
      }
      send({ type: "INPUT", username: bot.name, input });
      askedAt = now;
      return true;
    },
    datagram(datagram) {
      askedAt = undefined;
      if (messageType(datagram) === "STATE") bot.meter.state();
    },
  };
}

/** Step 05: the held input every frame, without waiting; the states come at the server's tick. */
export function inputEveryFrame(bot: BotContext): Play<InputMessage> {
  return {
    frame(input, _now, send) {
      send({ type: "INPUT", username: bot.name, input });
      return true;
    },
    datagram(datagram) {
      // every state of steps 05 on has its tick: a datagram without one is not a state
      const tick = tickOf(datagram);
      if (tick !== undefined) bot.meter.state(tick);
    },
  };
}

/**
 * Step 06's rule for when to send: a changed input gets a sequence number and
 * goes every frame until a state acks it, and with nothing new to say an input
 * still goes every `heartbeatMs`, so the server knows the bot is there.
 */
function changedInputs(heartbeatMs: number) {
  let input: Input = "NONE";
  let sequence = 0;
  let acknowledged = 0;
  let lastSentAt = -Infinity;
  return {
    /** The input to send in this frame, with its sequence number, or undefined: nothing to send. */
    toSend(next: Input, now: number): { input: Input; seq: number } | undefined {
      if (next !== input) {
        input = next;
        sequence++;
      }
      if (acknowledged >= sequence && now - lastSentAt < heartbeatMs) return undefined;
      lastSentAt = now;
      return { input, seq: sequence };
    },
    acknowledge(ack: number | undefined): void {
      acknowledged = ack ?? acknowledged;
    },
  };
}

/** Steps 06 and 07: only the input's changes, repeated until acknowledged. */
export function inputChanges(bot: BotContext): Play<InputMessage & { seq: number }> {
  const inputs = changedInputs(HEARTBEAT_MS);
  return {
    frame(next, now, send) {
      const change = inputs.toSend(next, now);
      if (change) send({ type: "INPUT", username: bot.name, ...change });
      return true;
    },
    datagram(datagram) {
      const tick = tickOf(datagram);
      if (tick === undefined) return; // not a state: every state of steps 05 on has its tick
      // a state older than the newest came late or twice: its ack is older too
      if (bot.meter.state(tick)) inputs.acknowledge(ackOf(datagram, bot.name));
    },
  };
}

/**
 * Step 10: step 06's input changes, and states that come as deltas. The bot
 * applies each DELTA to the state it names (held-deltas.ts), as the real client
 * does, and every input, at least 5 a second, says the newest tick it holds.
 */
export function inputChangesHoldingStates(
  bot: BotContext,
  states: HeldStates,
): Play<InputMessage & { seq: number }> {
  const inputs = changedInputs(HELD_HEARTBEAT_MS);
  return {
    frame(next, now, send) {
      const change = inputs.toSend(next, now);
      if (change) send({ type: "INPUT", username: bot.name, ...change, held: states.newestTick });
      return true;
    },
    datagram(datagram) {
      const tick = states.read(datagram);
      if (tick !== undefined && bot.meter.state(tick)) inputs.acknowledge(states.ack);
    },
  };
}

/**
 * Ticks ahead of the newest state a step 11 bot aims its inputs: on loopback a state and an
 * input each take well under a tick, and a real client's clock (lib/input-clock.ts) settles 1 or
 * 2 ticks ahead of the state it holds, so the bench needs no clock of its own. Between states
 * the bot is 1 to 3 ticks ahead, and a change goes in 1 to 3 datagrams (a real client's on
 * loopback, settled at early=0, in 1 or 2).
 */
const BENCH_LEAD_TICKS = 2;

/**
 * Steps 11 on: the input for a tick just ahead of the newest state's, with the ones
 * before it, every frame or every other one as the client sends them (lib/input-buffer.ts);
 * states come as deltas, as in step 10, with no acks.
 */
export function inputsForTicks(bot: BotContext, states: HeldStates): Play<TickedInputs> {
  const recent = new RecentInputs();
  let tick = 0;
  return {
    frame(input, _now, send) {
      const held = states.newestTick;
      if (held === undefined) return true;
      // A real client makes a frame for each tick it measures the server take (lib/tick-clock.ts),
      // so while the server's ticks run late its frames do too; the bot skips a frame instead.
      // Without it, at 2,000 players its inputs ran ever further ahead, sent with ever more copies,
      // and the system dropped them by the ten thousand, the server's queue full.
      if (tick > held + BENCH_LEAD_TICKS) return true;
      // One tick a frame, as a client's inputs go: a gap would make RecentInputs forget the copies.
      // Only where that tick's state is already held (the first frame: servers start at tick 1; or
      // a bot whose frames came late) does it jump, BENCH_LEAD_TICKS ahead.
      tick = tick + 1 > held ? tick + 1 : held + BENCH_LEAD_TICKS;
      recent.add(tick, input);
      // Aimed `tick - held` ahead of the state it holds, an input arrives about that many ticks
      // early: so many copies of a change can come in time (lib/input-clock.ts).
      if (recent.due(tick - held)) {
        send({ type: "INPUT", username: bot.name, held, seen: held, inputs: recent.latest });
      }
      return true;
    },
    datagram(datagram) {
      const tick = states.read(datagram);
      if (tick !== undefined) bot.meter.state(tick);
    },
  };
}
