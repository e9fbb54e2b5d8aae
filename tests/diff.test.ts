/**
 * `npm run diff` (scripts/diff.ts), run as a learner runs it, on the real steps.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../lib/steps.ts";

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

  it("compares a step with the one before it when given one step", async () => {
    const { stdout } = await diff(["03"]);

    expect(stdout).toContain("--- a/steps/02-tcp-squares/server.ts");
    expect(libModulesListed(stdout)).toEqual(["lib/framing.ts"]);
  });

  it("diffs the READMEs word by word with --readme", async () => {
    const { stdout } = await diff(["--readme", "04", "05"]);

    const readme = stdout.slice(
      stdout.indexOf("+++ b/steps/05-tick-broadcast/README.md"),
      stdout.search(/^(lib\/ modules|No lib\/ module)/m),
    );
    expect(readme.split("\n").length).toBeGreaterThan(20);
    // marked inside the line, word by word: a line diff would replace the whole line
    expect(readme).toContain("# Step [-04-]{+05+}");
    expect(readme).not.toMatch(/^-# Step 04/m);
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
