/**
 * The bench's rows that the READMEs quote, checked against the committed run
 * (bench/results.md, tests/bench-quotes.test.ts): a README table whose first two
 * columns are `step` and `players` quotes rows of that run, and each of its cells must
 * read as the run wrote it. So a README cannot go on quoting the figures of an older run.
 */

/** The README's names for results.md's columns, where a README spells one out for a reader. */
const COLUMN_NAMES: Record<string, string> = {
  "bytes/s down per player": "down B/s",
  "bytes/s up per player": "up B/s",
  "largest datagram": "largest B",
  "server CPU (% of a core)": "server %",
  "server memory (MB)": "RSS MB",
};

/** A table's rows, as cells, its header first: every run of lines that start with `|`. */
function tablesOf(text: string): string[][][] {
  const tables: string[][][] = [];
  let table: string[][] = [];
  for (const line of [...text.split("\n"), ""]) {
    if (line.startsWith("|")) {
      const cells = line.split("|").slice(1, -1);
      // the line under the header, `| --- | ---: |`, is no row
      if (!cells.every((cell) => /^\s*:?-+:?\s*$/.test(cell)))
        table.push(cells.map((cell) => cell.trim()));
    } else if (table.length > 0) {
      tables.push(table);
      table = [];
    }
  }
  return tables;
}

const isBenchHeader = (header: string[] | undefined) =>
  header?.[0] === "step" && header[1] === "players";

/** A figure as written, without the thousands' commas (a README's `2,483` is results.md's `2483`). */
const figure = (cell: string) => cell.replaceAll(",", "");

/** A README's bench rows, checked: how many it quotes, and what they get wrong, a line each. */
export interface BenchQuotes {
  rows: number;
  problems: string[];
}

/**
 * Checks the bench rows `readme` (the text of `file`) quotes against `results` (results.md's
 * text): every cell of a quoted row must read as the run wrote it, its ⚠ included.
 */
export function checkBenchQuotes(readme: string, file: string, results: string): BenchQuotes {
  const run = tablesOf(results).find(([header]) => isBenchHeader(header));
  if (!run) return { rows: 0, problems: [`${file}: results.md has no table of runs`] };
  const [runHeader, ...runRows] = run as [string[], ...string[][]];
  const runRow = (step: string, players: string) =>
    runRows.find((row) => row[0] === step && row[1] === figure(players));
  const quoted = { rows: 0, problems: [] as string[] };
  const problem = (text: string) => quoted.problems.push(`${file}: ${text}`);
  for (const [header, ...rows] of tablesOf(readme)) {
    if (!isBenchHeader(header)) continue;
    const columns = header!.map((name) => runHeader.indexOf(COLUMN_NAMES[name] ?? name));
    const unknown = header!.filter((_, i) => columns[i] === -1);
    if (unknown.length > 0) problem(`no such column in results.md: ${unknown.join(", ")}`);
    if (header!.length < 3) problem("a table of bench rows quotes no figure");
    for (const row of rows) {
      quoted.rows++;
      const [step = "", players = ""] = row;
      const measured = runRow(step, players);
      if (row.length !== header!.length)
        problem(
          `step ${step}, ${players} players: ${row.length} cells under ${header!.length} columns`,
        );
      else if (!measured) problem(`results.md has no run of step ${step} with ${players} players`);
      else
        row.forEach((cell, i) => {
          const wrote = measured[columns[i]!];
          if (columns[i] !== -1 && figure(cell) !== wrote)
            problem(
              `step ${step}, ${players} players, ${header![i]}: ${cell}, results.md says ${wrote}`,
            );
        });
    }
  }
  return quoted;
}
