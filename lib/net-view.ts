/**
 * The network made visible (`--net`, or the key n, step 05 on), as Source's net_graph and the
 * prediction playgrounds show it: the datagrams and bytes a second each way, the ticks the
 * states skipped (loss, as the client sees it), the round trip, and, where a step has them, the
 * inputs not yet acknowledged (06 on), how far in the past the others are drawn and how often
 * the prediction was corrected (07 on), and how early the server had the inputs it applied,
 * with how far ahead of it the client's clock runs (where inputs wait in a buffer for their
 * tick). On the map, a faint square marks where the server last had a square that is drawn
 * elsewhere: yours, predicted ahead of it; the others, drawn behind. Where the server judges the
 * ghost's tags at the tick its screen showed (step 12), the last attempt is marked for a few
 * seconds, as Colyseus's lag-compensation playground does: blue where you saw the human, green
 * where the server rewound them to, red where they really were.
 *
 * The traffic is counted where --trace writes its lines (lib/netsim.ts tells both), so the
 * figures here are the trace's lines counted: the two always agree on the same run.
 */
import type { OptionSpecs } from "./args.ts";
import type { Position } from "./map.ts";
import type { DatagramWatch } from "./netsim.ts";
import { EVENT_MS } from "./score.ts";
import type { GameState, PlayerState } from "./state.ts";
import { byteLength, type Message } from "./trace.ts";

/** The option every UDP client from step 05 on takes, spread into its own: `...NET_VIEW_OPTIONS`. */
export const NET_VIEW_OPTIONS = {
  net: {
    type: "boolean",
    default: false,
    description:
      "show the network from the start: traffic, loss, round trip… (n shows and hides it)",
  },
} satisfies OptionSpecs;

/** A tag attempt as the --net view marks it: where its human was, by whose account. */
export interface TagMarks {
  /** where your screen showed them when you stepped there: blue */
  seen: Position | undefined;
  /** where the server rewound them to, at the tick your screen showed: green */
  rewound: Position;
  /** where they really were as you moved: red; undefined if they had left */
  real: Position | undefined;
  /** the attempt in words, for the view's lines: "tag: seen 9 ticks back … tagged" */
  words: string;
}

/** One cell marked on the map, and by whose account the human stood there. */
export interface Marker {
  at: Position;
  kind: "seen" | "rewound" | "real";
}

interface Traffic {
  datagrams: number;
  bytes: number;
}

interface Counts {
  sent: Traffic;
  received: Traffic;
  /** the states shown, and the ticks skipped between them: lost, or still late when shown */
  ticksShown: number;
  ticksMissed: number;
}

/** The whole run's counts, in a bot's summary: the trace's lines of the same run, counted. */
export type NetTotals = Counts & {
  corrections?: number;
};

const noCounts = (): Counts => ({
  sent: { datagrams: 0, bytes: 0 },
  received: { datagrams: 0, bytes: 0 },
  ticksShown: 0,
  ticksMissed: 0,
});

export class NetView implements DatagramWatch {
  /** inputs sent and not yet acknowledged: a step with acks (06 on) keeps it up to date */
  unacknowledged: number | undefined;
  /** a step that predicts its own square (07 on) attaches its prediction: corrections, own shadow */
  prediction: { readonly corrections: { count: number; cells: number } } | undefined;
  /** a step that draws the others in the past (07 on) attaches its interpolation */
  interpolation: { behindMs(now: number): number | undefined } | undefined;
  /**
   * a step whose inputs wait in a server's buffer for their tick attaches its input clock: the
   * tick its next input is for, and how many ticks early the server had the newest state's input
   * (-1: it had none in time)
   */
  inputClock: { readonly tick: number; readonly early: number | undefined } | undefined;

  private readonly total = noCounts();
  private thisSecond = noCounts();
  /** the counts of the last whole second: the rates shown */
  private lastSecond = noCounts();
  private newestTick: number | undefined;
  private roundTripMs: number | undefined;
  private tag: { marks: TagMarks; at: number } | undefined;

  constructor(
    /** drawn or not: --net starts it shown, the key n shows and hides it */
    public shown: boolean,
  ) {}

  sent(message: Message): void {
    for (const counts of [this.total, this.thisSecond]) add(counts.sent, message);
  }

  received(message: Message): void {
    for (const counts of [this.total, this.thisSecond]) add(counts.received, message);
  }

  /** A state was shown: a tick beyond the next one means the ticks between were not. */
  stateShown(tick: number | undefined): void {
    if (tick === undefined || (this.newestTick !== undefined && tick <= this.newestTick)) return;
    const missed = this.newestTick === undefined ? 0 : tick - this.newestTick - 1;
    this.newestTick = tick;
    for (const counts of [this.total, this.thisSecond]) {
      counts.ticksShown++;
      counts.ticksMissed += missed;
    }
  }

  /** The newest round trip measured (the ping of the status line). */
  roundTrip(ms: number): void {
    this.roundTripMs = ms;
  }

  /** The server judged a tag attempt of ours at `now`: marked for EVENT_MS. */
  tagJudged(marks: TagMarks, now: number): void {
    this.tag = { marks, at: now };
  }

  /** The last tag attempt's cells, while it is recent: the human seen, rewound, and real. */
  markers(now: number): Marker[] {
    const marks = this.recentTag(now);
    if (!marks) return [];
    const { seen, rewound, real } = marks;
    const cells: [Position | undefined, Marker["kind"]][] = [
      [real, "real"],
      [rewound, "rewound"],
      [seen, "seen"],
    ];
    return cells.flatMap(([at, kind]) => (at ? [{ at, kind }] : []));
  }

  private recentTag(now: number): TagMarks | undefined {
    return this.tag && now - this.tag.at < EVENT_MS ? this.tag.marks : undefined;
  }

  /** Call once a second: the rates shown are those of the last whole second. */
  secondPassed(): void {
    this.lastSecond = this.thisSecond;
    this.thisSecond = noCounts();
  }

  /** The lines drawn under the message line: the traffic, then what the step adds to it. */
  lines(now: number): string[] {
    const { sent, received, ticksShown, ticksMissed } = this.lastSecond;
    const ticks = ticksShown + ticksMissed;
    const rtt = this.roundTripMs === undefined ? "–" : `${Math.round(this.roundTripMs)} ms`;
    const traffic = [
      `net  in ${rate(received)}`,
      `out ${rate(sent)}`,
      `lost ${ticksMissed} of ${plural(ticks, "tick")}`,
      `rtt ${rtt}`,
    ];
    const lesson: string[] = [];
    if (this.unacknowledged !== undefined) lesson.push(`unacked ${this.unacknowledged}`);
    if (this.interpolation) {
      const behindMs = this.interpolation.behindMs(now);
      lesson.push(`others drawn ${behindMs === undefined ? "–" : Math.round(behindMs)} ms back`);
    }
    if (this.inputClock) lesson.push(...inputTiming(this.inputClock, this.newestTick));
    if (this.prediction) {
      const { count, cells } = this.prediction.corrections;
      lesson.push(`${plural(count, "fix", "fixes")} (${plural(cells, "cell")})`);
    }
    if (this.prediction || this.interpolation) lesson.push("faint = server");
    const lines = [traffic.join(" · ")];
    if (lesson.length > 0) lines.push(`     ${lesson.join(" · ")}`);
    const tag = this.recentTag(now);
    if (tag) lines.push(`     ${tag.words} · blue = seen, green = rewound, red = real`);
    return lines;
  }

  /**
   * The squares of the server's state that are drawn elsewhere: your own where the step predicts
   * it, the others' where it interpolates them. Each is drawn faint where the server has it.
   */
  shadows(server: GameState, drawn: GameState, you: string): PlayerState[] {
    const drawnAt = new Map<string, Position>(drawn.players.map((square) => [square.name, square]));
    return server.players.filter((square) => {
      const shadowed = square.name === you ? this.prediction : this.interpolation;
      const at = drawnAt.get(square.name);
      return shadowed !== undefined && at !== undefined && (at.x !== square.x || at.y !== square.y);
    });
  }

  totals(): NetTotals {
    const { sent, received, ticksShown, ticksMissed } = this.total;
    const corrections = this.prediction?.corrections.count;
    return {
      sent: { ...sent },
      received: { ...received },
      ticksShown,
      ticksMissed,
      ...(corrections === undefined ? {} : { corrections }),
    };
  }
}

/** "inputs 2 ticks early · clock 6 ticks ahead": the server's buffer, as its reports say it. */
function inputTiming(
  { tick, early }: NonNullable<NetView["inputClock"]>,
  newestTick: number | undefined,
): string[] {
  const arrived =
    early === undefined
      ? "inputs early –"
      : early < 0
        ? "input missed its tick"
        : `inputs ${plural(early, "tick")} early`;
  const ahead = newestTick === undefined ? "–" : plural(tick - newestTick, "tick");
  return [arrived, `clock ${ahead} ahead`];
}

function add(traffic: Traffic, message: Message): void {
  traffic.datagrams++;
  traffic.bytes += byteLength(message);
}

/** "20/s 1148 B/s": datagrams and bytes a second; kB from 10 000 bytes on. */
function rate({ datagrams, bytes }: Traffic): string {
  const volume = bytes < 10_000 ? `${bytes} B` : `${(bytes / 1000).toFixed(1)} kB`;
  return `${datagrams}/s ${volume}/s`;
}

const plural = (count: number, noun: string, nouns = `${noun}s`) =>
  `${count} ${count === 1 ? noun : nouns}`;
