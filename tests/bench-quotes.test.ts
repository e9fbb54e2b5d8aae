/**
 * The bench rows the READMEs quote are the committed run's (scripts/bench/quotes.ts): a new
 * run of `npm run bench` that changes a figure a README quotes fails here until the README
 * quotes it again.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, STEPS_DIR, stepFolders } from "../scripts/harness/steps.ts";
import { checkBenchQuotes } from "../scripts/bench/quotes.ts";

const results = readFileSync(join(ROOT, "bench", "results.md"), "utf8");

/**
 * The READMEs that quote the bench, and how many rows each (the others none): a table whose header
 * is renamed out of the check fails here.
 */
const QUOTING: Record<string, number> = {
  "README.md": 10,
  "steps/09-lantern-interest/README.md": 8,
  "steps/10-delta-snapshots/README.md": 7,
  "steps/11-input-buffer/README.md": 4,
  "steps/13-bits-on-the-wire/README.md": 2,
};

describe("the bench rows the READMEs quote", () => {
  const readmes = [
    join(ROOT, "README.md"),
    join(ROOT, "bench", "README.md"),
    ...stepFolders().map((folder) => join(STEPS_DIR, folder, "README.md")),
  ].map((path) => relative(ROOT, path));

  it.each(readmes)("%s quotes the committed run", (file) => {
    const readme = readFileSync(join(ROOT, file), "utf8");
    expect(checkBenchQuotes(readme, file, results)).toEqual({
      rows: QUOTING[file] ?? 0,
      problems: [],
    });
  });

  it("finds a row of another run, a run that is not there, a column results.md has not, a short row", () => {
    const run = [
      "| step | players      | states/s | down B/s | server % |",
      "| ---- | ------------ | -------: | -------: | -------: |",
      "| 10   | 1000         |       20 |     2596 |       40 |",
      "| 10   | 1999 of 2000 |   16.8 ⚠ |     2980 |     79.2 |",
    ].join("\n");
    const quoting = (
      rows: string[],
      header = "| step | players | states/s | bytes/s down per player |",
    ) =>
      ["Some prose.", "", header, "| :--- | ---: | ---: | ---: |", ...rows, "", "More prose."].join(
        "\n",
      );
    const check = (rows: string[], header?: string) =>
      checkBenchQuotes(quoting(rows, header), "A.md", run);
    expect(
      check(["| 10 | 1,000 | 20 | 2,596 |", "| 10 | 1999 of 2000 | 16.8 ⚠ | 2,980 |"]),
    ).toEqual({
      rows: 2,
      problems: [],
    });
    expect(check(["| 10 | 1000 | 20 | 2,503 |"]).problems).toEqual([
      "A.md: step 10, 1000 players, bytes/s down per player: 2,503, results.md says 2596",
    ]);
    expect(check(["| 10 | 1999 of 2000 | 16.8 | 2,980 |"]).problems).toEqual([
      "A.md: step 10, 1999 of 2000 players, states/s: 16.8, results.md says 16.8 ⚠",
    ]);
    expect(check(["| 11 | 1000 | 20 | 2,390 |"]).problems).toEqual([
      "A.md: results.md has no run of step 11 with 1000 players",
    ]);
    expect(check(["| 10 | 1000 | 20 |"]).problems).toEqual([
      "A.md: step 10, 1000 players: 3 cells under 4 columns",
    ]);
    expect(
      check(["| 10 | 1000 | 8 | 40 |"], "| step | players | CPU seconds | server % |").problems,
    ).toEqual(["A.md: no such column in results.md: CPU seconds"]);
  });
});
