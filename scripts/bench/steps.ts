/**
 * Every step the bench measures, in one table: how a crowd bot speaks its
 * protocol, what its probes' ping means, and how its server is started.
 *
 * To bench a new step, write its adapter (a BotAdapter, see crowd.ts: join,
 * frame, close) next to the others, or put one together from the halves of
 * bots-udp.ts (a join, a play), and add a row here.
 */
import { connectionPerMessage, persistentConnection } from "./bots-tcp.ts";
import {
  dedicatedPort,
  inputChanges,
  inputChangesHoldingStates,
  inputEveryFrame,
  inputsForTicks,
  oneSocket,
  requestAndAnswer,
} from "./bots-udp.ts";
import type { MapName } from "../../lib/map.ts";
import { type BotAdapter, FRAME_RATE } from "./crowd.ts";
import { BinaryDeltas, TextDeltas } from "./held-deltas.ts";
import { type Parsed, ok } from "../../lib/words.ts";
// Each bot speaks its step's protocol through that step's own protocol.ts.
import * as step02 from "../../steps/02-tcp-squares/protocol.ts";
import * as step03 from "../../steps/03-tcp-persistent/protocol.ts";
import * as step04 from "../../steps/04-udp-dedicated-ports/protocol.ts";
import * as step05 from "../../steps/05-tick-broadcast/protocol.ts";
import * as step06 from "../../steps/06-input-changes/protocol.ts";
import * as step07 from "../../steps/07-client-prediction/protocol.ts";
import * as step08 from "../../steps/08-one-socket-handshake/protocol.ts";
import * as step09 from "../../steps/09-lantern-interest/protocol.ts";
import * as step10 from "../../steps/10-delta-snapshots/protocol.ts";
import * as step11 from "../../steps/11-input-buffer/protocol.ts";
import * as step12 from "../../steps/12-lag-compensation/protocol.ts";
import * as step13 from "../../steps/13-bits-on-the-wire/protocol.ts";

/**
 * What a probe's ping measures: the time from a request to its answer (steps 02
 * to 04, which answer every message), or from an input to the first state that
 * shows it (05 on, which include the wait for the server's next tick).
 */
export type Latency = "round trip" | "input to state shown";

interface BenchedStep {
  adapter: BotAdapter;
  /** the map its server plays on unless --map names another */
  map: MapName;
  /**
   * on a datagram step, a message larger than 1,200 bytes is a problem; on a stream step it is not
   */
  transport: "tcp" | "udp";
  latency: Latency;
  /**
   * The server's options for a game of `players`, besides --host, --port and (steps 04 to 07,
   * see lib/port-pool.ts) --ports, which run.ts gives: a free range of dedicated ports.
   */
  serverArgs(game: { players: number }): string[];
}

/**
 * Step 13's protocol as the bots carry every step's: in strings of one character a byte (latin1,
 * as bots-udp.ts reads and sends them), since its datagrams are bytes, not text. Each bot keeps
 * the cells of the states it holds, as the client does: a DELTA's steps are read against them.
 */
export function binaryStep13() {
  const bases = new step13.Bases();
  const parseServerMessage = (line: string): Parsed<step13.ServerMessage> => {
    const parsed = step13.parseServerMessage(Buffer.from(line, "latin1"));
    if (!parsed.ok) return parsed;
    const { message } = parsed;
    if (message.type !== "DELTA") return ok(message);
    const delta = bases.resolve(message.delta);
    if (!delta.ok) return delta;
    bases.keep(delta.message);
    return ok({ ...message, delta: delta.message });
  };
  return {
    encodeClientMessage: (message: Parameters<typeof step13.encodeClientMessage>[0]) =>
      step13.encodeClientMessage(message).toString("latin1"),
    parseServerMessage,
    expectServerMessage(line: string) {
      const parsed = parseServerMessage(line);
      if (!parsed.ok)
        throw new Error(`the server sent something a bot cannot read (${parsed.reason})`);
      return parsed.message;
    },
  };
}

/** States a second the servers send at (--tick-rate), the same as the bots' frame rate. */
export const TICK_RATE = FRAME_RATE;

/** The TCP servers must hold every player's connection, and the probes'. */
const tcpServer = ({ players }: { players: number }) => ["--max-connections", String(players + 8)];
const tickServer = () => ["--tick-rate", String(TICK_RATE)];

export const BENCHED_STEPS: Record<string, BenchedStep> = {
  "02": {
    adapter: (bot) => connectionPerMessage(bot, step02),
    map: "house",
    transport: "tcp",
    latency: "round trip",
    serverArgs: tcpServer,
  },
  "03": {
    adapter: (bot) => persistentConnection(bot, step03),
    map: "house",
    transport: "tcp",
    latency: "round trip",
    serverArgs: tcpServer,
  },
  "04": {
    adapter: (bot) => dedicatedPort(bot, step04, requestAndAnswer(bot)),
    map: "house",
    transport: "udp",
    latency: "round trip",
    serverArgs: () => [],
  },
  "05": {
    adapter: (bot) => dedicatedPort(bot, step05, inputEveryFrame(bot)),
    map: "house",
    transport: "udp",
    latency: "input to state shown",
    serverArgs: tickServer,
  },
  "06": {
    adapter: (bot) => dedicatedPort(bot, step06, inputChanges(bot)),
    map: "house",
    transport: "udp",
    latency: "input to state shown",
    serverArgs: tickServer,
  },
  "07": {
    adapter: (bot) => dedicatedPort(bot, step07, inputChanges(bot)),
    map: "house",
    transport: "udp",
    latency: "input to state shown",
    serverArgs: tickServer,
  },
  "08": {
    adapter: (bot) => oneSocket(bot, step08, inputChanges(bot)),
    map: "house",
    transport: "udp",
    latency: "input to state shown",
    serverArgs: tickServer,
  },
  "09": {
    adapter: (bot) => oneSocket(bot, step09, inputChanges(bot)),
    map: "mansion",
    transport: "udp",
    latency: "input to state shown",
    serverArgs: tickServer,
  },
  "10": {
    adapter: (bot) =>
      oneSocket(bot, step10, inputChangesHoldingStates(bot, new TextDeltas(bot.name, true))),
    map: "mansion",
    transport: "udp",
    latency: "input to state shown",
    serverArgs: tickServer,
  },
  "11": {
    adapter: (bot) => oneSocket(bot, step11, inputsForTicks(bot, new TextDeltas(bot.name, false))),
    map: "mansion",
    transport: "udp",
    latency: "input to state shown",
    serverArgs: tickServer,
  },
  "12": {
    adapter: (bot) => oneSocket(bot, step12, inputsForTicks(bot, new TextDeltas(bot.name, false))),
    map: "mansion",
    transport: "udp",
    latency: "input to state shown",
    serverArgs: tickServer,
  },
  "13": {
    adapter: (bot) => {
      const protocol = binaryStep13();
      return oneSocket(bot, protocol, inputsForTicks(bot, new BinaryDeltas(bot.name, protocol)));
    },
    map: "mansion",
    transport: "udp",
    latency: "input to state shown",
    serverArgs: tickServer,
  },
};
