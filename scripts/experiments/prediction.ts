/**
 * How often step 07's prediction is wrong: a state that proves the client's guess of its own
 * square wrong is a correction. A lone bot on a perfect network, through lag, jitter and loss,
 * through a server that loses 30 % of its states, and through a client that loses 30 % of its
 * inputs; then four bots together, who get in each other's way.
 */
import type { Summary } from "../../lib/player.ts";
import {
  type Experiment,
  type Trial,
  bot,
  figure,
  ping,
  playTrials,
  printTable,
  progress,
  server,
} from "./lab.ts";

const SECONDS = 10;
const LAGGY = ["--lag", "150", "--jitter", "30", "--loss", "5"];
const LOSSY = ["--loss", "30"];
const CROWD = ["bot1", "bot2", "bot3", "bot4"];

/** Each lone bot: its row's label, the name its figures are recorded under, its trial. */
const ALONE: { label: string; key: string; trial: Trial }[] = [
  {
    label: "a perfect network",
    key: "perfect",
    trial: { step: "07", name: "alone", seconds: SECONDS },
  },
  {
    label: `${LAGGY.join(" ")}, both`,
    key: "laggy",
    trial: { step: "07", server: LAGGY, client: LAGGY, name: "alone", seconds: SECONDS },
  },
  {
    label: `${LOSSY.join(" ")}, server`,
    key: "serverLoss",
    trial: { step: "07", server: LOSSY, name: "alone", seconds: SECONDS },
  },
  {
    label: `${LOSSY.join(" ")}, client`,
    key: "clientLoss",
    trial: { step: "07", client: LOSSY, name: "alone", seconds: SECONDS },
  },
];

/** A bot's summary with the two figures step 07's client adds to it. */
type PredictingSummary = Summary & { corrections?: number; correctedCells?: number };

export const experiment: Experiment = {
  about:
    "corrections of step 07's prediction in 10 s: a bot alone on four networks, four bots together",
  steps: ["07"],
  seconds: 13,
  async run() {
    progress(
      `${ALONE.length} lone bots, and ${CROWD.length} bots together through ${LAGGY.join(" ")}, ${SECONDS} s`,
    );
    const crowdServer = await server("07", LAGGY);
    const [alone, crowd] = await Promise.all([
      playTrials(ALONE.map(({ trial }) => trial)),
      Promise.all(
        CROWD.map((name) =>
          bot({ step: "07", port: crowdServer.port, name, seconds: SECONDS, args: LAGGY }),
        ),
      ),
    ]);
    await crowdServer.stop();
    const row = (label: string, key: string, summary: PredictingSummary) => {
      figure(`${key}.sent`, summary.sent);
      figure(`${key}.states`, summary.states);
      figure(`${key}.moves`, summary.moves);
      if (summary.corrections !== undefined) figure(`${key}.corrections`, summary.corrections);
      if (summary.correctedCells !== undefined) figure(`${key}.cells`, summary.correctedCells);
      if (summary.rttMs.p50 !== null) figure(`${key}.p50`, summary.rttMs.p50);
      return [
        label,
        summary.sent,
        summary.states,
        summary.moves,
        `${summary.corrections ?? "?"} (${summary.correctedCells ?? "?"} cells)`,
        ping(summary),
      ];
    };
    printTable([
      ["who", "network", "sent", "states", "cells moved", "corrections", "ping p50 / p99"],
      ...alone.map((summary, i) => ["alone", ...row(ALONE[i]!.label, ALONE[i]!.key, summary)]),
      ...crowd.map((summary, i) => [
        `${CROWD[i]} of 4`,
        ...row(`${LAGGY.join(" ")}, both`, `crowd.${CROWD[i]}`, summary),
      ]),
    ]);
  },
};
