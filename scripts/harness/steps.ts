/**
 * Where the steps are, for `npm start`, `npm run diff`, the bench, the experiments and the
 * tests: they find a step from its number. The steps themselves never need this.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { exitWithUsageError } from "../../lib/args.ts";

export const ROOT = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const STEPS_DIR = join(ROOT, "steps");

/** "03" for the folder 03-tcp-persistent. */
export const stepNumber = (folder: string) => folder.slice(0, 2);

/** The step folders, in order: 01-tcp-echo, 02-tcp-squares, … */
export function stepFolders(): string[] {
  return readdirSync(STEPS_DIR, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && /^\d\d-/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
}

/** A step's folder from "03", "3" or "03-tcp-persistent", or undefined if there is no such step. */
export function findStep(name: string): string | undefined {
  return stepFolders().find(
    (folder) => folder === name || stepNumber(folder) === name.padStart(2, "0"),
  );
}

/**
 * The folder of the step a command line names ("03", "3" or "03-tcp-persistent"), or a usage
 * error that lists the steps there are. `option` says where the name was given, e.g. --steps.
 */
export function stepArgument(name: string, option?: string): string {
  const folder = findStep(name);
  if (folder !== undefined) return folder;
  const where = option === undefined ? "" : `${option}: `;
  exitWithUsageError(`${where}there is no step ${name} (steps: ${stepFolders().join(", ")})`);
}

/** Whether a step's server takes `--ports`: 04 to 07 do (08 on have one socket for all players). */
export const hasPortPool = (step: string) => Number(step) >= 4 && Number(step) <= 7;

/** The UDP steps' servers (04 on) limit the players of one IP address: `--per-address`. */
export const hasSourceLimits = (step: string) => Number(step) >= 4;
