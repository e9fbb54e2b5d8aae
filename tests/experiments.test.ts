/**
 * `npm run experiment` (scripts/experiment.ts): every experiment a README names exists and
 * says which READMEs quote it, and the framework runs one for real. The experiments' figures
 * themselves are measurements, not tests: they live in the READMEs, with the command that
 * measures them again.
 */
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT, STEPS_DIR, stepFolders, stepNumber } from "../scripts/harness/steps.ts";
import type { Experiment } from "../scripts/experiments/lab.ts";

const FOLDER = join(ROOT, "scripts", "experiments");

async function experiments(): Promise<Map<string, Experiment>> {
  const found = new Map<string, Experiment>();
  for (const file of readdirSync(FOLDER).filter((name) => name.endsWith(".ts"))) {
    if (file === "lab.ts") continue;
    const module: { experiment: Experiment } = await import(join(FOLDER, file));
    found.set(file.slice(0, -".ts".length), module.experiment);
  }
  return found;
}

/** The experiments each step README runs, by step number. */
function namedInReadmes(): Map<string, Set<string>> {
  const named = new Map<string, Set<string>>();
  for (const folder of stepFolders()) {
    const readme = readFileSync(join(STEPS_DIR, folder, "README.md"), "utf8");
    for (const [, name] of readme.matchAll(/npm run experiment -- ([a-z0-9-]+)/g)) {
      if (!named.has(name!)) named.set(name!, new Set());
      named.get(name!)!.add(stepNumber(folder));
    }
  }
  return named;
}

const run = (args: string[]) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/experiment.ts", ...args], {
    cwd: ROOT,
  });

describe("npm run experiment", () => {
  it("has every experiment a README names, and each lists exactly the READMEs that quote it", async () => {
    const all = await experiments();
    const named = namedInReadmes();
    for (const name of named.keys()) expect(all.has(name), `${name} exists`).toBe(true);
    for (const [name, experiment] of all) {
      expect(experiment.steps, name).toEqual([...(named.get(name) ?? [])].sort());
    }
  });

  it("lists every experiment in its --help, and refuses an unknown one in one line", async () => {
    const { stdout } = await run(["--help"]);
    for (const name of (await experiments()).keys()) expect(stdout).toContain(`  ${name} `);
    const unknown = await run(["no-such-experiment"]).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(unknown).toMatchObject({ code: 2 });
    expect((unknown as { stderr: string }).stderr).toMatch(
      /^error: there is no experiment no-such-experiment/,
    );
  });

  it("runs an experiment against the real servers and prints what it measured", async () => {
    const { stdout } = await run(["split-message"]);
    expect(stdout).toContain(
      "answer: Hello client, you correctly sent your message : 'hel' to the server.",
    );
    expect(stdout).toContain("answer: STATE ghost=alice alice,1,1 END");
  });
});
