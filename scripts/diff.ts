/**
 * `npm run diff -- A B`: what changes from one step to another, as a coloured
 * unified diff of their code. This is how the tutorial is meant to be read.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { exitWithUsageError, parseOptions } from "../lib/args.ts";
import { ROOT, findStep, stepFolders } from "../lib/steps.ts";

const { values, positionals } = parseOptions(
  {
    command: "npm run diff --",
    summary:
      "Shows what changes between two steps (A B), or between a step and the one before it (B).",
    positionals: "[A] B",
  },
  {
    readme: {
      type: "boolean",
      default: false,
      description: "compare the READMEs too, not only server.ts and client.ts",
    },
  },
);

const steps = stepFolders();
if (positionals.length === 0 || positionals.length > 2)
  exitWithUsageError(
    `name one or two steps, e.g. npm run diff -- 02 03 (steps: ${steps.join(", ")})`,
  );
const [from, to] = positionals.map(
  (name) =>
    findStep(name) ?? exitWithUsageError(`there is no step ${name} (steps: ${steps.join(", ")})`),
);
const before = to === undefined ? steps[steps.indexOf(from!) - 1] : from;
const after = to ?? from;
if (!before) exitWithUsageError(`${after} is the first step: name two steps to compare`);

const files = values.readme ? ["server.ts", "client.ts", "README.md"] : ["server.ts", "client.ts"];
for (const file of files) {
  const result = spawnSync(
    "git",
    [
      "--no-pager",
      "diff",
      "--no-index",
      "--color=auto",
      "--",
      join("steps", before, file),
      join("steps", after!, file),
    ],
    {
      cwd: ROOT,
      stdio: "inherit",
    },
  );
  if (result.error) exitWithUsageError(`git is needed to show diffs: ${result.error.message}`);
}
