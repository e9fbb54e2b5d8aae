/**
 * The figures the READMEs quote from an experiment, and the check that they still hold
 * (`npm run experiment -- --check`). Each such figure carries a marker right after it, an HTML
 * comment that Markdown does not show:
 *
 *     it sent 60 to 95 <!-- check input-changes loss30.sent --> datagrams
 *     both ways: 201 <!-- check input-changes perfect06.states ±5 --> states
 *
 * The marker names the experiment and one of the figures it records (`figure()` in
 * scripts/experiments/lab.ts), or several with a `*` (`crowd.*.corrections`: each must hold).
 * The figure the reader sees is the one the check enforces: a range, `A to B`, holds the
 * measured figure between A and B; a single number holds it within the tolerance the marker
 * writes (none: exactly). So a README edited without the code, or code changed without its
 * README, fails the check.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ROOT, STEPS_DIR, stepFolders } from "./harness/steps.ts";

/** One quoted figure: where it is, what measures it, and what the README allows. */
export interface QuotedFigure {
  /** e.g. steps/06-input-changes/README.md:160 */
  where: string;
  experiment: string;
  figure: string;
  /** the measured figure must lie in [low, high] */
  low: number;
  high: number;
  /** as the README writes it, e.g. "60 to 95" or "201 ±5" */
  quoted: string;
  /** quoted as one number with no tolerance: a count that does not depend on the machine's speed */
  exact: boolean;
}

const NUMBER = String.raw`\d[\d,]*(?:\.\d+)?`;
/** A marker, and the figure right before it: `A to B` or a number. */
const MARKED = new RegExp(
  String.raw`(?:(${NUMBER}) to )?(${NUMBER})\s*<!-- check ([a-z0-9-]+) ([\w.*-]+)(?: ±(${NUMBER}))? -->`,
  "g",
);
/** Any marker at all: one that MARKED does not match is written wrong. */
const MARKER = /<!-- check\b.*?-->/g;

const numberOf = (text: string) => Number(text.replaceAll(",", ""));

/** The quoted figures of one README's text; a marker written wrong is an error. */
export function quotedFigures(text: string, file: string): QuotedFigure[] {
  const found: QuotedFigure[] = [];
  let inFence = false;
  text.split("\n").forEach((written, index) => {
    if (written.startsWith("```")) inFence = !inFence;
    // a marker shown as code, to explain markers, is not one
    const line = inFence ? "" : written.replace(/`[^`]*`/g, "");
    const where = `${file}:${index + 1}`;
    const marked = [...line.matchAll(MARKED)];
    if (marked.length !== [...line.matchAll(MARKER)].length)
      throw new Error(
        `${where}: a check marker must follow its figure: "A to B <!-- check …" or "N <!-- check …"`,
      );
    for (const [, from, value, experiment, figure, tolerance] of marked) {
      const quoted = from
        ? `${from} to ${value}`
        : `${value}${tolerance === undefined ? "" : ` ±${tolerance}`}`;
      const slack = tolerance === undefined ? 0 : numberOf(tolerance);
      const low = from ? numberOf(from) : numberOf(value!) - slack;
      const high = numberOf(value!) + (from ? 0 : slack);
      if (low > high) throw new Error(`${where}: the range ${quoted} is empty`);
      const exact = !from && tolerance === undefined;
      found.push({ where, experiment: experiment!, figure: figure!, low, high, quoted, exact });
    }
  });
  return found;
}

/** Every figure the root README and the step READMEs quote from an experiment. */
export function allQuotedFigures(): QuotedFigure[] {
  const files = [
    join(ROOT, "README.md"),
    ...stepFolders().map((folder) => join(STEPS_DIR, folder, "README.md")),
  ];
  return files.flatMap((file) => quotedFigures(readFileSync(file, "utf8"), relative(ROOT, file)));
}

/** The measured figures a marker names: `crowd.*.corrections` names every bot of a crowd. */
function named(figure: string, measured: Map<string, number>): number[] {
  const pattern = new RegExp(
    `^${figure.replaceAll(".", String.raw`\.`).replaceAll("*", String.raw`\w+`)}$`,
  );
  return [...measured].filter(([name]) => pattern.test(name)).map(([, value]) => value);
}

/** What a quoted figure came to: undefined when it holds, else why not, in one line. */
export function mismatch(quoted: QuotedFigure, measured: Map<string, number>): string | undefined {
  const values = named(quoted.figure, measured);
  if (values.length === 0)
    return `${quoted.where}: ${quoted.experiment} measured no figure ${quoted.figure}`;
  const outside = values.filter((value) => value < quoted.low || value > quoted.high);
  if (outside.length > 0) {
    const measured = outside.map((value) => Number(value.toFixed(2))).join(", ");
    const what = `${quoted.experiment} ${quoted.figure}`;
    return `${quoted.where}: ${what} measured ${measured}, the README says ${quoted.quoted}`;
  }
  return undefined;
}
