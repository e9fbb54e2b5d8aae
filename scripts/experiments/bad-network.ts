/**
 * The UDP steps on a bad network: one bot for 5 s on steps 04, 05 and 06 side by side, with
 * --loss 20 on the client only, then on both programs, then --lag 150 --jitter 30 on both.
 * Step 04 waits for an answer to every message; steps 05 and 06 wait for nothing.
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

const SECONDS = 5;
const STEPS = ["04", "05", "06"];
/** Each network: its row's label, the name its figures are recorded under, its options. */
const NETWORKS: { label: string; key: string; client: string[]; server: string[] }[] = [
  { label: "--loss 20, client", key: "clientLoss", client: ["--loss", "20"], server: [] },
  { label: "--loss 20, both", key: "bothLoss", client: ["--loss", "20"], server: ["--loss", "20"] },
  {
    label: "--lag 150 --jitter 30, both",
    key: "lag",
    client: ["--lag", "150", "--jitter", "30"],
    server: ["--lag", "150", "--jitter", "30"],
  },
];

export const experiment: Experiment = {
  about: "sent, states, moves and ping of a bot in 5 s through loss and lag",
  steps: ["04", "05", "06"],
  seconds: 20,
  async run() {
    const rows: (string | number)[][] = [
      ["network", "step", "sent", "states", "cells moved", "ping p50 / p99"],
    ];
    for (const network of NETWORKS) {
      progress(`${network.label}: steps ${STEPS.join(", ")} side by side, ${SECONDS} s`);
      const trials: Trial[] = STEPS.map((step) => ({
        step,
        client: network.client,
        server: network.server,
        name: "walker",
        seconds: SECONDS,
      }));
      const summaries = await playTrials(trials);
      summaries.forEach((summary, i) => {
        const key = `${network.key}.step${STEPS[i]}`;
        if (summary.rttMs.p50 !== null) figure(`${key}.p50`, summary.rttMs.p50);
        rows.push([
          network.label,
          STEPS[i]!,
          figure(`${key}.sent`, summary.sent),
          figure(`${key}.states`, summary.states),
          figure(`${key}.moves`, summary.moves),
          ping(summary),
        ]);
      });
    }
    printTable(rows);
    console.log(
      "  (ping: 04 times a request's round trip; 05 and 06 a new direction until a state shows it)",
    );
  },
};
