/**
 * The speed hack: a client that sends faster than the others. Steps 02 to 04 apply every
 * INPUT as it arrives; step 05 applies at most one per player per tick.
 */
import { type Experiment, figure, playTrials, printTable, progress } from "./lab.ts";

const SECONDS = 5;
const STEPS = ["02", "04", "05"];
const RATES = ["20", "100"];

export const experiment: Experiment = {
  about: "cells a bot moves in 5 s sending 20 or 100 inputs a second",
  steps: ["02", "04", "05"],
  seconds: 7,
  async run() {
    progress(
      `a bot at --send-rate ${RATES.join(" and ")} on steps ${STEPS.join(", ")}, ${SECONDS} s each`,
    );
    const trials = STEPS.flatMap((step) =>
      RATES.map((rate) => ({
        step,
        name: "speedy",
        seconds: SECONDS,
        client: ["--send-rate", rate],
      })),
    );
    const summaries = await playTrials(trials);
    trials.forEach(({ step, client }, i) =>
      figure(`step${step}.rate${client[1]}.unmoved`, summaries[i]!.sent - summaries[i]!.moves),
    );
    printTable([
      ["step", "--send-rate", "sent", "cells moved"],
      ...trials.map((trial, i) => [
        trial.step,
        trial.client[1]!,
        figure(`step${trial.step}.rate${trial.client[1]}.sent`, summaries[i]!.sent),
        figure(`step${trial.step}.rate${trial.client[1]}.moves`, summaries[i]!.moves),
      ]),
    ]);
  },
};
