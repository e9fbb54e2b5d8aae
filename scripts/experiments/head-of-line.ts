/**
 * What one lost packet in twenty does to a game over TCP (step 03) and over UDP (steps 04 and
 * 05): the same bot plays each step on a perfect network, then with --loss 5 on both programs.
 * TCP hides a loss by sending the segment again, so the loss shows up as waiting; UDP shows it
 * as a message that never arrives, and what that costs depends on who waits for what.
 */
import {
  type Experiment,
  type Trial,
  figure,
  ping,
  playTrials,
  printTable,
  progress,
} from "./lab.ts";

const SECONDS = 8;
const STEPS = ["03", "04", "05"];
const LOSSES = ["0", "5"];

export const experiment: Experiment = {
  about: "ping, messages and moves of a bot in 8 s, perfect and with --loss 5 on both sides",
  steps: ["03", "05"],
  seconds: 19,
  async run() {
    const rows: (string | number)[][] = [
      ["step", "--loss", "sent", "states", "cells moved", "ping p50 / p99"],
    ];
    for (const loss of LOSSES) {
      progress(
        `steps ${STEPS.join(", ")} side by side, --loss ${loss} on both sides, ${SECONDS} s`,
      );
      const network = ["--loss", loss];
      const trials: Trial[] = STEPS.map((step) => ({
        step,
        server: network,
        client: network,
        name: "lossy",
        seconds: SECONDS,
      }));
      const summaries = await playTrials(trials);
      summaries.forEach((summary, i) => {
        const key = `step${STEPS[i]}.loss${loss}`;
        figure(`${key}.sent`, summary.sent);
        figure(`${key}.moves`, summary.moves);
        if (summary.rttMs.p50 !== null) figure(`${key}.p50`, summary.rttMs.p50);
        if (summary.rttMs.p99 !== null) figure(`${key}.p99`, summary.rttMs.p99);
        rows.push([STEPS[i]!, loss, summary.sent, summary.states, summary.moves, ping(summary)]);
      });
    }
    printTable(rows);
    console.log("  (step 05's ping is the time from a new direction to the state that shows it)");
  },
};
