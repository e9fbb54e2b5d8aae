/**
 * A simulated network for UDP. Loopback never loses, delays or reorders a
 * datagram, so the problems a UDP game must survive stay invisible on one
 * machine. Every UDP server and client sends through this module so that
 * `--lag`, `--jitter` and `--loss` make those problems visible, repeatably.
 */
import type { Socket } from "node:dgram";
import { type OptionSpecs, type OptionValues, numberOption } from "./args.ts";
import { seededRandom } from "./random.ts";

export interface NetworkConditions {
  /** One-way delay added to every datagram. */
  lagMs: number;
  /** Each datagram waits lagMs plus a random [0, jitterMs], so later datagrams can overtake earlier ones. */
  jitterMs: number;
  /** 0..100: chance that a datagram is silently dropped. */
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

export interface SimulatedSender {
  send(message: string | Uint8Array, port: number, address: string): void;
  /** sent = datagrams handed to the socket; failed = those the system then refused to send (counted, never thrown). */
  readonly counts: { sent: number; dropped: number; duplicated: number; failed: number };
  /** Resolves once every datagram sent so far has left the socket, so closing the socket then loses none. */
  drain(): Promise<void>;
  /** Cancels every datagram still in flight, so nothing is sent on a closed socket. */
  close(): void;
}

export function simulateNetwork(
  socket: Socket,
  conditions: NetworkConditions,
  seed = 1,
): SimulatedSender {
  const random = seededRandom(seed);
  const counts = { sent: 0, dropped: 0, duplicated: 0, failed: 0 };
  // The timers are deliberately not unref()'d: a client waiting for a delayed
  // reply must not exit early. close() clears them, so shutdown is never held up.
  const inFlight = new Set<NodeJS.Timeout>();
  // A datagram handed to the socket is only on its way once the socket calls back.
  let leaving = 0;
  const drained: (() => void)[] = [];
  const settle = () => {
    if (inFlight.size === 0 && leaving === 0) drained.splice(0).forEach((resolve) => resolve());
  };

  function transmit(message: string | Uint8Array, port: number, address: string): void {
    try {
      // With a callback, a datagram the system cannot send (too big, no route) is an error
      // for this datagram only; without one it would be an 'error' event on the whole socket.
      socket.send(message, port, address, (error) => {
        if (error) counts.failed++;
        leaving--;
        settle();
      });
      leaving++;
      counts.sent++;
    } catch (error) {
      // The socket closed while this datagram was "in flight": the game ended,
      // and on a real network that datagram would simply be lost too.
      if ((error as NodeJS.ErrnoException).code !== "ERR_SOCKET_DGRAM_NOT_RUNNING") throw error;
    }
  }

  function deliver(message: string | Uint8Array, port: number, address: string): void {
    const delayMs = conditions.lagMs + random() * conditions.jitterMs;
    // A perfect network sends right away, so the simulator costs nothing when off.
    if (delayMs === 0) return transmit(message, port, address);
    const timer = setTimeout(() => {
      inFlight.delete(timer);
      transmit(message, port, address);
      settle();
    }, delayMs);
    inFlight.add(timer);
  }

  return {
    counts,
    send(message, port, address) {
      if (random() * 100 < conditions.lossPercent) {
        counts.dropped++;
        return;
      }
      // A real network copies the bytes when they leave; copying here means a
      // caller that reuses its buffer cannot change a datagram already "on the wire".
      const bytes = typeof message === "string" ? message : new Uint8Array(message);
      deliver(bytes, port, address);
      if (random() * 100 < conditions.duplicatePercent) {
        counts.duplicated++;
        deliver(bytes, port, address);
      }
    },
    drain() {
      return new Promise((resolve) => {
        drained.push(resolve);
        settle();
      });
    },
    close() {
      for (const timer of inFlight) clearTimeout(timer);
      inFlight.clear();
      settle();
    },
  };
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

/** The options of every UDP server and client: the network they send on, made worse on purpose. */
export const NETWORK_OPTIONS = {
  lag: {
    type: "string",
    default: "0",
    placeholder: "MS",
    description: "simulated one-way delay of every datagram this program sends",
  },
  jitter: {
    type: "string",
    default: "0",
    placeholder: "MS",
    description: "simulated random extra delay, up to this much (reorders datagrams)",
  },
  loss: {
    type: "string",
    default: "0",
    placeholder: "PERCENT",
    description: "simulated share of datagrams lost on the way",
  },
  duplicate: {
    type: "string",
    default: "0",
    placeholder: "PERCENT",
    description: "simulated share of datagrams delivered twice",
  },
} satisfies OptionSpecs;

export function networkConditions(values: OptionValues<typeof NETWORK_OPTIONS>): NetworkConditions {
  return {
    lagMs: numberOption(values.lag, "--lag", { max: 10_000 }),
    jitterMs: numberOption(values.jitter, "--jitter", { max: 10_000 }),
    lossPercent: numberOption(values.loss, "--loss", { max: 100 }),
    duplicatePercent: numberOption(values.duplicate, "--duplicate", { max: 100 }),
  };
}
