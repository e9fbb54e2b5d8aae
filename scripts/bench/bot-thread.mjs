/**
 * One bot, in one worker thread of the swarm: a step's real client.ts, unchanged.
 *
 * A worker thread has its own `process.argv`, its own modules and its own event
 * loop, and `process.exit()` there ends only the thread: to client.ts it looks
 * like a process of its own. Before the client runs, this file:
 *   1. teaches the thread TypeScript (ts-hooks.mjs),
 *   2. starts counting the bytes on the bot's sockets, from the outside,
 *   3. loads what client.ts imports, so that the client starts at once when
 *      the gate opens and all the bots start together,
 *   4. waits at the gate for the swarm's "go".
 *
 * This file is JavaScript because it runs before the thread knows TypeScript.
 */
import { subscribe } from "node:diagnostics_channel";
import { register } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

const { clientUrl, dependencyUrls, javascript } = workerData;
register(new URL("./ts-hooks.mjs", import.meta.url), { data: { javascript } });

/** payload bytes counted so far: a datagram's as it passes, a TCP socket's when it closes (a live one's are read when asked) */
const counted = { up: 0, down: 0 };
const liveTcpSockets = new Set();
const udpSockets = new Set();
let tcpConnections = 0;
let largestStateDatagram = 0;
let onNetwork = false;

/** The bot has opened its first socket: it is playing. */
function tellOnNetwork() {
  if (onNetwork) return;
  onNetwork = true;
  parentPort.postMessage({ type: "on-network" });
}

// Node announces every socket a thread opens on these channels: the swarm sees
// the bot's sockets without the client knowing. It only reads them.
subscribe("net.client.socket", ({ socket }) => {
  tellOnNetwork();
  tcpConnections++;
  liveTcpSockets.add(socket);
  socket.once("close", () => {
    counted.up += socket.bytesWritten;
    counted.down += socket.bytesRead;
    liveTcpSockets.delete(socket);
  });
});

subscribe("udp.socket", ({ socket }) => {
  tellOnNetwork();
  udpSockets.add(socket);
  socket.once("close", () => udpSockets.delete(socket));
  // One more listener: the client's own listeners get every datagram as before.
  socket.on("message", (datagram) => {
    counted.down += datagram.length;
    if (datagram.subarray(0, 6).toString() === "STATE ")
      largestStateDatagram = Math.max(largestStateDatagram, datagram.length);
  });
  // A UDP socket counts no bytes, so count what the client sends, then send it exactly as asked.
  const send = socket.send;
  socket.send = function countedSend(...args) {
    counted.up += datagramBytes(args);
    return send.apply(this, args);
  };
});

/** The bytes a call to dgram's send(message, [offset, length,] …) puts in its datagram. */
function datagramBytes([message, offset, length]) {
  // `length` is a number only in the send(message, offset, length, …) form
  if (typeof offset === "number" && typeof length === "number") return length;
  const parts = Array.isArray(message) ? message : [message];
  return parts.reduce(
    (sum, part) => sum + (typeof part === "string" ? Buffer.byteLength(part) : part.byteLength),
    0,
  );
}

// When a client ends its thread (process.exit), a datagram that arrives while
// the thread is being torn down makes Node 20 abort the whole process ("FATAL
// ERROR: v8::FromJust Maybe value is Nothing" in UDPWrap::OnRecv), and every
// other bot with it. A process of its own would simply be gone: closing the
// thread's UDP sockets as it exits makes a thread end the same way.
process.on("exit", () => {
  for (const socket of udpSockets) {
    try {
      socket.close();
    } catch {
      // the client closed it already, a moment before it exited
    }
  }
});

function counters() {
  let { up, down } = counted;
  for (const socket of liveTcpSockets) {
    up += socket.bytesWritten;
    down += socket.bytesRead;
  }
  return { type: "counters", up, down, tcpConnections, largestStateDatagram };
}

const gate = new Promise((open) => {
  parentPort.on("message", (message) => {
    if (message.type === "go") open();
    if (message.type === "count") parentPort.postMessage(counters());
  });
});

// The same module instances client.ts gets when it imports them, only loaded earlier.
for (const url of dependencyUrls) await import(url);
parentPort.postMessage({ type: "ready" });
await gate;
// From now on the client decides when this thread ends (it calls process.exit); the swarm's messages must not keep it alive.
parentPort.unref();
await import(clientUrl);
