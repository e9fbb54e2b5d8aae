/**
 * The command lines of every script, run as a learner runs them: --help, and the one-line
 * errors a mistyped option gets (lib/args.ts).
 */
import { describe, expect, it } from "vitest";
import { stepFolders } from "../scripts/harness/steps.ts";
import { runScriptToEnd, runToEnd } from "./helpers.ts";

const SCRIPTS = [
  ...stepFolders().flatMap((folder) => [`steps/${folder}/server.ts`, `steps/${folder}/client.ts`]),
  ...["start", "diff", "bench", "experiment"].map((name) => `scripts/${name}.ts`),
];

/** An option's line of --help: two spaces, the flag, then at least two spaces and what it does. */
const OPTION_LINE = /^ {2}(--\S+(?: [A-Z-]+)?) {2,}(\S.*)$/;

describe("--help", () => {
  it.each(SCRIPTS)(
    "%s answers it: its options in columns that fit 80 characters",
    async (script) => {
      const { code, stdout } = await runToEnd([script, "--help"]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/\n\nusage: .+ \[options\]/);
      const lines = stdout.trimEnd().split("\n");
      const table = lines.slice(lines.findIndex((line) => line.startsWith("usage: ")) + 1);
      expect(table.filter((line) => line.length > 80)).toEqual([]);
      // every description starts in the same column, however long the flag before it
      const options = table.filter((line) => OPTION_LINE.test(line));
      expect(options.length).toBeGreaterThan(0);
      const column = (line: string) => line.length - OPTION_LINE.exec(line)![2]!.length;
      expect(new Set(options.map(column)).size).toBe(1);
      expect(options.at(-1)).toMatch(/^ {2}--help {2,}show this help$/);
    },
  );
});

/** What a script printed to stderr when it refused its command line: one line, and the way to --help. */
async function refusal(folder: string, script: "server" | "client", args: string[]) {
  const { code, stdout, stderr } = await runScriptToEnd(folder, script, args, {
    timeoutMs: 10_000,
  });
  expect(code).toBe(2);
  expect(stdout).toBe("");
  const [line, hint, ...rest] = stderr.trimEnd().split("\n");
  expect(hint).toBe("(run with --help to see every option)");
  expect(rest).toEqual([]);
  return line;
}

describe("a mistyped command line gets one line saying what is wrong", () => {
  it("a negative number: --lag -5", async () => {
    expect(await refusal("05-tick-broadcast", "server", ["--lag", "-5"])).toBe(
      "error: --lag must be a number from 0 to 10000, not '-5'",
    );
  });

  it("a client's --port 0, refused before any socket is made", async () => {
    for (const folder of ["01-tcp-echo", "06-input-changes"]) {
      expect(await refusal(folder, "client", ["--port", "0"])).toBe(
        "error: --port must be a whole number from 1 to 65535, not '0'",
      );
    }
  });

  it("an option that does not exist", async () => {
    expect(await refusal("08-one-socket-handshake", "server", ["--cookie", "5"])).toBe(
      "error: there is no option --cookie",
    );
  });

  it("an option without its value, and a value for an option that takes none", async () => {
    expect(await refusal("02-tcp-squares", "client", ["--name"])).toBe(
      "error: --name needs a value",
    );
    expect(await refusal("02-tcp-squares", "client", ["--bot=yes"])).toBe(
      "error: --bot takes no value",
    );
  });
});
