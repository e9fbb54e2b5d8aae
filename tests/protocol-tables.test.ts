/**
 * Every step's README shows its protocol as a table, and its protocol.ts opens with the same
 * grammar, one message a line. The two must agree: every message of the grammar is written,
 * word for word, in the table, and the table names no message the grammar does not have.
 */
import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";

const STEPS = new URL("../steps/", import.meta.url);
const folders = readdirSync(STEPS).filter((folder) =>
  readdirSync(new URL(`${folder}/`, STEPS)).includes("protocol.ts"),
);

/** The message lines of a protocol.ts's header comment: ` *   client → server  CONNECTED <username>`. */
function grammarOf(folder: string): string[] {
  const source = readFileSync(new URL(`${folder}/protocol.ts`, STEPS), "utf8");
  return [...source.matchAll(/^ \* {3}(?:client → server|server → client) {2}(.+)$/gm)].map(
    (match) => match[1]!,
  );
}

/** The code spans of the first table under the README's "## The protocol", `\|` read as `|`. */
function tableOf(folder: string): string[] {
  const readme = readFileSync(new URL(`${folder}/README.md`, STEPS), "utf8");
  const section = readme.split(/^## The protocol$/m)[1] ?? "";
  const lines = section.split("\n");
  const start = lines.findIndex((line) => line.startsWith("|"));
  const end = lines.findIndex((line, index) => index > start && !line.startsWith("|"));
  const rows = lines.slice(start + 2, end === -1 ? undefined : end); // after the header and its rule
  return rows.flatMap((row) =>
    [...row.replaceAll("\\|", "|").matchAll(/`([^`]+)`/g)].map((match) => match[1]!),
  );
}

/** A message's kind: its first word, e.g. CONNECTED. */
const kindOf = (message: string) => message.split(" ")[0]!;
/** Every kind of message some step speaks: a code span that starts with one is a message. */
const KINDS = new Set(folders.flatMap((folder) => grammarOf(folder).map(kindOf)));

describe.each(folders)("%s", (folder) => {
  const grammar = grammarOf(folder);
  const table = tableOf(folder);

  it("has a grammar in its protocol.ts and a protocol table in its README", () => {
    expect(grammar.length).toBeGreaterThan(0);
    expect(table.length).toBeGreaterThan(0);
  });

  it("shows every message of its grammar in its README's table, word for word", () => {
    expect(grammar.filter((message) => !table.includes(message))).toEqual([]);
  });

  it("names no message in its README's table that its grammar does not have", () => {
    const kinds = new Set(grammar.map(kindOf));
    const messages = table.filter((span) => KINDS.has(kindOf(span)));
    expect(messages.filter((message) => !kinds.has(kindOf(message)))).toEqual([]);
  });
});
