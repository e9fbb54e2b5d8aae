/**
 * The terminal renderer: the house, the squares and the status line, drawn
 * with chalk into an 80 × 24 terminal.
 *
 * It draws on the terminal's alternate screen and only when something changed,
 * rewriting each line in place instead of clearing the screen, so it never flickers.
 */
import chalk, { type ChalkInstance } from "chalk";
import type { GameMap } from "./map.ts";
import { ROOM_LABELS } from "./map.ts";
import type { GameState } from "./protocol.ts";

const SQUARE_COLOURS: readonly ChalkInstance[] = [
  chalk.bgRed,
  chalk.bgGreen,
  chalk.bgYellow,
  chalk.bgBlue,
  chalk.bgMagenta,
  chalk.bgCyan,
  chalk.bgRedBright,
  chalk.bgGreenBright,
  chalk.bgYellowBright,
  chalk.bgBlueBright,
  chalk.bgMagentaBright,
  chalk.bgCyanBright,
];

/** A player's colour comes from their name, so every client paints them the same without being told. */
export function colourOf(name: string): ChalkInstance {
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return SQUARE_COLOURS[hash % SQUARE_COLOURS.length]!;
}

export interface Frame {
  title: string;
  you: string;
  map: GameMap | undefined;
  state: GameState | undefined;
  status: string;
  message: string;
}

/** The 24 lines of the screen: title, the map (or a wait message), status, message. */
export function renderFrame({ title, you, map, state, status, message }: Frame): string[] {
  const ghost = state?.ghost;
  const role =
    ghost === you
      ? chalk.whiteBright.bold("ghost: you! tag someone")
      : `ghost: ${ghost ? colourOf(ghost)(` ${ghost} `) : "nobody"}`;
  const header = `${chalk.bold(title)} · you: ${colourOf(you).black(` ${you} `)} · ${role}`;
  const body = map ? renderMap(map, state) : [chalk.dim("connecting…")];
  return [header, ...body, chalk.inverse(status), message];
}

function renderMap(map: GameMap, state: GameState | undefined): string[] {
  const cells = map.rows.map((row) =>
    [...row].map((cell) => (cell === "#" ? chalk.gray("██") : "  ")),
  );
  for (const { text, at } of ROOM_LABELS) {
    // a label is written over the floor two columns per cell, so it takes half as many cells
    for (let i = 0; i < text.length; i += 2) {
      if (cells[at.y]?.[at.x + i / 2] === "  ")
        cells[at.y]![at.x + i / 2] = chalk.dim(text.slice(i, i + 2).padEnd(2));
    }
  }
  for (const { name, x, y } of state?.players ?? []) {
    if (!cells[y]?.[x]) continue;
    const paint = name === state?.ghost ? chalk.bgWhiteBright.black.bold : colourOf(name).black;
    cells[y]![x] = paint(name.slice(0, 2).padEnd(2));
  }
  return cells.map((row) => row.join(""));
}

/** Owns the terminal while the game runs; close() gives it back exactly as it was. */
export class Screen {
  private last = "";
  private open = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  draw(lines: string[]): void {
    const frame = lines.map((line, row) => `\x1b[${row + 1};1H${line}\x1b[K`).join("");
    if (frame === this.last) return;
    if (!this.open) this.out.write("\x1b[?1049h\x1b[?25l\x1b[2J"); // alternate screen, hide the cursor
    this.open = true;
    this.last = frame;
    this.out.write(frame);
  }

  close(): void {
    if (this.open) this.out.write("\x1b[?25h\x1b[?1049l"); // show the cursor, back to the normal screen
    this.open = false;
  }
}
