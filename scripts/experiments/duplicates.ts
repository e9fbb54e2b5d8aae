/**
 * Datagrams that arrive twice (--duplicate). Step 04 cannot tell a copy from a new message:
 * it applies a copied INPUT twice, and its client takes a late copy of an old answer for the
 * answer it waits for. From step 05 on, every state carries its tick, and a client drops a
 * state whose tick it has already seen.
 */
import { setTimeout as sleep } from "node:timers/promises";
import * as step05 from "../../steps/05-tick-broadcast/protocol.ts";
import {
  type Experiment,
  type Trial,
  figure,
  ping,
  playTrials,
  printTable,
  progress,
  server,
  silentPlayer,
} from "./lab.ts";

const SECONDS = 5;
const LAGGY = ["--lag", "50", "--jitter", "50"];

/** Joins a step 05 server as a silent player and counts the states it sends, and their ticks. */
async function countStates(
  port: number,
  seconds: number,
): Promise<{ datagrams: number; ticks: number }> {
  let datagrams = 0;
  const ticks = new Set<number>();
  const stillHere = { type: "INPUT", username: "listener", input: "NONE" } as const;
  const listener = await silentPlayer(port, "listener", step05, stillHere, (message) => {
    if (message.type !== "STATE") return;
    datagrams++;
    ticks.add(message.state.tick);
  });
  await sleep(seconds * 1000);
  listener.leave();
  return { datagrams, ticks: ticks.size };
}

export const experiment: Experiment = {
  about:
    "what datagrams delivered twice do: inputs applied twice and false pings (04), copies dropped (05)",
  steps: ["04", "05"],
  seconds: 12,
  async run() {
    progress(
      `step 04: a bot through --lag 50 --jitter 50, without and with --duplicate 30 on both sides, ${SECONDS} s`,
    );
    const copies = [...LAGGY, "--duplicate", "30"];
    const trials: Trial[] = [
      { step: "04", server: LAGGY, client: LAGGY, name: "twice", seconds: SECONDS },
      { step: "04", server: copies, client: copies, name: "twice", seconds: SECONDS },
      { step: "04", client: ["--duplicate", "30"], name: "twice", seconds: SECONDS },
    ];
    const summaries = await playTrials(trials);
    printTable([
      ["network", "sent", "states", "cells moved", "ping p50 / p99"],
      ...[
        { label: "--lag 50 --jitter 50, both", key: "laggy" },
        { label: "the same, and --duplicate 30", key: "copies" },
        { label: "--duplicate 30 on the client only", key: "clientCopies" },
      ].map(({ label, key }, i) => {
        const { sent, states, moves, rttMs } = summaries[i]!;
        if (rttMs.p50 !== null) figure(`${key}.p50`, rttMs.p50);
        return [
          label,
          figure(`${key}.sent`, sent),
          states,
          figure(`${key}.moves`, moves),
          ping(summaries[i]!),
        ];
      }),
    ]);

    progress(
      `step 05: a listener counts the states of a server with --duplicate 30 ${LAGGY.join(" ")}, ${SECONDS} s`,
    );
    const tickServer = await server("05", copies);
    const { datagrams, ticks } = await countStates(tickServer.port, SECONDS);
    figure("tick.states", datagrams);
    figure("tick.ticks", ticks);
    figure("tick.copies", datagrams - ticks);
    console.log(
      `  ${datagrams} states arrived for ${ticks} different ticks: ${datagrams - ticks} were copies`,
    );
  },
};
