/**
 * What a connection per message costs (step 02) against one connection per player (step 03):
 * the same bot plays each for a few seconds, and the server's trace counts the connections
 * its messages came on (each connection comes from a port of its own).
 */
import {
  type Experiment,
  bot,
  ping,
  printTable,
  progress,
  readTrace,
  server,
  traceFolder,
} from "./lab.ts";

const SECONDS = 5;

export const experiment: Experiment = {
  about: "connections opened and ping of one bot, a connection per message (02) or one (03)",
  steps: ["02", "03"],
  seconds: 11,
  async run() {
    const traces = traceFolder();
    const rows: (string | number)[][] = [["step", "messages", "connections", "ping p50 / p99"]];
    try {
      for (const step of ["02", "03"]) {
        progress(`step ${step}: one bot for ${SECONDS} s`);
        const file = traces.file(`${step}.trace`);
        const running = await server(step, ["--trace-file", file]);
        const summary = await bot({ step, port: running.port, name: "conn", seconds: SECONDS });
        await running.stop();
        const received = readTrace(file).filter((line) => !line.sent);
        const connections = new Set(received.map((line) => line.peer)).size;
        rows.push([step, summary.sent, connections, ping(summary)]);
      }
    } finally {
      traces.remove();
    }
    printTable(rows);
    console.log("  (messages: all the bot sent, from its CONNECTED to its DISCONNECT)");
  },
};
