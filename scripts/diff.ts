/**
 * `npm run diff -- A B`: what changes from one step to another, as a coloured
 * unified diff of their code. This is how the tutorial is meant to be read.
 *
 * A step's lesson often lives in a lib/ module it starts to use (step 03's framing,
 * step 07's prediction): after the diff of the step's files comes every lib/ module
 * step B imports and step A does not, in full, as added.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { exitWithUsageError, parseOptions } from "../lib/args.ts";
import { ROOT, STEPS_DIR, stepArgument, stepFolders } from "./harness/steps.ts";

const LIB_DIR = join(ROOT, "lib");
const inLib = (file: string) => file.startsWith(LIB_DIR + sep);
/**
 * An import by a relative path, `import … from "../../lib/x.ts"` or `import "../x.ts"`: what it
 * imports (group 1, empty for the second form) and from where (group 2).
 */
const RELATIVE_IMPORT = /\bimport\s+(?:([^;]*?)\s+from\s+)?["'](\.\.?\/[^"']+)["']/g;

/**
 * Whether an import brings only types (`import type { Input }`, `import { type Input }`): a
 * module a step uses for a type alone is not code it runs, and not part of its lesson.
 */
function typesOnly(what: string): boolean {
  if (/^type\s/.test(what)) return true;
  const named = /^\{([^}]*)\}$/.exec(what.trim())?.[1];
  const names = named
    ?.split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
  return names !== undefined && names.every((name) => name.startsWith("type "));
}

const { values, positionals } = parseOptions(
  {
    command: "npm run diff --",
    summary:
      "Shows what changes between two steps (A B), or between a step and the one before it (B): " +
      "their code, then the lib/ modules B starts to use.",
    positionals: "[A] B",
  },
  {
    readme: {
      type: "boolean",
      default: false,
      description: "compare the READMEs too, word by word",
    },
  },
);

const steps = stepFolders();
if (positionals.length === 0 || positionals.length > 2)
  exitWithUsageError(
    `name one or two steps, e.g. npm run diff -- 02 03 (steps: ${steps.join(", ")})`,
  );
const [from, to] = positionals.map((name) => stepArgument(name));
const before = to === undefined ? steps[steps.indexOf(from!) - 1] : from!;
const after = to ?? from!;
if (!before) exitWithUsageError(`${after} is the first step: name two steps to compare`);

/**
 * Runs `git diff` on two paths from the repository's
 * root; its output goes straight to the terminal.
 */
function gitDiff(oldPath: string, newPath: string, options: string[] = []): void {
  const result = spawnSync(
    "git",
    ["--no-pager", "diff", "--no-index", "--color=auto", ...options, "--", oldPath, newPath],
    { cwd: ROOT, stdio: "inherit" },
  );
  if (result.error) {
    const reason =
      "code" in result.error && result.error.code === "ENOENT"
        ? "git is not installed (or not on the PATH)"
        : result.error.message;
    console.error(`error: npm run diff needs git to show diffs: ${reason}`);
    process.exit(1);
  }
}

for (const file of ["server.ts", "client.ts"])
  gitDiff(join("steps", before, file), join("steps", after, file));
if (values.readme) {
  // A README paragraph is one long line: a line diff would show it all replaced for one word.
  const wordDiff = process.stdout.isTTY ? "--word-diff=color" : "--word-diff=plain";
  gitDiff(join("steps", before, "README.md"), join("steps", after, "README.md"), [wordDiff]);
}

// A reader that stops early (`npm run diff -- 06 07 | head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code !== "EPIPE") throw error;
  process.exit(0);
});
const added = libModulesAdded(before, after);
console.log(
  added.length === 0
    ? `\nNo lib/ module is new in ${after}.`
    : `\nlib/ modules ${after} uses and ${before} does not: ${added.join(", ")}`,
);
for (const module of added) gitDiff("/dev/null", module);

/**
 * The lib/ modules that step `newer` imports and step `older` does not, and the lib/ modules
 * these import in turn that `older` never reaches, as paths from the repository's root, in
 * the order they are met.
 */
function libModulesAdded(older: string, newer: string): string[] {
  const importedBefore = libImportsOf(older);
  const reachedBefore = new Set(withTheirImports(importedBefore));
  const newImports = libImportsOf(newer).filter((module) => !importedBefore.includes(module));
  return withTheirImports(newImports)
    .filter((module) => newImports.includes(module) || !reachedBefore.has(module))
    .map((module) => relative(ROOT, module));
}

/**
 * The lib/ modules a step's code imports (the file of another step it imports counts as its code).
 */
function libImportsOf(step: string): string[] {
  const folder = join(STEPS_DIR, step);
  const code = readdirSync(folder)
    .filter((name) => name.endsWith(".ts"))
    .map((name) => join(folder, name));
  return reach(code, (file) => !inLib(file)).filter(inLib);
}

/** The modules and every lib/ module they import, directly or not. */
function withTheirImports(modules: string[]): string[] {
  return reach(modules, inLib).filter(inLib);
}

/**
 * The files `start` imports, and what those import if `follow(file)`, and so on: start included.
 */
function reach(start: string[], follow: (file: string) => boolean): string[] {
  const reached = [...start];
  const toRead = start.filter(follow);
  while (toRead.length > 0) {
    for (const imported of importsOf(toRead.shift()!)) {
      if (reached.includes(imported)) continue;
      reached.push(imported);
      if (follow(imported)) toRead.push(imported);
    }
  }
  return reached;
}

/**
 * The files a source file imports by a relative path,
 * resolved; packages and node: are not followed.
 */
function importsOf(file: string): string[] {
  return [...readFileSync(file, "utf8").matchAll(RELATIVE_IMPORT)]
    .filter(([, what = ""]) => !typesOnly(what))
    .map(([, , specifier]) => resolve(dirname(file), specifier!))
    .filter((imported) => existsSync(imported));
}
