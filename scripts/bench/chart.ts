/**
 * The bench's charts as SVG drawn by hand: each a panel or two of one figure
 * against the number of players, one line per step. Player counts grow by
 * factors of 2 to 16, so the x axis is logarithmic. A white background keeps
 * the charts readable in GitHub's dark mode.
 */
import { round1 } from "../../lib/stats.ts";
import type { RunResult } from "./figures.ts";
import { SAFE_DATAGRAM_BYTES } from "./report.ts";
import { BENCHED_STEPS } from "./steps.ts";

const PANEL = { width: 400, height: 270, top: 50, left: 80, gap: 490 };
/** the legend below the panels: two steps to a row under each panel, a row this tall */
const LEGEND = { top: 395, columnsPerPanel: 2, columnWidth: 220, rowHeight: 20 };
/** colours that stay apart on white, one per step */
const COLOURS = [
  "#1f77b4",
  "#d62728",
  "#2ca02c",
  "#9467bd",
  "#ff7f0e",
  "#8c564b",
  "#e377c2",
  "#17becf",
  "#bcbd22",
  "#7f7f7f",
];

/** The floor's line: grey and dashed, apart from every step's colour. */
const FLOOR_LINE = "floor";
const FLOOR_COLOUR = "#7f7f7f";

/** The newest step that has floor rows in `results`: its floor is the one a chart draws. */
function newestFloorStep(results: RunResult[]): string | undefined {
  return results.filter(({ plan }) => plan.floorBytes !== undefined).at(-1)?.plan.step;
}

interface Panel {
  title: string;
  yLabel: string;
  logY: boolean;
  value: (result: RunResult) => number | null | undefined;
  /** the steps whose lines the panel draws (default: every step) */
  shows?: (step: string) => boolean;
  /** a horizontal line across the panel, with its label */
  limit?: { value: number; label: string };
  /** also a dashed line for the floor (floor.ts) of the newest step measured with one */
  floor?: boolean;
}

interface Chart {
  file: string;
  /** the text a reader sees instead of the image */
  alt: string;
  panels: Panel[];
}

const udp = (step: string) => BENCHED_STEPS[step]?.transport === "udp";
const latencyIs = (latency: string) => (step: string) => BENCHED_STEPS[step]?.latency === latency;

export const CHARTS: Chart[] = [
  {
    file: "bytes-down.svg",
    alt: "Bytes a second each player receives, against the number of players, log–log",
    panels: [
      {
        title: "Bytes/s down per player",
        yLabel: "bytes a second (log scale)",
        logY: true,
        value: (result) => result.figures?.bytesPerSecond.down,
      },
    ],
  },
  {
    file: "largest-datagram.svg",
    alt: "The largest datagram a player received against the number of players, with the 1,200-byte line",
    panels: [
      {
        title: "Largest datagram received",
        yLabel: "bytes (log scale)",
        logY: true,
        value: (result) => result.figures?.largestMessageBytes,
        shows: udp,
        limit: {
          value: SAFE_DATAGRAM_BYTES,
          label: `${SAFE_DATAGRAM_BYTES} B: one datagram, safely`,
        },
      },
    ],
  },
  {
    file: "server-cpu.svg",
    alt: "The server's CPU against the number of players",
    panels: [
      {
        title: "Server CPU",
        yLabel: "% of one core",
        logY: false,
        value: (result) => result.figures?.serverCpuPercent,
        floor: true,
      },
    ],
  },
  {
    file: "latency.svg",
    alt:
      "The probes' p99 latency against the number of players: a request's round trip (02–04), " +
      "and input to state shown (05 on)",
    panels: [
      {
        title: "Round trip p99 (02–04)",
        yLabel: "ms (log scale)",
        logY: true,
        value: (result) => result.figures?.latencyMs.p99,
        shows: latencyIs("round trip"),
      },
      {
        title: "Input to state shown p99 (05 on)",
        yLabel: "ms (log scale)",
        logY: true,
        value: (result) => result.figures?.latencyMs.p99,
        shows: latencyIs("input to state shown"),
      },
    ],
  },
];

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

/** Maps a value in [min, max] to [0, 1], on a logarithmic or linear scale. */
function scale(min: number, max: number, log: boolean): (value: number) => number {
  const f = log ? Math.log : (value: number) => value;
  // a single value (one player count, say) goes in the middle
  return (value) => (max === min ? 0.5 : (f(value) - f(min)) / (f(max) - f(min)));
}

/**
 * The y axis's range and ticks: the powers of ten around the
 * values for a log axis, five even steps for a linear one.
 */
function yTicks(values: number[], log: boolean): number[] {
  if (log) {
    // a panel with no point yet (no step of its kind measured) still gets an axis
    const [min, max] = values.length > 0 ? [Math.min(...values), Math.max(...values)] : [1, 10];
    const low = Math.floor(Math.log10(Math.max(0.1, min)));
    const high = Math.max(low + 1, Math.ceil(Math.log10(max)));
    return Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
  }
  const top = Math.max(...values, 10);
  // a round step (1, 2 or 5 times a power of ten) that gives about five ticks
  const magnitude = 10 ** Math.floor(Math.log10(top / 5));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= top / 5)!;
  return Array.from({ length: Math.ceil(top / step) + 1 }, (_, i) => round1(i * step));
}

/** A tick's number, short enough to stay clear of the axis's label: 10k, 1M. */
const tickLabel = (value: number) =>
  value >= 1e6 ? `${value / 1e6}M` : value >= 1e4 ? `${value / 1e3}k` : String(value);

/**
 * A step's points in a panel: (players in the game, value);
 * a log axis cannot show 0, so it shows 0.1 instead.
 */
function pointsOf(panel: Panel, step: string, results: RunResult[], floor = false) {
  return results.flatMap((result) => {
    const value = panel.value(result);
    if (result.plan.step !== step || (result.plan.floorBytes !== undefined) !== floor) return [];
    if (value === null || value === undefined) return [];
    return [{ players: result.seated, value: Math.max(value, panel.logY ? 0.1 : 0) }];
  });
}

/** The panel's frame, title and axis labels. */
function frame(panel: Panel, left: number): string[] {
  const { top, width, height } = PANEL;
  return [
    `<text x="${left + width / 2}" y="${top - 16}" text-anchor="middle" font-size="16" ` +
      `font-weight="bold">${escape(panel.title)}</text>`,
    `<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#888"/>`,
    `<text transform="translate(${left - 58} ${top + height / 2}) rotate(-90)" ` +
      `text-anchor="middle">${escape(panel.yLabel)}</text>`,
    `<text x="${left + width / 2}" y="${top + height + 40}" text-anchor="middle">players (log scale)</text>`,
  ];
}

/** One step's line, with a dot on each measured point; the floor's dashed. */
function line(step: string, colour: string, xy: [number, number][]): string[] {
  const dashes = step === FLOOR_LINE ? ` stroke-dasharray="6 4"` : "";
  return [
    `<polyline class="line" data-step="${escape(step)}" ` +
      `points="${xy.map(([x, y]) => `${x},${y}`).join(" ")}" ` +
      `fill="none" stroke="${colour}" stroke-width="2.5"${dashes}/>`,
    ...xy.map(([x, y]) => `<circle cx="${x}" cy="${y}" r="3.5" fill="${colour}"/>`),
  ];
}

function drawPanel(
  panel: Panel,
  left: number,
  steps: string[],
  counts: number[],
  results: RunResult[],
): string[] {
  const { top, width, height } = PANEL;
  const series = steps
    .map((step, i) => ({
      step,
      colour: COLOURS[i % COLOURS.length]!,
      points: pointsOf(panel, step, results),
    }))
    .filter(({ step }) => panel.shows?.(step) ?? true);
  const floorStep = newestFloorStep(results);
  if (panel.floor && floorStep)
    series.push({
      step: FLOOR_LINE,
      colour: FLOOR_COLOUR,
      points: pointsOf(panel, floorStep, results, true),
    });
  const values = series.flatMap(({ points }) => points.map((point) => point.value));
  const ticks = yTicks(panel.limit ? [...values, panel.limit.value] : values, panel.logY);
  const x = (players: number) =>
    round1(left + 20 + scale(counts[0]!, counts.at(-1)!, true)(players) * (width - 40));
  const y = (value: number) =>
    round1(top + height - scale(ticks[0]!, ticks.at(-1)!, panel.logY)(value) * height);
  const limit = panel.limit && [
    `<line x1="${left}" x2="${left + width}" y1="${y(panel.limit.value)}" y2="${y(panel.limit.value)}" ` +
      `stroke="#d62728" stroke-dasharray="6 4"/>`,
    `<text x="${left + 6}" y="${y(panel.limit.value) - 6}" fill="#d62728">${escape(panel.limit.label)}</text>`,
  ];
  return [
    ...frame(panel, left),
    ...ticks.flatMap((tick) => [
      `<line x1="${left}" x2="${left + width}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${tickLabel(tick)}</text>`,
    ]),
    ...counts.map(
      (count) =>
        `<text x="${x(count)}" y="${top + height + 18}" text-anchor="middle">${count}</text>`,
    ),
    ...(limit ?? []),
    ...series.flatMap(({ step, colour, points }) =>
      line(
        step,
        colour,
        points.map((point) => [x(point.players), y(point.value)]),
      ),
    ),
  ];
}

/** One chart for the runs in `results`; a run that could not be measured leaves its point out. */
export function chartSvg(chart: Chart, results: RunResult[]): string {
  const steps = [...new Set(results.map((result) => result.plan.step))];
  const floorStep = newestFloorStep(results);
  const shown = steps.filter((step) => chart.panels.some((panel) => panel.shows?.(step) ?? true));
  const folders = new Map(results.map((result) => [result.plan.step, result.plan.folder]));
  const counts = [...new Set(results.map((result) => result.plan.players))].sort((a, b) => a - b);
  const width = PANEL.left + chart.panels.length * PANEL.gap;
  const columns = LEGEND.columnsPerPanel * chart.panels.length;
  const entries = shown.map((step) => ({
    colour: COLOURS[steps.indexOf(step) % COLOURS.length]!,
    label: folders.get(step)!,
    dashes: "",
  }));
  if (floorStep && chart.panels.some((panel) => panel.floor))
    entries.push({
      colour: FLOOR_COLOUR,
      label: `floor: only the network, of step ${floorStep}'s traffic`,
      dashes: ` stroke-dasharray="6 4"`,
    });
  const legend = entries.map(({ colour, label, dashes }, i) => {
    const x = PANEL.left + (i % columns) * LEGEND.columnWidth;
    const y = LEGEND.top + Math.floor(i / columns) * LEGEND.rowHeight;
    const swatch =
      `<line x1="${x}" x2="${x + 24}" y1="${y - 4}" y2="${y - 4}" ` +
      `stroke="${colour}" stroke-width="3"${dashes}/>`;
    return `${swatch}<text x="${x + 30}" y="${y}">${escape(label)}</text>`;
  });
  const height = LEGEND.top + Math.ceil(entries.length / columns) * LEGEND.rowHeight;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
      `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12" fill="#222">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    ...chart.panels.flatMap((panel, i) =>
      drawPanel(panel, PANEL.left + i * PANEL.gap, steps, counts, results),
    ),
    ...legend,
    "</svg>",
    "",
  ].join("\n");
}
