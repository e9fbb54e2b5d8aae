import { createSocket, type Socket } from "node:dgram";
import { performance } from "node:perf_hooks";
import { setImmediate as nextLoopTurn, setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it } from "vitest";
import {
  describeConditions,
  PERFECT_NETWORK,
  simulateNetwork,
  type SimulatedSender,
} from "../lib/netsim.ts";

const openSockets: Socket[] = [];

afterEach(() => {
  for (const socket of openSockets.splice(0)) socket.close();
});

/** A real UDP receiver on loopback that records every datagram and when it arrived. */
async function listen() {
  const socket = createSocket("udp4");
  openSockets.push(socket);
  const received: { text: string; at: number }[] = [];
  socket.on("message", (message) =>
    received.push({ text: message.toString(), at: performance.now() }),
  );
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { port: socket.address().port, received };
}

function udpSocket(): Socket {
  const socket = createSocket("udp4");
  openSockets.push(socket);
  return socket;
}

/**
 * The kernel's receive buffer is small: a burst of thousands of datagrams
 * overflows it and adds real loss on top of the simulated loss. Letting the
 * event loop turn between small batches gives the receiver time to read.
 */
async function sendPaced(sender: SimulatedSender, count: number, port: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    sender.send(String(i), port, "127.0.0.1");
    if (i % 20 === 19) await nextLoopTurn();
  }
}

async function until(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition() && performance.now() < deadline) await sleep(5);
}

describe("simulateNetwork", () => {
  it("sends synchronously on a perfect network", async () => {
    const { port, received } = await listen();
    const sender = simulateNetwork(udpSocket(), PERFECT_NETWORK);

    sender.send("hello", port, "127.0.0.1");
    expect(sender.counts.sent).toBe(1);

    await until(() => received.length === 1);
    expect(received.map((datagram) => datagram.text)).toEqual(["hello"]);
  });

  it("delays every datagram by lagMs", async () => {
    const { port, received } = await listen();
    const sender = simulateNetwork(udpSocket(), { ...PERFECT_NETWORK, lagMs: 80 });

    const sentAt = performance.now();
    sender.send("late", port, "127.0.0.1");
    expect(sender.counts.sent).toBe(0);

    await until(() => received.length === 1);
    expect(received).toHaveLength(1);
    expect(received[0]!.at - sentAt).toBeGreaterThanOrEqual(75);
  });

  it("drops about lossPercent of the datagrams, the same ones for the same seed", async () => {
    const { port, received } = await listen();
    const lossy = { ...PERFECT_NETWORK, lossPercent: 20 };
    const sender = simulateNetwork(udpSocket(), lossy, 42);

    await sendPaced(sender, 2000, port);
    await until(() => received.length === sender.counts.sent);

    expect(received.length).toBe(sender.counts.sent);
    expect(sender.counts.dropped).toBe(2000 - received.length);
    expect(sender.counts.dropped / 2000).toBeGreaterThan(0.17);
    expect(sender.counts.dropped / 2000).toBeLessThan(0.23);

    const replay = simulateNetwork(udpSocket(), lossy, 42);
    await sendPaced(replay, 2000, port);
    expect(replay.counts.dropped).toBe(sender.counts.dropped);
  });

  it("delivers about duplicatePercent of the datagrams twice", async () => {
    const { port, received } = await listen();
    const sender = simulateNetwork(udpSocket(), { ...PERFECT_NETWORK, duplicatePercent: 50 });

    await sendPaced(sender, 400, port);
    await until(() => received.length === sender.counts.sent);

    expect(received.length).toBe(400 + sender.counts.duplicated);
    expect(received.length / 400).toBeGreaterThan(1.4);
    expect(received.length / 400).toBeLessThan(1.6);
  });

  it("reorders datagrams under jitter but loses none", async () => {
    const { port, received } = await listen();
    const sender = simulateNetwork(udpSocket(), { ...PERFECT_NETWORK, lagMs: 5, jitterMs: 40 });

    await sendPaced(sender, 200, port);
    await until(() => received.length === 200);

    const order = received.map((datagram) => Number(datagram.text));
    const inSequence = Array.from({ length: 200 }, (_, i) => i);
    expect(order).not.toEqual(inSequence);
    expect([...order].sort((a, b) => a - b)).toEqual(inSequence);
  });

  it("keeps a delayed datagram's bytes even if the caller reuses its buffer", async () => {
    const { port, received } = await listen();
    const sender = simulateNetwork(udpSocket(), { ...PERFECT_NETWORK, lagMs: 20 });

    const buffer = new TextEncoder().encode("first");
    sender.send(buffer, port, "127.0.0.1");
    buffer.set(new TextEncoder().encode("XXXXX"));

    await until(() => received.length === 1);
    expect(received.map((datagram) => datagram.text)).toEqual(["first"]);
  });

  it("close() cancels every datagram still in flight", async () => {
    const { port, received } = await listen();
    const sender = simulateNetwork(udpSocket(), { ...PERFECT_NETWORK, lagMs: 200 });

    sender.send("never", port, "127.0.0.1");
    sender.close();
    await sleep(300);

    expect(received).toEqual([]);
    expect(sender.counts.sent).toBe(0);
  });

  it("loses, without throwing, a datagram whose socket closed while it was in flight", async () => {
    const { port, received } = await listen();
    const socket = createSocket("udp4");
    const sender = simulateNetwork(socket, { ...PERFECT_NETWORK, lagMs: 20 });

    sender.send("orphan", port, "127.0.0.1");
    socket.close();
    // If the timer's send threw here, vitest would report an uncaught exception.
    await sleep(60);

    expect(received).toEqual([]);
    expect(sender.counts.sent).toBe(0);
  });
});

describe("describeConditions", () => {
  it("names a perfect network", () => {
    expect(describeConditions(PERFECT_NETWORK)).toBe("perfect network");
  });

  it("lists only the conditions that are switched on", () => {
    expect(
      describeConditions({ lagMs: 150, jitterMs: 30, lossPercent: 5, duplicatePercent: 0 }),
    ).toBe("lag 150ms jitter 30ms loss 5%");
    expect(describeConditions({ ...PERFECT_NETWORK, duplicatePercent: 10 })).toBe("duplicate 10%");
  });
});
