/**
 * `npm run experiment` (scripts/experiment.ts): every experiment a README names exists and
 * says which READMEs quote it, and the framework runs one for real. The figures the READMEs
 * quote carry check markers (scripts/readme-figures.ts): the markers are checked here, and so
 * is every figure quoted as one exact number, a count that does not depend on the machine's
 * speed. The ranges, which do, are checked by `npm run experiment -- --check`, not by tests.
 */
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT, STEPS_DIR, stepFolders, stepNumber } from "../scripts/harness/steps.ts";
import type { Experiment } from "../scripts/experiments/lab.ts";
import { allQuotedFigures, mismatch, quotedFigures } from "../scripts/readme-figures.ts";

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

describe("the figures the READMEs quote from an experiment", () => {
  const measured = (value: number) => new Map([["loss30.sent", value]]);
  const quote = (text: string) => quotedFigures(text, "README.md")[0]!;

  it("holds a figure to the range the README writes, or to its tolerance, or exactly", () => {
    const range = quote("it sent 60 to 95 <!-- check input-changes loss30.sent --> datagrams");
    expect(range).toMatchObject({
      where: "README.md:1",
      experiment: "input-changes",
      low: 60,
      high: 95,
    });
    expect(mismatch(range, measured(60))).toBeUndefined();
    expect(mismatch(range, measured(96))).toBe(
      "README.md:1: input-changes loss30.sent measured 96, the README says 60 to 95",
    );
    const tolerance = quote("| 1,201 <!-- check input-changes loss30.sent ±5 --> |");
    expect(tolerance).toMatchObject({ low: 1196, high: 1206, exact: false });
    expect(mismatch(tolerance, measured(1207))).toBeDefined();
    const exact = quote("1 <!-- check input-changes loss30.sent --> connection");
    expect(exact).toMatchObject({ low: 1, high: 1, exact: true });
    expect(mismatch(exact, measured(2))).toBeDefined();
    expect(mismatch(exact, new Map())).toBe(
      "README.md:1: input-changes measured no figure loss30.sent",
    );
  });

  it("fails when the figure before a marker is edited and the code is not", () => {
    const before = quote("sent 60 to 95 <!-- check input-changes loss30.sent -->");
    const edited = quote("sent 60 to 75 <!-- check input-changes loss30.sent -->");
    expect(mismatch(before, measured(80))).toBeUndefined();
    expect(mismatch(edited, measured(80))).toBeDefined();
  });

  it("holds every figure a * names", () => {
    const crowd = quote("0 to 15 <!-- check prediction crowd.*.corrections --> each");
    const bots = new Map([
      ["crowd.bot1.corrections", 3],
      ["crowd.bot2.corrections", 16],
    ]);
    expect(mismatch(crowd, bots)).toContain("measured 16");
    expect(mismatch(crowd, new Map([["crowd.bot1.corrections", 3]]))).toBeUndefined();
  });

  it("takes a marker shown as code for an example, not a marker", () => {
    const example =
      "`60 to 100 <!-- check input-changes loss30.sent -->`\n```\n1 <!-- check a b -->\n```";
    expect(quotedFigures(example, "README.md")).toEqual([]);
  });

  it("refuses a marker that does not follow its figure", () => {
    expect(() =>
      quotedFigures("about 60 ms <!-- check head-of-line step05.loss0.p50 -->", "R.md"),
    ).toThrow(/R.md:1: a check marker must follow its figure/);
  });

  it("marks figures in the READMEs, each from an experiment that lists the README's step", async () => {
    const all = await experiments();
    const quoted = allQuotedFigures();
    expect(quoted.length).toBeGreaterThan(80);
    for (const { where, experiment } of quoted) {
      expect(all.has(experiment), where).toBe(true);
      const step = /^steps\/(\d+)-/.exec(where)?.[1];
      if (step) expect(all.get(experiment)!.steps, where).toContain(step);
    }
  });

  it("passes npm run experiment -- --check --exact: the counts that do not depend on speed", async () => {
    const { stdout } = await run(["--check", "--exact", "connection-cost", "speed-hack"]);
    expect(stdout).toContain("check: every figure holds");
  }, 120_000);
});
