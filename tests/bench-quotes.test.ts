/**
 * The bench rows the READMEs quote are the committed run's (scripts/bench/quotes.ts): a new
 * run of `npm run bench` that changes a figure a README quotes fails here until the README
 * quotes it again.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, STEPS_DIR, stepFolders } from "../scripts/harness/steps.ts";
import { benchQuoteMismatches } from "../scripts/bench/quotes.ts";

const results = readFileSync(join(ROOT, "bench", "results.md"), "utf8");
const readmes = [
  join(ROOT, "README.md"),
  join(ROOT, "bench", "README.md"),
  ...stepFolders().map((folder) => join(STEPS_DIR, folder, "README.md")),
];

describe("the bench rows the READMEs quote", () => {
  it.each(readmes.map((path) => relative(ROOT, path)))("%s quotes the committed run", (file) => {
    const readme = readFileSync(join(ROOT, file), "utf8");
    expect(benchQuoteMismatches(readme, file, results)).toEqual([]);
  });

  it("finds a row quoted from another run, a run that is not there, and a column results.md has not", () => {
    const run = [
      "| step | players | states/s | down B/s | server % |",
      "| ---- | ------- | -------: | -------: | -------: |",
      "| 10   | 1000    |     20 |     2596 |       40 |",
      "| 10   | 1999 of 2000 | 16.8 ⚠ | 2980 | 79.2 |",
    ].join("\n");
    const quoting = (
      rows: string[],
      header = "| step | players | bytes/s down per player | server % |",
    ) =>
      ["Some prose.", "", header, "| --- | --- | --- | --- |", ...rows, "", "More prose."].join(
        "\n",
      );
    expect(benchQuoteMismatches(quoting(["| 10 | 1000 | 2,596 | 40 |"]), "A.md", run)).toEqual([]);
    expect(
      benchQuoteMismatches(quoting(["| 10 | 1999 of 2000 | 2,980 | 79.2 |"]), "A.md", run),
    ).toEqual([]);
    expect(benchQuoteMismatches(quoting(["| 10 | 1000 | 2,503 | 40 |"]), "A.md", run)).toEqual([
      "A.md: step 10, 1000 players, bytes/s down per player: 2,503, results.md says 2596",
    ]);
    expect(benchQuoteMismatches(quoting(["| 11 | 1000 | 2,390 | 34 |"]), "A.md", run)).toEqual([
      "A.md: results.md has no run of step 11 with 1000 players",
    ]);
    const cpuTime = "| step | players | CPU seconds | server % |";
    expect(benchQuoteMismatches(quoting(["| 10 | 1000 | 8 | 40 |"], cpuTime), "A.md", run)).toEqual(
      ["A.md: no such column in results.md: CPU seconds"],
    );
  });
});
