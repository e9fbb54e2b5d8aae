import { createSocket, type Socket } from "node:dgram";
import { once } from "node:events";
import net from "node:net";
import { performance } from "node:perf_hooks";
import { setImmediate as nextLoopTurn, setTimeout as sleep } from "node:timers/promises";
import { afterEach, describe, expect, it, vi } from "vitest";
import {
  describeConditions,
  type NetworkConditions,
  PERFECT_NETWORK,
  RETRANSMISSION_TIMEOUT_MS,
  simulateNetwork,
  simulateStream,
  type SimulatedSender,
} from "../lib/netsim.ts";
import { tracedLines, until } from "./helpers.ts";

const cleanups: (() => void)[] = [];

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A real UDP receiver on loopback that records every datagram and when it arrived. */
async function listen() {
  const socket = udpSocket();
  const received: { text: string; at: number }[] = [];
  socket.on("message", (message) =>
    received.push({ text: message.toString(), at: performance.now() }),
  );
  await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
  return { socket, port: socket.address().port, received };
}

function udpSocket(): Socket {
  const socket = createSocket("udp4");
  cleanups.push(() => socket.close());
  return socket;
}

/** A UDP socket connected to 127.0.0.1:port, as the clients use: it talks to that peer only. */
async function connectedSocket(port: number): Promise<Socket> {
  const socket = udpSocket();
  socket.connect(port, "127.0.0.1");
  await once(socket, "connect");
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

describe("simulateNetwork", () => {
  it("sends synchronously on a perfect network", async () => {
    const { port, received } = await listen();
    const sender = simulateNetwork(udpSocket(), PERFECT_NETWORK);

    sender.send("hello", port, "127.0.0.1");
    expect(sender.counts.sent).toBe(1);

    await until(() => received.length === 1);
    expect(received.map((datagram) => datagram.text)).toEqual(["hello"]);
  });

  it("loses nothing sent before drain() when the socket closes right after it, perfect network or not", async () => {
    const { port, received } = await listen();
    for (const conditions of [PERFECT_NETWORK, { ...PERFECT_NETWORK, lagMs: 20 }]) {
      const socket = createSocket("udp4");
      await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
      const sender = simulateNetwork(socket, conditions);

      sender.send(`goodbye after ${conditions.lagMs} ms`, port, "127.0.0.1");
      await sender.drain();
      await new Promise<void>((resolve) => socket.close(resolve));
    }

    await until(() => received.length === 2);
    expect(received.map((datagram) => datagram.text)).toEqual([
      "goodbye after 0 ms",
      "goodbye after 20 ms",
    ]);
  });

  it("hands the caller's own buffer to the socket on a perfect network: no copy per send", async () => {
    const { port, received } = await listen();
    const socket = udpSocket();
    const socketSend = vi.spyOn(socket, "send");
    const sender = simulateNetwork(socket, PERFECT_NETWORK);

    const state = Buffer.from("STATE tick=1 alice,1,1 END");
    sender.send(state, port, "127.0.0.1");
    sender.send(state, port, "127.0.0.1");

    expect(socketSend.mock.calls.map((call) => call[0])).toEqual([state, state]);
    expect(socketSend.mock.calls.every((call) => call[0] === state)).toBe(true);
    await until(() => received.length === 2);
    expect(received.map((datagram) => datagram.text)).toEqual([
      "STATE tick=1 alice,1,1 END",
      "STATE tick=1 alice,1,1 END",
    ]);
  });

  it("tells a watch (the --net view) of every datagram on a perfect network too", async () => {
    const { port } = await listen();
    const watched: string[] = [];
    const watch = {
      sent: (message: string | Buffer) => watched.push(String(message)),
      received() {},
    };
    const sender = simulateNetwork(udpSocket(), PERFECT_NETWORK, { watch });

    sender.send("INPUT alice UP 1", port, "127.0.0.1");
    sender.send("INPUT alice UP 1", port, "127.0.0.1");

    expect(watched).toEqual(["INPUT alice UP 1", "INPUT alice UP 1"]);
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

  it("sends without an address on a connected socket, at once or delayed", async () => {
    const { port, received } = await listen();
    const socket = await connectedSocket(port);
    const perfect = simulateNetwork(socket, PERFECT_NETWORK);
    const laggy = simulateNetwork(socket, { ...PERFECT_NETWORK, lagMs: 20 });

    perfect.send("now");
    laggy.send("later");

    await until(() => received.length === 2);
    expect(received.map((datagram) => datagram.text)).toEqual(["now", "later"]);
  });

  it("loses a delayed datagram whose connected socket was pointed at another peer meanwhile", async () => {
    const first = await listen();
    const second = await listen();
    const socket = await connectedSocket(first.port);
    const sender = simulateNetwork(socket, { ...PERFECT_NETWORK, lagMs: 30 });

    sender.send("for the first");
    socket.disconnect();
    socket.connect(second.port, "127.0.0.1");
    await once(socket, "connect");
    await sender.drain();
    await sleep(20);

    expect(first.received).toEqual([]);
    expect(second.received).toEqual([]);
    expect(sender.counts.sent).toBe(0);
  });

  it("drops about lossPercent of the datagrams, the same ones for the same seed", async () => {
    const { port, received } = await listen();
    const lossy = { ...PERFECT_NETWORK, lossPercent: 20 };
    const sender = simulateNetwork(udpSocket(), lossy, { seed: 42 });

    await sendPaced(sender, 2000, port);
    await until(() => received.length === sender.counts.sent);

    expect(received.length).toBe(sender.counts.sent);
    expect(sender.counts.dropped).toBe(2000 - received.length);
    expect(sender.counts.dropped / 2000).toBeGreaterThan(0.17);
    expect(sender.counts.dropped / 2000).toBeLessThan(0.23);

    const replay = simulateNetwork(udpSocket(), lossy, { seed: 42 });
    await sendPaced(replay, 2000, port);
    expect(replay.counts.dropped).toBe(sender.counts.dropped);
  });

  it("gives every datagram the same fate for the same seed, and other fates for another seed", async () => {
    const { port } = await listen();
    const conditions = { lagMs: 10, jitterMs: 30, lossPercent: 30, duplicatePercent: 20 };
    const fates = async (seed: number) => {
      const { lines, trace } = tracedLines();
      const sender = simulateNetwork(udpSocket(), conditions, { seed, trace });
      for (let i = 0; i < 20; i++) sender.send(`INPUT alice UP ${i}`, port, "127.0.0.1");
      await sender.drain();
      return lines;
    };

    const first = await fates(3);
    expect(first.length).toBeGreaterThanOrEqual(20);
    expect(first.some((line) => line.endsWith("dropped"))).toBe(true);
    expect(first.some((line) => line.includes("duplicated, delayed"))).toBe(true);
    expect(await fates(3)).toEqual(first);
    expect(await fates(4)).not.toEqual(first);
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
    const connected = createSocket("udp4");
    connected.connect(port, "127.0.0.1");
    await once(connected, "connect");
    const connectedSender = simulateNetwork(connected, { ...PERFECT_NETWORK, lagMs: 20 });

    sender.send("orphan", port, "127.0.0.1");
    connectedSender.send("orphan too");
    socket.close();
    connected.close();
    // If the timer's send threw here, vitest would report an uncaught exception.
    await sleep(60);

    expect(received).toEqual([]);
    expect(sender.counts.sent + connectedSender.counts.sent).toBe(0);
  });
});

/** A real TCP server on loopback that records every piece it reads, when, and when the stream ends. */
async function tcpReceiver() {
  const pieces: { text: string; at: number }[] = [];
  let endedAt: number | undefined;
  const server = net.createServer((socket) => {
    socket.on("data", (piece) => pieces.push({ text: piece.toString(), at: performance.now() }));
    socket.on("end", () => {
      endedAt = performance.now();
      socket.end();
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  await once(client, "connect");
  cleanups.push(() => {
    client.destroy();
    server.close();
  });
  return {
    client,
    pieces,
    text: () => pieces.map((piece) => piece.text).join(""),
    endedAt: () => endedAt,
  };
}

describe("simulateStream", () => {
  it("hands the caller's own bytes to the socket at once on a perfect network", async () => {
    const { client, text } = await tcpReceiver();
    const socketWrite = vi.spyOn(client, "write");
    const stream = simulateStream(client, PERFECT_NETWORK);

    const line = Buffer.from("INPUT alice UP\n");
    stream.write(line);
    expect(socketWrite).toHaveBeenCalledTimes(1);
    expect(socketWrite.mock.calls[0]![0]).toBe(line);

    await until(() => text() === "INPUT alice UP\n");
    expect(text()).toBe("INPUT alice UP\n");
  });

  it("delivers every write in order under jitter, where UDP would reorder", async () => {
    const { client, text } = await tcpReceiver();
    const stream = simulateStream(client, { ...PERFECT_NETWORK, lagMs: 5, jitterMs: 40 });

    const lines = Array.from({ length: 50 }, (_, i) => `${i}\n`);
    for (const line of lines) stream.write(line);

    await until(() => text().length === lines.join("").length);
    expect(text()).toBe(lines.join(""));
  });

  it("holds everything written after a lost write until it is sent again, in order", async () => {
    const { client, pieces, text } = await tcpReceiver();
    const { lines, trace } = tracedLines();
    // Seed 2 at 50% loses the first write and not the second (the trace below says so).
    const stream = simulateStream(
      client,
      { ...PERFECT_NETWORK, lossPercent: 50 },
      { seed: 2, trace },
    );

    const writtenAt = performance.now();
    stream.write("first\n");
    stream.write("second\n");
    // the second write waits for what is left of the first's 200 ms: all of it, unless a busy
    // machine let a few milliseconds pass between the two writes
    const writesMs = performance.now() - writtenAt;
    expect(stream.unsentBytes).toBe(13);

    await until(() => text() === "first\nsecond\n");
    expect(text()).toBe("first\nsecond\n");
    expect(pieces[0]!.at - writtenAt).toBeGreaterThanOrEqual(RETRANSMISSION_TIMEOUT_MS);
    const fates = lines.map((line) => line.slice(line.indexOf('"')));
    expect(fates[0]).toBe(
      `"first\\n"  delayed 200 ms (lost, sent again after ${RETRANSMISSION_TIMEOUT_MS} ms)`,
    );
    const second = /^"second\\n" {2}delayed (\d+) ms \(waits behind a lost segment\)$/.exec(
      fates[1]!,
    );
    expect(second, fates[1]).not.toBeNull();
    expect(Number(second![1])).toBeLessThanOrEqual(RETRANSMISSION_TIMEOUT_MS);
    expect(Number(second![1])).toBeGreaterThanOrEqual(
      RETRANSMISSION_TIMEOUT_MS - Math.ceil(writesMs) - 1,
    );
    expect(fates).toHaveLength(2);
    expect(stream.unsentBytes).toBe(0);
  });

  it("ignores duplicatePercent: TCP discards duplicates, the program never sees one", async () => {
    const { client, text } = await tcpReceiver();
    const stream = simulateStream(client, { ...PERFECT_NETWORK, lagMs: 5, duplicatePercent: 100 });

    for (let i = 0; i < 10; i++) stream.write(`${i}\n`);
    await until(() => text().length >= 20);
    await sleep(20);
    expect(text()).toBe("0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");
  });

  it("end() ends the stream only after every delayed write", async () => {
    const { client, text, endedAt } = await tcpReceiver();
    const stream = simulateStream(client, { ...PERFECT_NETWORK, lagMs: 60 });

    const writtenAt = performance.now();
    stream.write("one\n");
    stream.end("two\n");
    expect(stream.ended).toBe(true);
    expect(client.writableEnded).toBe(false);

    await until(() => endedAt() !== undefined);
    expect(text()).toBe("one\ntwo\n");
    expect(endedAt()! - writtenAt).toBeGreaterThanOrEqual(55);
  });

  it("counts the bytes it holds back in unsentBytes, so a server can bound them", async () => {
    const { client } = await tcpReceiver();
    const stream = simulateStream(client, { ...PERFECT_NETWORK, lagMs: 50 });

    stream.write(Buffer.alloc(40_000));
    stream.write("é\n");
    expect(stream.unsentBytes).toBe(40_003);

    await until(() => stream.unsentBytes === 0);
    expect(stream.unsentBytes).toBe(0);
  });

  it("keeps a held-back write's bytes even if the caller reuses its buffer", async () => {
    const { client, text } = await tcpReceiver();
    const stream = simulateStream(client, { ...PERFECT_NETWORK, lagMs: 20 });

    const buffer = Buffer.from("first\n");
    stream.write(buffer);
    buffer.write("XXXXX\n");

    await until(() => text().length === 6);
    expect(text()).toBe("first\n");
  });

  it("writes nothing, and throws nothing, once the connection is closed", async () => {
    const { client, text } = await tcpReceiver();
    const stream = simulateStream(client, { ...PERFECT_NETWORK, lagMs: 20 });

    stream.write("in flight\n");
    client.destroy();
    stream.write("after the close\n");
    stream.end("and the end\n");
    // A write on the destroyed socket would be reported by vitest as an uncaught error.
    await sleep(60);

    expect(text()).toBe("");
    expect(stream.unsentBytes).toBe(0);
  });

  it("loses the same writes for the same seed", async () => {
    const conditions: NetworkConditions = {
      lagMs: 10,
      jitterMs: 30,
      lossPercent: 30,
      duplicatePercent: 0,
    };
    const lostWrites = async (seed: number) => {
      const { client } = await tcpReceiver();
      const { lines, trace } = tracedLines();
      const stream = simulateStream(client, conditions, { seed, trace });
      for (let i = 0; i < 20; i++) stream.write(`INPUT alice UP ${i}\n`);
      // Only the loss is the seed's alone: how long a write waits behind another depends on
      // the microseconds between the writes, which no seed repeats.
      return lines.flatMap((line, i) => (line.includes("(lost") ? [i] : []));
    };

    const first = await lostWrites(9);
    expect(first.length).toBeGreaterThan(0);
    expect(await lostWrites(9)).toEqual(first);
    expect(await lostWrites(10)).not.toEqual(first);
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
