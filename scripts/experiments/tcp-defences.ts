/**
 * What a stranger can still do to the TCP servers (steps 02 and 03): how long a slow sender
 * holds a socket, what the connection cap answers, and how much a client that never reads
 * its answers gets to send before step 03 drops it.
 */
import net from "node:net";
import { once } from "node:events";
import { type Experiment, figure, printTable, progress, server } from "./lab.ts";

/** Connections the servers hold here (1000 by default): a few, so the cap is reached at once. */
const CAP = 20;

/** How the server ended one connection: after how long, and its last words. */
interface Ending {
  seconds: string;
  /** how long it lived, in seconds, if the server closed it */
  lived?: number;
  answer: string;
}

/**
 * Opens a connection, runs `behave` on it, and waits until the server closes it (at most
 * `limitMs`): returns how long the connection lived and the last line the server sent.
 */
async function until(
  port: number,
  behave: (socket: net.Socket) => void,
  limitMs = 12_000,
): Promise<Ending> {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  const openedAt = performance.now();
  let received = "";
  socket.on("data", (bytes) => (received += bytes.toString("utf8")));
  socket.on("error", () => {}); // a reset is one way for the server to end it
  behave(socket);
  // (not events.once: it would reject on the reset, which is an answer here, not a failure)
  const closed = new Promise((resolve) => socket.once("close", resolve));
  const gaveUp = new Promise((resolve) => setTimeout(resolve, limitMs).unref());
  await Promise.race([closed, gaveUp]);
  const lived = (performance.now() - openedAt) / 1000;
  socket.destroy();
  const lines = received.trim().split("\n");
  const closedByServer = socket.closed && lived < limitMs / 1000;
  return {
    seconds: closedByServer ? lived.toFixed(1) : "still open",
    lived: closedByServer ? lived : undefined,
    answer: lines.at(-1) || "(nothing)",
  };
}

/** Sends one byte a second, never a newline, for as long as the connection lasts. */
function trickle(socket: net.Socket, first = ""): void {
  if (first) socket.write(first);
  const timer = setInterval(() => socket.writable && socket.write("x"), 1000);
  socket.once("close", () => clearInterval(timer));
}

export const experiment: Experiment = {
  about: "how long a slow sender holds a socket, the connection cap, a client that never reads",
  steps: ["02", "03"],
  seconds: 6,
  async run() {
    const args = ["--max-connections", String(CAP)];
    const [step02, step03] = await Promise.all([server("02", args), server("03", args)]);

    progress("slow senders on steps 02 and 03 (one byte a second, never a newline)");
    const [slow02, stranger03, player03] = await Promise.all([
      until(step02.port, (socket) => trickle(socket)),
      until(step03.port, (socket) => trickle(socket)),
      until(step03.port, (socket) => trickle(socket, "CONNECTED slowpoke\n")),
    ]);
    const heldFor = (name: string, ending: Ending) => {
      if (ending.lived !== undefined) figure(`${name}.seconds`, ending.lived);
    };
    heldFor("slow02", slow02);
    heldFor("stranger03", stranger03);
    heldFor("player03", player03);
    printTable([
      ["who", "held the socket (s)", "the server's last words"],
      ["02, a stranger", slow02.seconds, slow02.answer],
      ["03, a stranger", stranger03.seconds, stranger03.answer],
      ["03, a player", player03.seconds, player03.answer],
    ]);

    progress("a client of step 03 that sends GETSTATE lines and never reads the answers");
    let written = 0;
    const reader = await until(step03.port, (socket) => {
      socket.pause(); // never read: the answers pile up in the kernel, then in the server
      socket.removeAllListeners("data");
      const line = "GETSTATE greedy\n";
      socket.write("CONNECTED greedy\n");
      const flood = () => {
        while (socket.writable && socket.write(line)) written += line.length;
        if (socket.writable) socket.once("drain", flood);
      };
      flood();
    });
    const kilobytes = Math.round(written / 1024);
    heldFor("greedy", reader);
    figure("greedy.megabytes", written / 1024 / 1024);
    console.log(`  dropped after ${reader.seconds} s, having sent ${kilobytes} KB of requests`);
    const said = await step03.line(/does not read/, 1000); // its log comes by a pipe, a little later
    console.log(`  the server logged: ${said?.replace(/^[\d:.]+ /, "")}`);
    progress(`the connection cap (--max-connections ${CAP}) on step 03`);
    const held: net.Socket[] = [];
    for (let i = 0; i < CAP; i++) {
      const socket = net.connect(step03.port, "127.0.0.1");
      socket.on("error", () => {});
      held.push(socket);
      await once(socket, "connect");
    }
    const refused = await until(step03.port, () => {});
    if (refused.lived !== undefined) figure("cap.refusedMs", refused.lived * 1000);
    console.log(`  connection ${CAP + 1}: closed after ${refused.seconds} s: ${refused.answer}`);
    held.forEach((socket) => socket.destroy());
  },
};
