/**
 * The bench's chart as an SVG drawn by hand: two panels, latency p99 and server
 * CPU against the number of players, one line per step. Player counts grow by
 * ×4, so the x axis is logarithmic; latency spans milliseconds to seconds, so
 * its axis is too. A white background keeps it readable in GitHub's dark mode.
 */
import type { RunResult } from "./figures.ts";

const WIDTH = 960;
const PANEL = { width: 400, height: 270, top: 50, left: [70, 530] };
/** the legend below the panels: three steps to a row, a row this tall */
const LEGEND = { top: 395, columns: 3, columnWidth: 290, rowHeight: 20 };
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
];

interface Point {
  players: number;
  value: number;
}
interface Panel {
  title: string;
  yLabel: string;
  logY: boolean;
  value: (result: RunResult) => number | undefined;
}

const PANELS: Panel[] = [
  {
    title: "Latency p99",
    yLabel: "ms (log scale)",
    logY: true,
    value: (result) => result.figures?.latencyMs.p99,
  },
  {
    title: "Server CPU",
    yLabel: "% of one core",
    logY: false,
    value: (result) => result.figures?.serverCpuPercent,
  },
];

const escape = (text: string) =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
const round = (value: number) => Math.round(value * 10) / 10;

/** Maps a value in [min, max] to [0, 1], on a logarithmic or linear scale. */
function scale(min: number, max: number, log: boolean): (value: number) => number {
  const f = log ? Math.log : (value: number) => value;
  // a single value (one player count, say) goes in the middle
  return (value) => (max === min ? 0.5 : (f(value) - f(min)) / (f(max) - f(min)));
}

/** The y axis's range and ticks: powers of ten for a log axis, five even steps for a linear one. */
function yTicks(values: number[], log: boolean): number[] {
  if (log) {
    const low = Math.floor(Math.log10(Math.max(0.1, Math.min(...values, 1))));
    const high = Math.ceil(Math.log10(Math.max(...values, 10)));
    return Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
  }
  const top = Math.max(...values, 10);
  // a round step (1, 2 or 5 times a power of ten) that gives about five ticks
  const magnitude = 10 ** Math.floor(Math.log10(top / 5));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= top / 5)!;
  return Array.from({ length: Math.ceil(top / step) + 1 }, (_, i) => round(i * step));
}

/** A step's measured points in a panel, by player count; a log axis cannot show 0, so it shows 0.1 instead. */
function pointsOf(panel: Panel, step: string, results: RunResult[]): Point[] {
  return results
    .filter((result) => result.plan.folder === step && panel.value(result) !== undefined)
    .map((result) => ({
      players: result.plan.players,
      value: Math.max(panel.value(result)!, panel.logY ? 0.1 : 0),
    }));
}

/** The panel's frame, title and axis labels. */
function frame(panel: Panel, left: number): string[] {
  const { top, width, height } = PANEL;
  return [
    `<text x="${left + width / 2}" y="${top - 16}" text-anchor="middle" font-size="16" font-weight="bold">${panel.title}</text>`,
    `<rect x="${left}" y="${top}" width="${width}" height="${height}" fill="none" stroke="#888"/>`,
    `<text transform="translate(${left - 50} ${top + height / 2}) rotate(-90)" text-anchor="middle">${panel.yLabel}</text>`,
    `<text x="${left + width / 2}" y="${top + height + 40}" text-anchor="middle">players (log scale)</text>`,
  ];
}

/** One step's line, with a dot on each measured point. */
function line(step: string, colour: string, xy: [number, number][]): string[] {
  return [
    `<polyline class="line" data-step="${escape(step)}" points="${xy.map(([x, y]) => `${x},${y}`).join(" ")}" fill="none" stroke="${colour}" stroke-width="2.5"/>`,
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
  const series = steps.map((step) => ({ step, points: pointsOf(panel, step, results) }));
  const ticks = yTicks(
    series.flatMap(({ points }) => points.map((point) => point.value)),
    panel.logY,
  );
  const x = (players: number) =>
    round(left + 20 + scale(counts[0]!, counts.at(-1)!, true)(players) * (width - 40));
  const y = (value: number) =>
    round(top + height - scale(ticks[0]!, ticks.at(-1)!, panel.logY)(value) * height);
  return [
    ...frame(panel, left),
    ...ticks.flatMap((tick) => [
      `<line x1="${left}" x2="${left + width}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="${left - 6}" y="${y(tick) + 4}" text-anchor="end">${tick}</text>`,
    ]),
    ...counts.map(
      (count) =>
        `<text x="${x(count)}" y="${top + height + 18}" text-anchor="middle">${count}</text>`,
    ),
    ...series.flatMap(({ step, points }, i) =>
      line(
        step,
        COLOURS[i % COLOURS.length]!,
        points.map((point) => [x(point.players), y(point.value)]),
      ),
    ),
  ];
}

/** The chart for the runs in `results`; a run that could not be measured leaves its point out. */
export function chartSvg(results: RunResult[]): string {
  const steps = [...new Set(results.map((result) => result.plan.folder))];
  const counts = [...new Set(results.map((result) => result.plan.players))].sort((a, b) => a - b);
  const legend = steps.map((step, i) => {
    const x = 70 + (i % LEGEND.columns) * LEGEND.columnWidth;
    const y = LEGEND.top + Math.floor(i / LEGEND.columns) * LEGEND.rowHeight;
    const colour = COLOURS[i % COLOURS.length]!;
    return `<line x1="${x}" x2="${x + 24}" y1="${y - 4}" y2="${y - 4}" stroke="${colour}" stroke-width="3"/><text x="${x + 30}" y="${y}">${escape(step)}</text>`;
  });
  const height = LEGEND.top + Math.ceil(steps.length / LEGEND.columns) * LEGEND.rowHeight;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12" fill="#222">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    ...PANELS.flatMap((panel, i) => drawPanel(panel, PANEL.left[i]!, steps, counts, results)),
    ...legend,
    "</svg>",
    "",
  ].join("\n");
}
