/**
 * The TCP servers (steps 02 and 03) against strangers who do what a careful
 * attacker would: reset in the middle of an answer, send without reading,
 * trickle bytes to hold a socket, open too many connections, flood the log.
 * Each test is bounded: a few seconds, a few megabytes, 127.0.0.1 only.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
import { askOnce, connectLines } from "./helpers.ts";

/** The server process's resident memory now, in MB (Linux). */
const residentMb = (server: RunningServer) =>
  Number(
    /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${server.process.pid}/status`, "utf8"))![1],
  ) / 1024;

/** Resolves with how long, in ms, the server took to close this connection; rejects after `limitMs`. */
function closedWithin(socket: net.Socket, limitMs: number): Promise<number> {
  const openedAt = performance.now();
  return new Promise((resolve, reject) => {
    const limit = setTimeout(() => reject(new Error(`still open after ${limitMs} ms`)), limitMs);
    socket.once("close", () => {
      clearTimeout(limit);
      resolve(performance.now() - openedAt);
    });
  });
}

/** A connection that reads what arrives (and keeps it) and never fails the test on a reset. */
async function stranger(port: number) {
  const socket = net.connect(port, "127.0.0.1");
  const received: Buffer[] = [];
  socket.on("data", (piece) => received.push(piece));
  socket.on("error", () => {});
  await once(socket, "connect");
  return { socket, text: () => Buffer.concat(received).toString("utf8") };
}

describe("step 03 against hostile clients", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("03-tcp-persistent", ["--max-connections", "20"]);
  });
  afterAll(() => server.stop());

  it("refuses connections past --max-connections with a reason, and logs it", async () => {
    const held = await Promise.all(Array.from({ length: 20 }, () => stranger(server.port)));
    const extra = await stranger(server.port);
    await closedWithin(extra.socket, 2000).finally(() =>
      held.forEach(({ socket }) => socket.destroy()),
    );
    expect(extra.text()).toBe("ERROR server busy: too many connections\n");
    expect(await server.line(/refused: server busy/)).toBeDefined();
    await sleep(100);
    const player = await connectLines(server.port); // room again once they have gone
    player.send("CONNECTED latecomer\n");
    expect(await player.next()).toMatch(/^CONNECTED /);
    player.close();
  });

  it("survives a client that resets the connection while its line is being refused", async () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      const { socket } = await stranger(server.port);
      socket.write("x".repeat(1500)); // over the 1024-byte limit, and no newline…
      socket.resetAndDestroy(); // …then RST at once: the server's answer fails to be written
      await sleep(50);
    }
    expect(server.process.exitCode).toBeNull();
    const player = await connectLines(server.port);
    player.send("CONNECTED survivor\n");
    expect(await player.next()).toMatch(/^CONNECTED /);
    player.close();
  });

  it("drops a client that sends without reading its answers, and its memory does not grow", async () => {
    const before = residentMb(server);
    const hog = net.connect(server.port, "127.0.0.1");
    hog.on("error", () => {}); // the server resets it: that is the point
    await once(hog, "connect");
    hog.pause(); // never read a byte
    const closed = closedWithin(hog, 10_000);
    hog.write("CONNECTED hog\n");
    // 6 MB of requests, 13 MB of answers: more than both sides' socket buffers hold
    const lines = "GETSTATE hog\n".repeat(20_000);
    for (let chunk = 0; chunk < 25 && !hog.destroyed; chunk++) {
      if (hog.write(lines)) continue;
      await new Promise((resolve) => {
        hog.once("drain", resolve); // the server read some more…
        hog.once("close", resolve); // …or dropped us
      });
    }
    await closed;
    expect(residentMb(server) - before).toBeLessThan(50);
    expect(await server.line(/does not read its answers/)).toBeDefined();
    const player = await connectLines(server.port);
    player.send("CONNECTED reader\nGETSTATE reader\n");
    expect(await player.next()).toMatch(/^CONNECTED /);
    expect(await player.next()).toMatch(/^STATE /);
    player.close();
  });

  it.concurrent(
    "closes a connection that never joins, even if it keeps sending lines",
    async () => {
      const { socket, text } = await stranger(server.port);
      const closed = closedWithin(socket, 8000);
      const trickle = setInterval(() => socket.write("\n"), 1000); // an answer each time, never a player
      const closedAfterMs = await closed.finally(() => clearInterval(trickle));
      expect(closedAfterMs).toBeGreaterThan(4000);
      expect(text()).toContain("ERROR too slow: join within 5 s");
    },
  );

  it.concurrent("closes a player's connection that trickles a line a byte at a time", async () => {
    const { socket, text } = await stranger(server.port);
    socket.write("CONNECTED trickler\n");
    const closed = closedWithin(socket, 8000);
    const bytes = [..."GETSTATE trickler"];
    const trickle = setInterval(() => socket.write(bytes.shift() ?? "."), 700);
    await closed.finally(() => clearInterval(trickle));
    expect(text()).toContain("ERROR too slow: no complete line for 5 s");
  });

  it.concurrent("logs a flood of bad messages in a few lines, not one line each", async () => {
    const linesBefore = server.output.length;
    const { socket } = await stranger(server.port);
    socket.write("HELLO there\n".repeat(2000));
    await sleep(5500); // the log says how many it left out when its 5 s window ends
    socket.destroy();
    const logged = server.output.slice(linesBefore);
    expect(
      logged.filter((line) => /refused: unknown command HELLO/.test(line)).length,
    ).toBeLessThanOrEqual(5);
    expect(logged.some((line) => /… and \d+ more in the last 5 s/.test(line))).toBe(true);
  });
});

describe("step 02 against hostile clients", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer("02-tcp-squares", ["--max-connections", "5"]);
  });
  afterAll(() => server.stop());

  it("closes a connection whose message trickles in a byte at a time", async () => {
    const { socket, text } = await stranger(server.port);
    const closed = closedWithin(socket, 8000);
    const bytes = [..."GETSTATE nobody"];
    const trickle = setInterval(() => socket.write(bytes.shift() ?? "."), 1000);
    const closedAfterMs = await closed.finally(() => clearInterval(trickle));
    expect(closedAfterMs).toBeGreaterThan(4000);
    expect(text()).toBe("ERROR too slow: send the whole message within 5 s\n");
  });

  it("refuses connections past --max-connections with a reason, and serves again once they close", async () => {
    const held = await Promise.all(Array.from({ length: 5 }, () => stranger(server.port)));
    expect((await askOnce(server.port, "GETSTATE nobody\n")).toString()).toBe(
      "ERROR server busy: too many connections\n",
    );
    for (const { socket } of held) socket.destroy();
    await sleep(100);
    expect((await askOnce(server.port, "CONNECTED alice\n")).toString()).toMatch(/^CONNECTED /);
  });
});
