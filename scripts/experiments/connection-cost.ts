/**
 * What a connection per message costs (step 02) against one connection per player (step 03):
 * the same bot plays each for a few seconds, and the server's trace counts the connections
 * its messages came on (each connection comes from a port of its own).
 */
import { type Experiment, figure, ping, playTraced, printTable, progress } from "./lab.ts";

const SECONDS = 5;

export const experiment: Experiment = {
  about: "connections opened and ping of one bot, a connection per message (02) or one (03)",
  steps: ["02", "03"],
  seconds: 11,
  async run() {
    const rows: (string | number)[][] = [["step", "messages", "connections", "ping p50 / p99"]];
    for (const step of ["02", "03"]) {
      progress(`step ${step}: one bot for ${SECONDS} s`);
      const trial = { step, name: "conn", seconds: SECONDS };
      const { summary, trace } = await playTraced(trial, "server");
      const connections = new Set(trace.filter((line) => !line.sent).map((line) => line.peer)).size;
      if (summary.rttMs.p50 !== null) figure(`step${step}.p50`, summary.rttMs.p50);
      rows.push([
        step,
        figure(`step${step}.messages`, summary.sent),
        figure(`step${step}.connections`, connections),
        ping(summary),
      ]);
    }
    printTable(rows);
    console.log("  (messages: all the bot sent, from its CONNECTED to its DISCONNECT)");
  },
};
