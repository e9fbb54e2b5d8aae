/**
 * Step 10 against step 11 on a bad network: the same four seeded bots, 60 s, through
 * `--loss 30 --jitter 30 --lag 100` on the server and on every client. Step 10's inputs reach
 * the server a tick late, or wait for a repeat, and its prediction is corrected; step 11 sends
 * each input again in the next datagrams, tagged with its tick, and keeps its clock just ahead.
 * A correction with another square near is counted apart (`blocked`): no buffer foresees a
 * player's move. Each bot writes a trace, whose sent bytes are its bytes up.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Summary } from "../../lib/player.ts";
import {
  type Experiment,
  bot,
  figure,
  parseTraceLine,
  printTable,
  progress,
  server,
} from "./lab.ts";

const SECONDS = 60;
const NETWORK = ["--loss", "30", "--jitter", "30", "--lag", "100"];
const BOTS = ["bot1", "bot2", "bot3", "bot4"];
const STEPS = ["10", "11"];

/** A bot's summary with what the predicting clients add to it. */
type PredictingSummary = Summary & { corrections: number; correctedCells: number; blocked: number };

/**
 * How long a server keeps a seat its player went silent in (its --timeout): a bot that gave up
 * joining may have been seated all the same, and its name is free again only after this.
 */
const SEAT_KEPT_MS = 5000;

/**
 * A bot's summary, played again once if it could not join: at 30 % loss both ways a handshake
 * fails now and then (the answers to its CONNECTs are lost, or come after it gave up), and that
 * bot would measure nothing.
 */
async function joinedBot(run: Parameters<typeof bot>[0]): Promise<Summary> {
  try {
    return await bot(run);
  } catch (error) {
    if (!String(error).includes("no answer")) throw error;
    console.log(
      `  (step ${run.step}'s ${run.name} could not join through the loss: it plays again)`,
    );
    await sleep(SEAT_KEPT_MS + 1000);
    return bot(run);
  }
}

/** Plays the four bots on one step's server; returns each one's summary and bytes sent. */
async function playStep(step: string, folder: string) {
  const stepServer = await server(step, NETWORK);
  const runs = await Promise.all(
    BOTS.map(async (name) => {
      const trace = join(folder, `${step}-${name}.trace`);
      const args = [...NETWORK, "--trace-file", trace];
      const summary = await joinedBot({
        step,
        port: stepServer.port,
        name,
        seconds: SECONDS,
        args,
      });
      const sentBytes = readFileSync(trace, "utf8")
        .split("\n")
        .map(parseTraceLine)
        .reduce((sum, line) => sum + (line?.sent ? line.bytes : 0), 0);
      return { summary: summary as PredictingSummary, sentBytes };
    }),
  );
  await stepServer.stop();
  return runs;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

export const experiment: Experiment = {
  about: "step 10 against 11: corrections, bytes up and latency, 4 bots, 60 s of 30 % loss",
  steps: ["10", "11"],
  seconds: 2 * SECONDS + 10,
  async run() {
    progress(
      `${BOTS.length} bots on step 10 and on step 11 through ${NETWORK.join(" ")}, both ways, ${SECONDS} s`,
    );
    const folder = mkdtempSync(join(tmpdir(), "haunted-input-buffer-"));
    try {
      // One step after the other: eight bots at once on two cores would be late for the CPU,
      // not for the network, and step 11's clock would pay for it.
      const results = [];
      for (const step of STEPS) results.push(await playStep(step, folder));
      const figures: Record<string, Record<string, number>> = {};
      const rows = results.flatMap((runs, i) => {
        const step = STEPS[i]!;
        const total = (of: (summary: PredictingSummary) => number) =>
          runs.reduce((sum, { summary }) => sum + of(summary), 0);
        const blocked = total((summary) => summary.blocked);
        figures[step] = {
          corrections: total((summary) => summary.corrections) - blocked,
          blocked,
          upBytesPerSecond: Math.round(median(runs.map(({ sentBytes }) => sentBytes)) / SECONDS),
          shownP50Ms: median(runs.map(({ summary }) => summary.rttMs.p50 ?? NaN)),
        };
        for (const [name, value] of Object.entries(figures[step]!))
          figure(`${step}.${name}`, value);
        return runs.map(({ summary, sentBytes }) => [
          step,
          summary.name,
          summary.moves,
          summary.corrections - summary.blocked,
          summary.blocked,
          summary.correctedCells,
          summary.sent,
          Math.round(sentBytes / SECONDS),
          `${summary.rttMs.p50 ?? "–"} / ${summary.rttMs.p99 ?? "–"} ms`,
        ]);
      });
      printTable([
        [
          "step",
          "bot",
          "cells moved",
          "corrections",
          "blocked",
          "cells corrected",
          "sent",
          "bytes up/s",
          "shown p50 / p99",
        ],
        ...rows,
      ]);
      console.log(
        "  (corrections: those no other square was near; blocked: another square was, see lib/prediction.ts)",
      );
      console.log(JSON.stringify(figures));
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  },
};
