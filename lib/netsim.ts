/**
 * A simulated network. Loopback never loses, delays or reorders anything, so the problems an
 * online game must survive stay invisible on one machine. Every server and client sends through
 * this module so that `--lag`, `--jitter` and `--loss` make those problems visible, repeatably:
 * simulateNetwork for UDP datagrams, simulateStream for a TCP connection. With a Trace (see
 * lib/trace.ts), both also write a line for every message sent, saying what happened to it,
 * and for every message received.
 */
import type { Socket as UdpSocket } from "node:dgram";
import type { Socket as TcpSocket } from "node:net";
import { type OptionSpecs, type OptionValues, numberOption } from "./args.ts";
import { seededRandom } from "./random.ts";
import { byteLength, type Message, type Peer, peerOf, type Trace, traceReads } from "./trace.ts";

export interface NetworkConditions {
  /** One-way delay added to every datagram (or write, on TCP). */
  lagMs: number;
  /**
   * Each datagram waits lagMs plus a random [0, jitterMs],
   * so later datagrams can overtake earlier ones.
   */
  jitterMs: number;
  /** 0..100: chance that a datagram is silently dropped (on TCP: that a write is sent again). */
  lossPercent: number;
  /** 0..100: chance that a datagram is delivered twice (each copy with its own delay). */
  duplicatePercent: number;
}

export const PERFECT_NETWORK: NetworkConditions = {
  lagMs: 0,
  jitterMs: 0,
  lossPercent: 0,
  duplicatePercent: 0,
};

export interface SimulationOptions {
  /** The same seed gives the same fates to the same sequence of messages: a run can be repeated. */
  seed?: number;
  trace?: Trace | undefined;
  /** told of every datagram (UDP only) exactly where the trace is: the --net view counts them */
  watch?: DatagramWatch | undefined;
}

/** What the --net view (lib/net-view.ts) needs of the traffic: the trace's lines, counted. */
export interface DatagramWatch {
  /** one call for every line the trace writes with → (a datagram lost or duplicated included) */
  sent(message: Message): void;
  /** one call for every line the trace writes with ← */
  received(message: Message): void;
}

/**
 * A network holding a message back must keep its own copy of the bytes: a real network copies
 * them when they leave, so a caller that reuses its buffer cannot change a message already "on
 * the wire". A message sent at once needs no copy, and a server that sends the same state to
 * every player must not pay for one copy per player. (A string cannot change: it is never copied.)
 */
function heldCopy(message: Message): Message {
  return typeof message === "string" ? message : new Uint8Array(message);
}

const errorCode = (error: unknown) =>
  error instanceof Error && "code" in error ? error.code : undefined;

// ---------------------------------------------------------------------------------------------
// UDP

export interface SimulatedSender {
  /** Sends on a connected socket (`socket.connect(port, host)`): to the one peer it talks to. */
  send(message: Message): void;
  /** Sends on an unconnected socket: to whoever is at `address:port`. */
  send(message: Message, port: number, address: string): void;
  /** sent = datagrams handed to the socket (one the system refuses to send, too big, is lost there) */
  readonly counts: { sent: number; dropped: number; duplicated: number };
  /**
   * Resolves once every datagram sent so far has been handed to
   * the socket, so closing the socket then loses none.
   */
  drain(): Promise<void>;
  /** Cancels every datagram still in flight, so nothing is sent on a closed socket. */
  close(): void;
}

/**
 * Sends every datagram through a network made worse on purpose. With a trace, every datagram
 * sent is traced with its fate and every datagram the socket receives is traced too.
 */
export function simulateNetwork(
  socket: UdpSocket,
  conditions: NetworkConditions,
  { seed = 1, trace, watch }: SimulationOptions = {},
): SimulatedSender {
  const random = seededRandom(seed);
  const counts = { sent: 0, dropped: 0, duplicated: 0 };
  // The timers are deliberately not unref()'d: a client waiting for a delayed
  // reply must not exit early. close() clears them, so shutdown is never held up.
  const inFlight = new Set<NodeJS.Timeout>();
  const drained: (() => void)[] = [];
  const settle = () => {
    if (inFlight.size === 0) drained.splice(0).forEach((resolve) => resolve());
  };
  // First among the listeners: a message's trace line comes before what the program does with it.
  if (trace) socket.prependListener("message", (message, from) => trace.received(from, message));
  if (watch) socket.prependListener("message", (message) => watch.received(message));

  /**
   * Without `port` and `address`, on a connected socket: the kernel knows where its datagrams go.
   *
   * Sent without a callback, as the bench's floor sends: with one, node calls it back through a
   * process.nextTick for every datagram, 5 % of step 10's server at 1,000 players, and the floor
   * paid none. A datagram the system refuses (too big) is then lost without a word, as on a network.
   */
  function transmit(message: Message, port?: number, address?: string): void {
    if (port === undefined || address === undefined) socket.send(message);
    else socket.send(message, port, address);
    counts.sent++;
  }

  /** Where a datagram goes: for its trace, and to check a connected socket still points there. */
  const destination = (to: Peer | undefined): Peer => to ?? socket.remoteAddress();

  function deliver(message: Message, to: Peer | undefined, duplicate: boolean): void {
    const delayMs = conditions.lagMs + random() * conditions.jitterMs;
    // A perfect network sends at once, the caller's own bytes: then the simulator costs nothing.
    if (delayMs === 0) {
      transmit(message, to?.port, to?.address);
      trace?.sent(destination(to), message, duplicate ? "duplicated" : "");
      watch?.sent(message);
      return;
    }
    const held = heldCopy(message);
    // On a connected socket, asking where it points also fails here, at once, if it points nowhere.
    const peer = destination(to);
    const timer = setTimeout(() => {
      inFlight.delete(timer);
      try {
        // A connected socket pointed at another peer meanwhile: this datagram was for the old one.
        if (to || sameAddress(socket.remoteAddress(), peer)) transmit(held, to?.port, to?.address);
      } catch (error) {
        // The socket closed (or was disconnected) while this datagram was "in flight":
        // the game ended, and on a real network that datagram would simply be lost too.
        const code = errorCode(error);
        if (code !== "ERR_SOCKET_DGRAM_NOT_RUNNING" && code !== "ERR_SOCKET_DGRAM_NOT_CONNECTED")
          throw error;
      }
      settle();
    }, delayMs);
    inFlight.add(timer);
    const delayed = `delayed ${Math.round(delayMs)} ms`;
    trace?.sent(peer, message, duplicate ? `duplicated, ${delayed}` : delayed);
    watch?.sent(message);
  }

  function send(message: Message, port?: number, address?: string): void {
    // Nothing to simulate, trace or watch: straight to the socket, with no fate to draw and no
    // object made (the simulator's path was 3 % of step 10's server at 1,000 players).
    if (!trace && !watch && isPerfect(conditions)) return transmit(message, port, address);
    const to = port === undefined || address === undefined ? undefined : { port, address };
    if (random() * 100 < conditions.lossPercent) {
      counts.dropped++;
      trace?.sent(destination(to), message, "dropped");
      watch?.sent(message);
      return;
    }
    deliver(message, to, false);
    if (random() * 100 < conditions.duplicatePercent) {
      counts.duplicated++;
      deliver(message, to, true);
    }
  }

  return {
    counts,
    send,
    drain() {
      // Then one turn of the event loop: a datagram sent to an address leaves the socket in a
      // process.nextTick (node looks the address up first), which a close made sooner would cancel.
      return new Promise<void>((resolve) => {
        drained.push(resolve);
        settle();
      }).then(() => new Promise((resolve) => setImmediate(resolve)));
    },
    close() {
      for (const timer of inFlight) clearTimeout(timer);
      inFlight.clear();
      settle();
    },
  };
}

const isPerfect = ({ lagMs, jitterMs, lossPercent, duplicatePercent }: NetworkConditions) =>
  lagMs === 0 && jitterMs === 0 && lossPercent === 0 && duplicatePercent === 0;

function sameAddress(a: Peer, b: Peer): boolean {
  return a.address === b.address && a.port === b.port;
}

// ---------------------------------------------------------------------------------------------
// TCP

/**
 * Linux's minimum retransmission timeout (TCP_RTO_MIN): the least time TCP waits for the
 * acknowledgement of a segment before it sends that segment again.
 */
export const RETRANSMISSION_TIMEOUT_MS = 200;

export interface SimulatedStream {
  /** Like socket.write: the bytes arrive after the simulated delay, and in the order written. */
  write(bytes: Message): void;
  /** Like socket.end: the connection ends after every byte written before it, and these. */
  end(bytes?: Message): void;
  /** true once end() was called: what is written after it is discarded. */
  readonly ended: boolean;
  /**
   * Bytes written and not sent yet: held back here, or waiting in the socket. A peer that does
   * not read makes this grow, so a server bounds it (and drops a connection that passes it).
   */
  readonly unsentBytes: number;
}

/**
 * What TCP does on a bad network, for a program that cannot drop TCP segments itself. Each
 * write is one segment: it waits lagMs plus a random [0, jitterMs], and a "lost" one waits one
 * retransmission timeout more, as TCP sends it again. TCP delivers in order, so no write ever
 * overtakes an earlier one: every byte written after a lost segment waits behind it (head-of-line
 * blocking). Duplicates are never seen on TCP (the receiver discards them), so duplicatePercent
 * has no effect here. With a trace, every write is traced with its fate and every piece of the
 * stream the program reads is traced too.
 */
export function simulateStream(
  socket: TcpSocket,
  conditions: NetworkConditions,
  { seed = 1, trace }: SimulationOptions = {},
): SimulatedStream {
  const random = seededRandom(seed);
  /** Writes held back, oldest first; their times to leave never decrease, which keeps the order. */
  const held: { bytes: Message; size: number; leavesAt: number }[] = [];
  let heldBytes = 0;
  /** When the latest write leaves, and whether a lost segment is what holds it back. */
  let lastLeavesAt = 0;
  let lastHeldByLoss = false;
  let ended = false;
  // Not unref()'d, like the UDP timers: a program must not exit with bytes still to send.
  let timer: NodeJS.Timeout | undefined;

  if (trace) traceReads(socket, trace);
  // A client's socket knows its peer only once connected: a write made before is traced then.
  const traceSent =
    trace &&
    ((bytes: Message, fate: string) => {
      if (!socket.connecting) return trace.sent(peerOf(socket), bytes, fate);
      const copy = heldCopy(bytes);
      socket.once("connect", () => trace.sent(peerOf(socket), copy, fate));
    });

  // Once the connection is gone, what was still held back will never be sent.
  socket.once("close", () => {
    clearTimeout(timer);
    held.length = 0;
    heldBytes = 0;
  });

  /** The connection is closed, or this program ended it: nothing more can be sent on it. */
  const closed = () => socket.destroyed || socket.writableEnded;

  function sendDue(): void {
    timer = undefined;
    if (closed()) return;
    const now = performance.now();
    while (held.length > 0 && held[0]!.leavesAt <= now) {
      const { bytes, size } = held.shift()!;
      heldBytes -= size;
      socket.write(bytes);
    }
    if (held.length > 0) timer = setTimeout(sendDue, held[0]!.leavesAt - now);
    else if (ended) socket.end();
  }

  function write(bytes: Message): void {
    // A closed connection: the bytes go nowhere, as with socket.write (minus its error event).
    if (ended || closed()) return;
    const now = performance.now();
    const delayMs = conditions.lagMs + random() * conditions.jitterMs;
    const lost = random() * 100 < conditions.lossPercent;
    const ownDelayMs = delayMs + (lost ? RETRANSMISSION_TIMEOUT_MS : 0);
    // TCP delivers in order: a write never leaves before the one written before it.
    const leavesAt = Math.max(now + ownDelayMs, lastLeavesAt);
    const behindALoss = leavesAt > now + ownDelayMs && lastHeldByLoss;
    lastLeavesAt = leavesAt;
    lastHeldByLoss = lost || behindALoss;

    if (held.length === 0 && leavesAt <= now) {
      socket.write(bytes);
      traceSent?.(bytes, "");
      return;
    }
    const size = byteLength(bytes);
    held.push({ bytes: heldCopy(bytes), size, leavesAt });
    heldBytes += size;
    timer ??= setTimeout(sendDue, leavesAt - now);
    traceSent?.(bytes, heldWriteFate(leavesAt - now, ownDelayMs, lost, behindALoss));
  }

  return {
    write,
    end(bytes) {
      if (bytes !== undefined) write(bytes);
      if (ended || closed()) return;
      ended = true;
      if (held.length === 0) socket.end();
    },
    get ended() {
      return ended;
    },
    get unsentBytes() {
      return heldBytes + socket.writableLength;
    },
  };
}

/** What the trace says of a held-back write: "delayed 212 ms (lost, sent again after 200 ms)". */
function heldWriteFate(
  delayMs: number,
  ownDelayMs: number,
  lost: boolean,
  behindALoss: boolean,
): string {
  const reasons = [];
  if (lost) reasons.push(`lost, sent again after ${RETRANSMISSION_TIMEOUT_MS} ms`);
  // compared as the trace rounds them: a wait of less than a millisecond is not worth a word
  if (Math.round(delayMs) > Math.round(ownDelayMs))
    reasons.push(`waits behind ${behindALoss ? "a lost" : "an earlier"} segment`);
  const delayed = `delayed ${Math.round(delayMs)} ms`;
  return reasons.length === 0 ? delayed : `${delayed} (${reasons.join(", ")})`;
}

export function describeConditions(conditions: NetworkConditions): string {
  const parts = [
    conditions.lagMs > 0 ? `lag ${conditions.lagMs}ms` : "",
    conditions.jitterMs > 0 ? `jitter ${conditions.jitterMs}ms` : "",
    conditions.lossPercent > 0 ? `loss ${conditions.lossPercent}%` : "",
    conditions.duplicatePercent > 0 ? `duplicate ${conditions.duplicatePercent}%` : "",
  ].filter((part) => part !== "");
  return parts.length > 0 ? parts.join(" ") : "perfect network";
}

/** The options of every TCP server and client: its network, made worse on purpose. */
export const STREAM_NETWORK_OPTIONS = {
  lag: {
    type: "string",
    default: "0",
    placeholder: "MS",
    description: "simulated one-way delay of everything this program sends",
  },
  jitter: {
    type: "string",
    default: "0",
    placeholder: "MS",
    description: "simulated random extra delay, up to this much",
  },
  loss: {
    type: "string",
    default: "0",
    placeholder: "PERCENT",
    description: "simulated share of what this program sends that is lost on the way",
  },
} satisfies OptionSpecs;

/** The options of every UDP server and client: the TCP ones, and datagrams that come twice. */
export const NETWORK_OPTIONS = {
  ...STREAM_NETWORK_OPTIONS,
  duplicate: {
    type: "string",
    default: "0",
    placeholder: "PERCENT",
    description: "simulated share of datagrams delivered twice",
  },
} satisfies OptionSpecs;

export function networkConditions(
  values: OptionValues<typeof STREAM_NETWORK_OPTIONS> & { duplicate?: string },
): NetworkConditions {
  return {
    lagMs: numberOption(values.lag, "--lag", { max: 10_000 }),
    jitterMs: numberOption(values.jitter, "--jitter", { max: 10_000 }),
    lossPercent: numberOption(values.loss, "--loss", { max: 100 }),
    duplicatePercent: numberOption(values.duplicate ?? "0", "--duplicate", { max: 100 }),
  };
}
