/**
 * Sending only the changes (step 06) against sending the input every frame (step 05): the
 * same bot for 10 s on each, then step 06 through 30 % loss both ways and through lag. The
 * step 06 client's trace tells what each INPUT it sent was: a new change, a repeat of a change
 * not acknowledged yet, or a heartbeat; and whether the acks it received ever went down.
 */
import { ackOf } from "../bench/peek.ts";
import {
  type Experiment,
  type TraceLine,
  figure,
  ping,
  playTraced,
  printTable,
  progress,
} from "./lab.ts";

const SECONDS = 10;
const NAME = "dwbot";

interface Run {
  label: string;
  /** the name its figures are recorded under, e.g. loss30.sent */
  key: string;
  step: string;
  network: string[];
}

const RUNS: Run[] = [
  { label: "perfect", key: "perfect05", step: "05", network: [] },
  { label: "perfect", key: "perfect06", step: "06", network: [] },
  { label: "--loss 30, both", key: "loss30", step: "06", network: ["--loss", "30"] },
  {
    label: "--lag 150 --jitter 30, both",
    key: "lag150",
    step: "06",
    network: ["--lag", "150", "--jitter", "30"],
  },
];

/** What the INPUTs of a step 06 client's trace were, and what its acks did. */
function classify(trace: TraceLine[]) {
  const counts = { changes: 0, repeats: 0, heartbeats: 0 };
  let lastSeq = 0;
  let acked = 0;
  let ackDrops = 0;
  const acksSeen = new Set<number>();
  for (const line of trace) {
    const input = /^INPUT \S+ \S+ (\d+)$/.exec(line.text);
    if (line.sent && input) {
      const seq = Number(input[1]);
      if (seq > lastSeq) counts.changes++;
      else if (seq > acked) counts.repeats++;
      else counts.heartbeats++;
      lastSeq = Math.max(lastSeq, seq);
      continue;
    }
    if (line.sent || !line.text.startsWith("STATE ")) continue;
    const ack = ackOf(Buffer.from(line.text), NAME);
    if (ack === undefined) continue;
    if (ack < acked) ackDrops++;
    acked = Math.max(acked, ack);
    acksSeen.add(ack);
  }
  const changesAcked = [...acksSeen].filter((seq) => seq > 0).length;
  return { ...counts, changesAcked, ackDrops };
}

export const experiment: Experiment = {
  about:
    "datagrams a bot sends in 10 s, step 05 against 06, and what 06's are, through loss and lag",
  steps: ["06"],
  seconds: 12,
  async run() {
    progress(`${RUNS.length} bots named ${NAME} side by side, ${SECONDS} s each`);
    const results = await Promise.all(
      RUNS.map(({ step, network }) =>
        playTraced(
          { step, server: network, client: network, name: NAME, seconds: SECONDS },
          "client",
        ),
      ),
    );
    printTable([
      ["network", "step", "sent", "changes", "repeats", "heartbeats", "states", "ping p50 / p99"],
      ...results.map(({ summary, trace }, i) => {
        const { label, key, step } = RUNS[i]!;
        const kinds = step === "06" ? classify(trace) : undefined;
        const counted = (name: string, value: number | undefined) =>
          value === undefined ? "" : figure(`${key}.${name}`, value);
        counted("p50", summary.rttMs.p50 ?? undefined);
        counted("p99", summary.rttMs.p99 ?? undefined);
        return [
          label,
          step,
          counted("sent", summary.sent),
          counted("changes", kinds?.changes),
          counted("repeats", kinds?.repeats),
          counted("heartbeats", kinds?.heartbeats),
          counted("states", summary.states),
          ping(summary),
        ];
      }),
    ]);
    const lossy = classify(results[2]!.trace);
    const acks = lossy.ackDrops > 0 ? `went down ${lossy.ackDrops} times` : "never went down";
    figure("loss30.unacked", lossy.changes - lossy.changesAcked);
    figure("loss30.ackDrops", lossy.ackDrops);
    console.log(
      `  through 30 % loss: ${lossy.changesAcked} of ${lossy.changes} changes showed as an ack, and the acks ${acks}`,
    );
    console.log(
      "  (sent counts the CONNECTED, the INPUTs and the DISCONNECT; a change replaced before its ack may never show as one)",
    );
  },
};
