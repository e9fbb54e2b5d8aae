/**
 * `npm run bench`, smoke-tested: the real bench, as a process, on steps 02 and
 * 03 with two players for one second. It checks the table's shape and that its
 * figures are plausible, not how fast this machine is.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../lib/steps.ts";

const STEPS = ["02-tcp-squares", "03-tcp-persistent"];

/** The Markdown table's rows as cells: header first, then one row per run (the --- row left out). */
function tableRows(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("|") && !line.startsWith("| ---"))
    .map((line) =>
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
}

/** A figure as a number: "~61 ⚠" is 61; "–" (not measured) is NaN, which every range check fails. */
const figure = (cell: string) => Number(cell.replace(/[~⚠\s]/g, ""));

describe("npm run bench", () => {
  const out = mkdtempSync(join(tmpdir(), "bench-test-"));
  let stdout = "";

  beforeAll(async () => {
    const args = [
      "--import",
      "tsx",
      "scripts/bench.ts",
      "--steps",
      "02,03",
      "--players",
      "2",
      "--seconds",
      "1",
      "--out",
      out,
    ];
    ({ stdout } = await promisify(execFile)(process.execPath, args, {
      cwd: ROOT,
      timeout: 55_000,
    }));
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("prints a Markdown table with a row per step and player count", () => {
    const [header, ...rows] = tableRows(stdout);
    expect(header).toEqual(
      expect.arrayContaining([
        "step",
        "players",
        "p50 (ms)",
        "p99 (ms)",
        "server CPU (%)",
        "msg/s up",
        "msg/s down",
        "failed bots",
      ]),
    );
    expect(rows.map((row) => [row[0], row[1]])).toEqual(STEPS.map((step) => [step, "2"]));
    for (const row of rows) expect(row).toHaveLength(header!.length);
  });

  it("measures figures in sane ranges, with no failed bot", () => {
    const [header, ...rows] = tableRows(stdout);
    const column = (row: string[], name: string) => figure(row[header!.indexOf(name)]!);
    for (const row of rows) {
      expect(column(row, "p50 (ms)")).toBeGreaterThan(0);
      expect(column(row, "p99 (ms)")).toBeGreaterThanOrEqual(column(row, "p50 (ms)"));
      expect(column(row, "p99 (ms)")).toBeLessThan(1000);
      expect(column(row, "server CPU (%)")).toBeGreaterThanOrEqual(0);
      expect(column(row, "server CPU (%)")).toBeLessThanOrEqual(200);
      expect(column(row, "server memory (MB)")).toBeGreaterThan(10);
      expect(column(row, "msg/s up")).toBeGreaterThan(0);
      expect(column(row, "msg/s down")).toBeGreaterThan(0);
      expect(column(row, "bytes/s up")).toBeGreaterThan(0);
      expect(column(row, "bytes/s down")).toBeGreaterThan(0);
      expect(column(row, "largest STATE (bytes)")).toBeGreaterThan(0);
      expect(row.at(-1)).toBe("0");
    }
  });

  it("sees step 02 open a connection per message, and step 03 keep one open", () => {
    const [header, ...rows] = tableRows(stdout);
    const connections = rows.map((row) => figure(row[header!.indexOf("connections/s")]!));
    expect(connections[0]).toBeGreaterThan(5);
    expect(connections[1]).toBe(0);
  });

  it("writes results.md and a chart with a line per step into --out", () => {
    expect(readFileSync(join(out, "results.md"), "utf8")).toContain("| step | players |");
    const svg = readFileSync(join(out, "chart.svg"), "utf8");
    expect(svg).toContain("<svg");
    for (const step of STEPS)
      expect(svg.match(new RegExp(`<polyline[^>]*data-step="${step}"`, "g"))).toHaveLength(2); // one per panel
  });
});
