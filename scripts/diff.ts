/**
 * `npm run diff -- A B`: what changes from one step to another. This is how the tutorial is
 * meant to be read.
 *
 * A summary of what changed comes first (`--stat` prints it alone), then each file under a
 * one-line heading: the step's own files (server, client, protocol, then any other), as a
 * coloured unified diff, then every lib/ module step B imports and step A does not, in full, as
 * added: a step's lesson often lives in one (step 03's framing, step 07's prediction). A module
 * these import in turn is only named: it is shown in full where a step first imports it itself,
 * so each module is read once, beside the step that uses it. To a terminal it goes through a
 * pager, as git's own output does; to a pipe it is plain text.
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
/** A step's own files come in this order, the rest after them by name; its README is not code. */
const STEP_FILE_ORDER = ["server.ts", "client.ts", "protocol.ts"];

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
      "a summary, then B's own files (server, client, protocol, others) against A's, then the " +
      "lib/ modules B starts to use, in full. To a terminal it pages ($PAGER, or less -R).",
    positionals: "[A] B",
  },
  {
    stat: {
      type: "boolean",
      default: false,
      description: "print the summary of what changed, and nothing else",
    },
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

const toTerminal = process.stdout.isTTY === true;

/** One file of the comparison: what it is, and the two paths git compares (/dev/null: none). */
interface Compared {
  heading: string;
  oldPath: string;
  newPath: string;
  options?: string[];
}

/**
 * Runs `git diff` on two paths from the repository's root and returns what it prints:
 * coloured for a terminal, plain for a pipe.
 */
function gitDiff(oldPath: string, newPath: string, options: string[]): string {
  const colour = toTerminal ? "--color=always" : "--color=never";
  const result = spawnSync(
    "git",
    ["--no-pager", "diff", "--no-index", colour, ...options, "--", oldPath, newPath],
    { cwd: ROOT, encoding: "utf8", maxBuffer: 64 << 20 },
  );
  if (result.error) {
    const reason =
      "code" in result.error && result.error.code === "ENOENT"
        ? "git is not installed (or not on the PATH)"
        : result.error.message;
    console.error(`error: npm run diff needs git to show diffs: ${reason}`);
    process.exit(1);
  }
  return result.stdout;
}

/** The lines added and removed, as `git diff --numstat` counts them. */
function linesChanged({ oldPath, newPath, options = [] }: Compared): string {
  const counts = gitDiff(oldPath, newPath, ["--numstat", ...options]).trim();
  const [added, removed] = counts.split("\t");
  // git prints no line at all for two files the same, and 0 0 where only white space differs
  if (counts === "" || (added === "0" && removed === "0")) return "unchanged";
  return `+${added} -${removed}`;
}

/** The files of both steps' folders but the READMEs, in STEP_FILE_ORDER, then by name. */
function stepFiles(): string[] {
  const names = new Set([before, after].flatMap((step) => readdirSync(join(STEPS_DIR, step!))));
  names.delete("README.md");
  const rank = (name: string) => {
    const known = STEP_FILE_ORDER.indexOf(name);
    return known === -1 ? STEP_FILE_ORDER.length : known;
  };
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}

/** A step's file as git compares it: its path from the root, or /dev/null where it is not. */
function pathIn(step: string, name: string): string {
  return existsSync(join(STEPS_DIR, step, name)) ? join("steps", step, name) : "/dev/null";
}

const { imported: added, reachedThroughThem } = libModulesAdded(before, after);
const compared: Compared[] = [
  ...stepFiles().map((name) => {
    const oldPath = pathIn(before, name);
    const newPath = pathIn(after, name);
    const heading =
      oldPath === "/dev/null"
        ? `${newPath}, new in ${after}`
        : newPath === "/dev/null"
          ? `${oldPath}, which ${after} no longer has`
          : `${newPath}, against ${before}`;
    return { heading, oldPath, newPath };
  }),
  ...(values.readme
    ? [
        {
          heading: `steps/${after}/README.md, against ${before}, word by word`,
          oldPath: join("steps", before, "README.md"),
          newPath: join("steps", after, "README.md"),
          // A README paragraph is one long line: a line diff would show it all replaced for one word.
          options: [toTerminal ? "--word-diff=color" : "--word-diff=plain"],
        },
      ]
    : []),
  ...added.map((module) => ({
    heading: `${module}, which ${after} starts to use and ${before} does not: all of it`,
    oldPath: "/dev/null",
    newPath: module,
  })),
];

const width = Math.max(
  ...compared.map(({ newPath, oldPath }) => (newPath === "/dev/null" ? oldPath : newPath).length),
);
const summary = [
  `What changes from ${before} to ${after}:`,
  ...compared.map((file) => {
    const path = file.newPath === "/dev/null" ? file.oldPath : file.newPath;
    return `  ${path.padEnd(width)}  ${linesChanged(file)}`;
  }),
  added.length === 0
    ? `No lib/ module is new in ${after}.`
    : `lib/ modules ${after} uses and ${before} does not: ${added.join(", ")}`,
  ...(reachedThroughThem.length === 0
    ? []
    : [`And what those import in turn, named only: ${reachedThroughThem.join(", ")}`]),
].join("\n");

const sections = values.stat
  ? []
  : compared.map(({ heading, oldPath, newPath, options = [] }) => {
      const diff = gitDiff(oldPath, newPath, options);
      const line = `=== ${heading} ===`;
      return `\n${toTerminal ? `\x1b[1m${line}\x1b[0m` : line}\n${diff || "(unchanged)\n"}`;
    });
show([summary, ...sections].join("\n") + "\n");

/**
 * Writes `text` to the terminal through a pager, as git does ($PAGER, or else `less -R` where
 * there is one; LESS=FRX unless set, so a diff that fits the screen is just printed), and to a
 * pipe as it is.
 */
function show(text: string): void {
  const pager = toTerminal ? (process.env.PAGER ?? (hasLess() ? "less -R" : "")) : "";
  if (pager !== "" && pager !== "cat") {
    const paged = spawnSync(pager, {
      shell: true,
      input: text,
      stdio: ["pipe", "inherit", "inherit"],
      env: { LESS: "FRX", ...process.env },
    });
    if (!paged.error && paged.status !== 127) return; // 127: the shell found no such pager
  }
  // A reader that stops early (`npm run diff -- 06 07 | head`) is not an error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
  });
  process.stdout.write(text);
}

function hasLess(): boolean {
  return !spawnSync("less", ["--version"], { stdio: "ignore" }).error;
}

/**
 * The lib/ modules that step `newer` imports itself and step `older` does not (`imported`), and
 * the lib/ modules these import in turn that `older` never reaches (`reachedThroughThem`), as
 * paths from the repository's root, in the order they are met.
 */
function libModulesAdded(
  older: string,
  newer: string,
): { imported: string[]; reachedThroughThem: string[] } {
  const importedBefore = libImportsOf(older);
  const reachedBefore = new Set(withTheirImports(importedBefore));
  const imported = libImportsOf(newer).filter((module) => !importedBefore.includes(module));
  const reachedThroughThem = withTheirImports(imported).filter(
    (module) => !imported.includes(module) && !reachedBefore.has(module),
  );
  const fromRoot = (modules: string[]) => modules.map((module) => relative(ROOT, module));
  return { imported: fromRoot(imported), reachedThroughThem: fromRoot(reachedThroughThem) };
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
