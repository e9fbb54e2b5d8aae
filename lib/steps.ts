/**
 * Where the steps are. Every server and client knows its step from the folder
 * it lives in, and `npm start`, `npm run diff`, the tests and the bench find a
 * step from its number.
 */
import { readdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
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

/** The step of a script, from where it lives: steps/02-tcp-squares/client.ts is step 02. */
export function stepOf(scriptUrl: string): { number: string; folder: string } {
  const folder = basename(dirname(fileURLToPath(scriptUrl)));
  return { number: stepNumber(folder), folder };
}
