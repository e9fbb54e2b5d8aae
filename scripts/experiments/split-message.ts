/**
 * TCP keeps no boundaries between writes: one message written in two pieces, 100 ms apart,
 * reaches step 01's server, which takes the first piece as the message, and step 03's, which
 * cuts the stream into lines whatever pieces it arrives in.
 */
import net from "node:net";
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import { type Experiment, progress, server } from "./lab.ts";

/** Writes the pieces 100 ms apart on one connection, then ends it; returns all that came back. */
async function sendInPieces(port: number, pieces: string[]): Promise<string> {
  const socket = net.connect(port, "127.0.0.1");
  await once(socket, "connect");
  let answer = "";
  socket.on("data", (bytes) => (answer += bytes.toString("utf8")));
  socket.on("error", () => {}); // step 01 closes after its answer: the last piece may meet a reset
  const closed = new Promise((resolve) => socket.once("close", resolve));
  for (const [i, piece] of pieces.entries()) {
    if (i > 0) await sleep(100);
    if (socket.writable) socket.write(piece);
  }
  socket.end();
  await closed;
  return answer.trim();
}

export const experiment: Experiment = {
  about: "one message written in two pieces 100 ms apart, to step 01's server and to step 03's",
  steps: ["01", "03"],
  seconds: 2,
  async run() {
    const [echo, framed] = await Promise.all([server("01"), server("03")]);
    progress(`step 01: "hel", then "lo" 100 ms later`);
    console.log(`  answer: ${await sendInPieces(echo.port, ["hel", "lo"])}`);
    progress(`step 03: "CONNECTED al", then "ice\\nGETSTATE alice\\n" 100 ms later`);
    const answers = await sendInPieces(framed.port, ["CONNECTED al", "ice\nGETSTATE alice\n"]);
    for (const line of answers.split("\n")) {
      // the port in the welcome is this server's: shown as a learner's default server has it
      console.log(
        `  answer: ${line.replace(/^CONNECTED \d+ /, "CONNECTED <port> ").replace(/WALLS \S+/, "WALLS …")}`,
      );
    }
  },
};
