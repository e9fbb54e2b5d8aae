/**
 * Every step README reads in a few minutes: its main path (In short, run it, the protocol, watch
 * it, what changed, what goes wrong next) holds at most MAX_MAIN_PATH_WORDS words, so that the
 * whole course reads in about an hour. Defences, exercises and deeper notes go after a
 * `## Going further` heading, which a reader may leave for later; a README without one is all
 * main path.
 *
 * What counts is what the reader sees: prose, tables and code blocks alike (commands,
 * transcripts, traces and diagrams are read too). HTML comments do not count, since Markdown
 * does not show them (the replay and check markers), nor tokens without a letter or a digit
 * (a table's rules and pipes, the `██` of a screen, an arrow), nor a code block's fences.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { STEPS_DIR, stepFolders } from "../scripts/harness/steps.ts";

const MAX_MAIN_PATH_WORDS = 2000;
const GOING_FURTHER = /^## Going further$/m;

/** The words of a README's text before its `## Going further` heading. */
function mainPathWords(readme: string): number {
  const [mainPath = ""] = readme.split(GOING_FURTHER);
  return mainPath
    .replace(/<!--[\s\S]*?-->/g, " ")
    .replace(/^```.*$/gm, " ") // a fence and its language are not shown
    .split(/\s+/)
    .filter((token) => /[\p{L}\p{N}]/u.test(token)).length;
}

describe("mainPathWords", () => {
  it("counts the words before Going further, and not markers or table rules", () => {
    const readme = [
      "# Step 99 — four words", // 4: "—" has no letter
      "<!-- replay: transcript -->",
      "| a | b |", // 2
      "| --- | --- |",
      "```text", // 0
      "> HELLO there", // 2
      "```",
      "## Going further",
      "Many more words that do not count.",
    ].join("\n");
    expect(mainPathWords(readme)).toBe(8);
  });

  it("counts the whole README when it has no Going further", () => {
    expect(mainPathWords("one two\n## Exercises\nthree")).toBe(4);
  });
});

describe.each(stepFolders())("%s/README.md", (folder) => {
  it(`has a main path of at most ${MAX_MAIN_PATH_WORDS} words`, () => {
    const readme = readFileSync(join(STEPS_DIR, folder, "README.md"), "utf8");
    expect(mainPathWords(readme)).toBeLessThanOrEqual(MAX_MAIN_PATH_WORDS);
  });
});
