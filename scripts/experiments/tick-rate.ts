/**
 * What the server's tick rate does to a player of step 05: the same bot for 5 s against a
 * server that ticks 20 times a second (the default) and one that ticks 5 times.
 */
import { type Experiment, figure, ping, playTrials, printTable, progress } from "./lab.ts";

const SECONDS = 5;
const RATES = ["20", "5"];

export const experiment: Experiment = {
  about: "ping, states and moves of a bot in 5 s with --tick-rate 20 and 5",
  steps: ["05"],
  seconds: 6,
  async run() {
    progress(`step 05 with --tick-rate ${RATES.join(" and ")} side by side, ${SECONDS} s`);
    const summaries = await playTrials(
      RATES.map((rate) => ({
        step: "05",
        server: ["--tick-rate", rate],
        name: "ticker",
        seconds: SECONDS,
      })),
    );
    printTable([
      ["--tick-rate", "sent", "states", "cells moved", "ping p50 / p99"],
      ...summaries.map((summary, i) => {
        const key = `rate${RATES[i]}`;
        if (summary.rttMs.p50 !== null) figure(`${key}.p50`, summary.rttMs.p50);
        return [
          RATES[i]!,
          summary.sent,
          figure(`${key}.states`, summary.states),
          figure(`${key}.moves`, summary.moves),
          ping(summary),
        ];
      }),
    ]);
  },
};
