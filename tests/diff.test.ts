/**
 * `npm run diff` (scripts/diff.ts), run as a learner runs it, on the real steps.
 */
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT, STEPS_DIR, findStep } from "../scripts/harness/steps.ts";

async function diff(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const script = ["--import", "tsx", join(ROOT, "scripts", "diff.ts"), ...args];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, script, {
      cwd: ROOT,
      env,
      maxBuffer: 10 << 20,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    return error as { code: number; stdout: string; stderr: string };
  }
}

/** The line that names the lib/ modules new in the second step, as a list. */
function libModulesListed(stdout: string): string[] {
  const line = stdout.split("\n").find((text) => text.startsWith("lib/ modules "));
  return line ? line.slice(line.indexOf(": ") + 2).split(", ") : [];
}

/** The one-line headings the files are shown under, in order. */
function headingsOf(stdout: string): string[] {
  return [...stdout.matchAll(/^=== (.*) ===$/gm)].map(([, heading]) => heading!);
}

describe("npm run diff", () => {
  it("shows the lib/ modules a step starts to use, each in full, after the step's own diff", async () => {
    const { code, stdout } = await diff(["06", "07"]);

    expect(code).toBe(0);
    expect(libModulesListed(stdout)).toEqual([
      "lib/interpolation.ts",
      "lib/prediction.ts",
      "lib/tick-clock.ts",
    ]);
    const client = stdout.indexOf("+++ b/steps/07-client-prediction/client.ts");
    const prediction = stdout.indexOf("+++ b/lib/prediction.ts");
    expect(client).toBeGreaterThan(-1);
    expect(prediction).toBeGreaterThan(client);
    const added = stdout.slice(prediction).split("\n");
    for (const line of readFileSync(join(ROOT, "lib", "prediction.ts"), "utf8").split("\n"))
      if (line !== "") expect(added).toContain(`+${line}`);
  });

  it("counts what a new module needs, but not what the older step already imports", async () => {
    const { stdout } = await diff(["01-tcp-echo", "02"]);

    const listed = libModulesListed(stdout);
    expect(listed).toEqual(expect.arrayContaining(["lib/words.ts", "lib/room.ts"]));
    // step 01 imports args.ts and serve.ts itself: nothing of them is new in step 02
    expect(listed).not.toContain("lib/args.ts");
    expect(listed).not.toContain("lib/serve.ts");
  });

  it("shows each lib/ module in full once along the course, where a step first imports it", async () => {
    const steps = readdirSync(STEPS_DIR).sort();
    const shown: string[] = [];
    for (let i = 1; i < steps.length; i++) {
      const { stdout } = await diff([steps[i - 1]!, steps[i]!, "--stat"]);
      shown.push(...libModulesListed(stdout));
    }
    expect(shown.length).toBeGreaterThan(10);
    expect(shown.filter((module, i) => shown.indexOf(module) !== i)).toEqual([]);
  });

  it("compares a step with the one before it when given one step", async () => {
    const { stdout } = await diff(["03"]);

    expect(stdout).toContain("--- a/steps/02-tcp-squares/server.ts");
    expect(libModulesListed(stdout)).toEqual(["lib/framing.ts"]);
  });

  it("diffs the READMEs word by word with --readme", async () => {
    const { stdout } = await diff(["--readme", "04", "05"]);

    const start = stdout.indexOf("+++ b/steps/05-tick-broadcast/README.md");
    const readme = stdout.slice(start, stdout.indexOf("\n=== ", start));
    expect(readme.split("\n").length).toBeGreaterThan(20);
    // marked inside the line, word by word: a line diff would replace the whole line
    expect(readme).toContain("# Step [-04-]{+05+}");
    expect(readme).not.toMatch(/^-# Step 04/m);
  });

  it("starts with a summary, then the step's own files, then the lib/ modules, each under a heading", async () => {
    const { code, stdout } = await diff(["01", "02"]);

    expect(code).toBe(0);
    expect(stdout.split("\n")[0]).toBe("What changes from 01-tcp-echo to 02-tcp-squares:");
    const headings = headingsOf(stdout);
    expect(headings[0]).toBe("steps/02-tcp-squares/server.ts, against 01-tcp-echo");
    expect(headings[1]).toBe("steps/02-tcp-squares/client.ts, against 01-tcp-echo");
    const firstLib = headings.findIndex((heading) => heading.startsWith("lib/"));
    const lastStepFile = headings.findLastIndex((heading) => heading.startsWith("steps/"));
    expect(firstLib).toBeGreaterThan(lastStepFile);
    expect(headings.slice(firstLib).map((heading) => heading.split(",")[0])).toEqual(
      libModulesListed(stdout),
    );
    // to a pipe, plain text: no colour, no pager
    expect(stdout).not.toContain("\x1b[");
  });

  it.each([
    ["01", "02"],
    ["04", "05"],
    ["07", "08"],
    ["09", "10"],
    ["10", "11"],
    ["11", "12"],
  ])(
    "shows every file of the steps %s and %s but the README: server, client, protocol, others",
    async (a, b) => {
      const { stdout } = await diff([a, b]);

      const files = new Set(
        [a, b].flatMap((step) => readdirSync(join(STEPS_DIR, findStep(step)!))),
      );
      files.delete("README.md");
      const rank = (name: string) => {
        const known = ["server.ts", "client.ts", "protocol.ts"].indexOf(name);
        return known === -1 ? 3 : known;
      };
      const expected = [...files].sort((x, y) => rank(x) - rank(y) || x.localeCompare(y));
      const shown = headingsOf(stdout)
        .filter((heading) => heading.startsWith("steps/"))
        .map((heading) => heading.split(",")[0]!.split("/").at(-1));
      expect(shown).toEqual(expected);
    },
  );

  it("prints the summary alone with --stat", async () => {
    const { code, stdout } = await diff(["02", "03", "--stat"]);

    expect(code).toBe(0);
    expect(stdout.split("\n")).toEqual([
      "What changes from 02-tcp-squares to 03-tcp-persistent:",
      expect.stringMatching(/^ {2}steps\/03-tcp-persistent\/server\.ts +\+\d+ -\d+$/),
      expect.stringMatching(/^ {2}steps\/03-tcp-persistent\/client\.ts +\+\d+ -\d+$/),
      // the wire format is step 02's: step 03 changes how the connection lives, not what it says
      expect.stringMatching(/^ {2}steps\/03-tcp-persistent\/protocol\.ts +unchanged$/),
      expect.stringMatching(/^ {2}lib\/framing\.ts +\+\d+ -0$/),
      "lib/ modules 03-tcp-persistent uses and 02-tcp-squares does not: lib/framing.ts",
      "",
    ]);
  });

  it("says what it shows with --help", async () => {
    const { code, stdout } = await diff(["--help"]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Shows what changes between two steps/);
    expect(stdout).toContain("--stat");
  });

  it("says in one line what is wrong: no such step, or no git", async () => {
    const noStep = await diff(["02", "99"]);
    expect(noStep.code).toBe(2);
    expect(noStep.stderr.split("\n")[0]).toMatch(
      /^error: there is no step 99 \(steps: 01-tcp-echo/,
    );

    const noGit = await diff(["02", "03"], { PATH: "/nonexistent" });
    expect(noGit.code).toBe(1);
    expect(noGit.stderr).toBe(
      "error: npm run diff needs git to show diffs: git is not installed (or not on the PATH)\n",
    );
  });
});
