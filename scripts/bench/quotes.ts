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
      if (!cells.every((cell) => /^\s*-+\s*$/.test(cell)))
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

/** A figure as written, without the thousands' commas and the ⚠ results.md puts after a shortfall. */
const figure = (cell: string) => cell.replaceAll(",", "").replace("⚠", "").trim();

/**
 * What a README's quoted bench rows get wrong against `results` (results.md's text): one line
 * each, with `file` and the row; none when every quoted cell is the run's.
 */
export function benchQuoteMismatches(readme: string, file: string, results: string): string[] {
  const run = tablesOf(results).find(([header]) => isBenchHeader(header));
  if (!run) return [`${file}: results.md has no table of runs`];
  const [runHeader, ...runRows] = run as [string[], ...string[][]];
  const runRow = (step: string, players: string) =>
    runRows.find((row) => row[0] === step && row[1] === players);
  const problems: string[] = [];
  for (const [header, ...rows] of tablesOf(readme)) {
    if (!isBenchHeader(header)) continue;
    const columns = header!.map((name) => runHeader.indexOf(COLUMN_NAMES[name] ?? name));
    const unknown = header!.filter((_, i) => columns[i] === -1);
    if (unknown.length > 0)
      problems.push(`${file}: no such column in results.md: ${unknown.join(", ")}`);
    for (const row of rows) {
      const [step = "", players = ""] = row;
      const measured = runRow(step, players);
      if (!measured) {
        problems.push(`${file}: results.md has no run of step ${step} with ${players} players`);
        continue;
      }
      row.forEach((cell, i) => {
        const wrote = measured[columns[i]!];
        if (columns[i] !== -1 && figure(cell) !== figure(wrote ?? ""))
          problems.push(
            `${file}: step ${step}, ${players} players, ${header![i]}: ${cell}, results.md says ${wrote}`,
          );
      });
    }
  }
  return problems;
}
