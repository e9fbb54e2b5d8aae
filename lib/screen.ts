/**
 * The terminal renderer: the map (or the window of it around your square), the
 * squares, the scoreboard and the status line, drawn with chalk.
 *
 * An 80 × 24 terminal holds the house exactly: a title line, the house's 21
 * rows two columns per cell (78 columns), a status line and a message line.
 * There is no row to spare, so the scoreboard is written into the house's
 * bottom outer wall, which tells nothing else. A wider terminal gets the
 * scoreboard beside the map; a map larger than the terminal is drawn as a
 * window that follows your square, with the scoreboard on a line of its own.
 *
 * From step 09 the mansion is dark: with a lantern, the cells within its reach
 * of your square are drawn lit (the floor with a faint glow, so you see where
 * the light ends); beyond it the floor is black and the walls a faint outline,
 * and squares are drawn only where the state has them.
 *
 * It draws on the terminal's alternate screen and only when something changed,
 * rewriting each line in place instead of clearing the screen, so it never flickers.
 */
import chalk, { type ChalkInstance } from "chalk";
import { labelsOf } from "./labels.ts";
import { isLit } from "./lantern.ts";
import { type GameMap, type Position, HOUSE_MAP, isWall, roomName } from "./map.ts";
import type { Marker } from "./net-view.ts";
import type { GameState, PlayerState } from "./state.ts";
import { hashOf } from "./random.ts";
import type { PlayerScore, Score } from "./score.ts";

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
/** The ghost is white; resting after a tag, it is see-through: its label on the bare floor. */
const GHOST = chalk.bgWhiteBright.black.bold;
const RESTING_GHOST = chalk.whiteBright.bold;
const WALL = chalk.gray("██");
/** A wall beyond your lantern: enough to find your way, not enough to see who is there. */
const DARK_WALL = chalk.gray.dim("░░");
/** Where the server has a square drawn elsewhere (the --net view): its label, faint. */
const SHADOW = chalk.gray.dim;
/** The last tag attempt's human (the --net view): seen on your screen, rewound, really. */
const MARKER: Record<Marker["kind"], ChalkInstance> = {
  seen: chalk.bgBlue,
  rewound: chalk.bgGreen,
  real: chalk.bgRed,
};
/** The floor in your lantern's light: a dark grey glow on a black terminal. */
const LIT_FLOOR = chalk.bgAnsi256(236);

/** Title, status and message: the lines that are not the map. */
const TEXT_LINES = 3;
/** A window onto a large map is never smaller than the house, so the game stays playable. */
const SMALLEST_VIEW = { width: HOUSE_MAP.width, height: HOUSE_MAP.height };
const SIDEBAR_COLUMNS = 30;
const SIDEBAR_GAP = 2;

/** A player's colour comes from their name, so every client paints them the same without being told. */
function colourOf(name: string): ChalkInstance {
  return SQUARE_COLOURS[hashOf(name) % SQUARE_COLOURS.length]!;
}

export interface Frame {
  title: string;
  you: string;
  map: GameMap | undefined;
  /** what is drawn: the state, or (step 07) the client's own picture of it */
  state: GameState | undefined;
  /** the tags, the ghost's rest and the time as a human, as this client counted them */
  score: Score;
  /** the network's facts (ping, players online, rates), after the room and the latest tag */
  status: string;
  message: string;
  now: number;
  /** the reach of your lantern (step 09 on, lib/lantern.ts): the map beyond it is dark */
  lantern?: number;
  /**
   * the --net view (lib/net-view.ts): its lines at the bottom, and the squares of the server's
   * state drawn elsewhere (predicted, interpolated), faint where the server has them
   */
  net?: { lines: string[]; shadows: readonly PlayerState[]; markers?: readonly Marker[] };
}

export interface TerminalSize {
  columns: number;
  rows: number;
}

/** Where the scoreboard goes, and how many cells of the map are seen. */
interface Layout {
  view: { width: number; height: number };
  scoreboard: "beside" | "below" | "on the bottom wall";
}

/**
 * The lines of the screen, none wider than the terminal: title, the map (or a
 * wait message), status, message; or one line saying the terminal is too small.
 */
export function renderFrame(frame: Frame, terminal: TerminalSize): string[] {
  const fit = (line: string) => fitWidth(line, terminal.columns);
  const { map, state, you } = frame;
  const labels = labelsOf(state?.players.map(({ name }) => name) ?? []);
  const draw: Painter = {
    labels,
    resting: frame.score.ghostResting(frame.now),
    ghost: state?.ghost ?? null,
  };
  const fitted = (body: string[], status: string[]) =>
    [
      titleLine(frame, draw),
      ...body,
      chalk.inverse(
        fitWidth(statusLine(status, frame.status, terminal.columns), terminal.columns, " "),
      ),
      plainText(frame.message),
      ...(frame.net?.lines ?? []).map((line) => chalk.dim(plainText(line))),
    ].map(fit);
  if (!map) return fitted([chalk.dim("connecting…")], []);

  const layout = planLayout(map, terminal, frame.net?.lines.length ?? 0);
  if (!layout) {
    const smallest = smallestTerminal(map);
    const needs = `${smallest.columns}×${smallest.rows}`;
    return [
      fit(
        `This terminal is ${terminal.columns}×${terminal.rows}: make it at least ${needs} to play.`,
      ),
    ];
  }
  const ownSquare = state?.players.find(({ name }) => name === you);
  const shadows = frame.net?.shadows ?? [];
  const marked = { shadows, markers: frame.net?.markers ?? [] };
  const body = renderMap(map, state, layout.view, ownSquare, draw, frame.lantern, marked);
  const board = frame.score.board();
  if (layout.scoreboard === "beside") {
    const side = sidebar(board, you, layout.view.height, draw);
    body.forEach((line, row) => (body[row] = line + " ".repeat(SIDEBAR_GAP) + (side[row] ?? "")));
  } else if (layout.scoreboard === "below") {
    body.push(scoreboardLine(board, you, terminal.columns, draw));
  } else {
    const columns = layout.view.width * 2;
    body[body.length - 1] = engraved(scoreboardLine(board, you, columns - 6, draw), columns);
  }
  // the status line: the room you are in and the latest tag, before the network's facts
  const room = ownSquare && roomName(map, ownSquare);
  const change = frame.score.latestChange(frame.now);
  return fitted(body, [
    ...(room ? [room] : []),
    ...(change ? [chalk.yellowBright.bold(frame.score.describe(change))] : []),
  ]);
}

/**
 * The status line: the room and the latest tag, then the network's facts, as many as fit the
 * terminal whole, the last ones left out first, rather than a fact cut in the middle.
 */
function statusLine(first: string[], facts: string, columns: number): string {
  const parts = [
    ...first,
    ...plainText(facts)
      .split(" · ")
      .map((fact) => fact.trim()),
  ].filter((part) => part !== "");
  const line = (count: number) => ` ${parts.slice(0, count).join(" · ")}`;
  let count = parts.length;
  while (count > 1 && visibleWidth(line(count)) > columns) count--;
  return line(count);
}

/**
 * The smallest terminal a map can be played on: a window of SMALLEST_VIEW (or the
 * whole map, if smaller), two columns a cell, and the text lines.
 */
function smallestTerminal(map: GameMap): TerminalSize {
  return {
    columns: Math.min(map.width, SMALLEST_VIEW.width) * 2,
    rows: Math.min(map.height, SMALLEST_VIEW.height) + TEXT_LINES,
  };
}

/** `netLines`: the --net view's lines take rows from the map, which may then be a window. */
function planLayout(
  map: GameMap,
  { columns, rows }: TerminalSize,
  netLines: number,
): Layout | undefined {
  const smallest = smallestTerminal(map);
  if (columns < smallest.columns || rows < smallest.rows) return undefined;
  const mapRows = rows - TEXT_LINES - netLines;
  if (columns >= smallest.columns + SIDEBAR_GAP + SIDEBAR_COLUMNS) {
    const width = Math.min(map.width, Math.floor((columns - SIDEBAR_GAP - SIDEBAR_COLUMNS) / 2));
    return { view: { width, height: Math.min(map.height, mapRows) }, scoreboard: "beside" };
  }
  const width = Math.min(map.width, Math.floor(columns / 2));
  if (map.height < mapRows) return { view: { width, height: map.height }, scoreboard: "below" };
  const bottomIsWall = /^#+$/.test(map.rows[map.height - 1] ?? "");
  if (map.height === mapRows && bottomIsWall)
    return { view: { width, height: mapRows }, scoreboard: "on the bottom wall" };
  return { view: { width, height: mapRows - 1 }, scoreboard: "below" };
}

/** How squares are painted: the same in the title, on the map and on the scoreboard. */
interface Painter {
  labels: ReadonlyMap<string, string>;
  ghost: string | null;
  /** the ghost cannot tag yet */
  resting: boolean;
}

function square(name: string, { labels, ghost, resting }: Painter): string {
  const label = labels.get(name) ?? name.slice(0, 2).padEnd(2);
  if (name !== ghost) return colourOf(name).black(label);
  return (resting ? RESTING_GHOST : GHOST)(label);
}

/** The title and the legend: which square is you, which is the ghost, and whether it can tag. */
function titleLine({ title, you, state, score, now }: Frame, draw: Painter): string {
  const rest = draw.resting ? `, resting ${(score.restLeftMs(now) / 1000).toFixed(1)} s` : "";
  const ghost = state?.ghost;
  const role =
    ghost === you
      ? chalk.whiteBright.bold(`you are the ghost${rest || ": tag someone!"}`)
      : ghost
        ? `ghost ${square(ghost, draw)} ${ghost}${rest}`
        : "no ghost yet";
  // a player named "you" (npm start's default) is not told "you yo you"
  const name = you.toLowerCase() === "you" ? "" : ` ${you}`;
  return `${chalk.bold(title)} · you ${square(you, draw)}${name} · ${role}`;
}

/** The first cell of the window: centred on `centre`, but never past the map's edge. */
function windowStart(mapSize: number, viewSize: number, centre: number): number {
  return Math.max(0, Math.min(mapSize - viewSize, centre - Math.floor(viewSize / 2)));
}

function renderMap(
  map: GameMap,
  state: GameState | undefined,
  view: Layout["view"],
  centre: Position | undefined,
  draw: Painter,
  lantern: number | undefined,
  { shadows, markers }: { shadows: readonly PlayerState[]; markers: readonly Marker[] },
): string[] {
  const left = windowStart(map.width, view.width, centre?.x ?? map.width / 2);
  const top = windowStart(map.height, view.height, centre?.y ?? map.height / 2);
  // without a lantern everything is lit; with one, nothing is until your square is known
  const lit = (cell: Position) =>
    lantern === undefined || (centre !== undefined && isLit(centre, cell, lantern));
  const floor = (cell: Position) => (lantern !== undefined && lit(cell) ? LIT_FLOOR : chalk);
  const cells = Array.from({ length: view.height }, (_, row) =>
    Array.from({ length: view.width }, (_, column) => {
      const cell = { x: left + column, y: top + row };
      if (!isWall(map, cell)) return floor(cell)("  ");
      return lit(cell) ? WALL : DARK_WALL;
    }),
  );
  const put = (cell: Position, drawn: string) => {
    const row = cells[cell.y - top];
    if (cell.x >= left && cell.x < left + view.width && row) row[cell.x - left] = drawn;
  };
  for (const { text, at } of map.labels) {
    // a label is written over the floor two columns per cell, so it takes half as many cells
    const labelCells = Array.from({ length: Math.ceil(text.length / 2) }, (_, i) => ({
      x: at.x + i,
      y: at.y,
    }));
    // A room's name is the map's, not a secret: written whole once the light touches it, not cut
    // at the light's edge ("PARL").
    if (!labelCells.some(lit)) continue;
    labelCells.forEach((cell, i) =>
      put(cell, floor(cell).dim(text.slice(2 * i, 2 * i + 2).padEnd(2))),
    );
  }
  for (const shadow of shadows) {
    put(shadow, floor(shadow)(SHADOW(draw.labels.get(shadow.name) ?? shadow.name.slice(0, 2))));
  }
  for (const { at, kind } of markers) put(at, MARKER[kind]("  "));
  for (const player of state?.players ?? []) put(player, square(player.name, draw));
  return cells.map((row) => row.join(""));
}

/** m:ss */
function clock(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

/** The scoreboard on one line, as many players as fit, always including you. */
function scoreboardLine(
  board: readonly PlayerScore[],
  you: string,
  columns: number,
  draw: Painter,
): string {
  const heading = "time as a human, ×tags:";
  const entry = ({ name, humanMs, tags }: PlayerScore) => {
    const text = ` ${clock(humanMs)}${tags > 0 ? ` ×${tags}` : ""}`;
    return { name, drawn: square(name, draw) + text, width: 2 + text.length };
  };
  const entries = board.map(entry);
  const shown: typeof entries = [];
  let width = heading.length;
  for (const next of entries) {
    if (width + 2 + next.width > columns) break;
    shown.push(next);
    width += 2 + next.width;
  }
  const withYou = includingYou(shown, entries, you);
  return [chalk.dim(heading), ...withYou.map(({ drawn }) => drawn)].join("  ");
}

/**
 * The entries a scoreboard has room for, with the last one given up to yours
 * when yours did not make it: whatever your rank, you see your own score.
 */
function includingYou<Entry extends { name: string }>(
  shown: readonly Entry[],
  all: readonly Entry[],
  you: string,
): readonly Entry[] {
  const own = all.find(({ name }) => name === you);
  if (!own || shown.includes(own) || shown.length === 0) return shown;
  return [...shown.slice(0, -1), own];
}

/** A text engraved in a wall row: walls on both sides of it, so the house still looks closed. */
function engraved(text: string, columns: number): string {
  const rest = columns - 4 - visibleWidth(text);
  const wallCells = Math.floor(rest / 2);
  return `${WALL} ${text} ${" ".repeat(rest - 2 * wallCells)}${WALL.repeat(wallCells)}`;
}

/** The scoreboard beside the map: one player a line, the longest human first, always including you. */
function sidebar(
  board: readonly PlayerScore[],
  you: string,
  rows: number,
  draw: Painter,
): string[] {
  const line = ({ name, humanMs, tags }: PlayerScore) => {
    const text = `${name.padEnd(16)} ${clock(humanMs).padStart(5)}${tags > 0 ? ` ×${tags}` : ""}`;
    return `${square(name, draw)} ${name === you ? chalk.bold(text) : text}`;
  };
  const shown = includingYou(board.slice(0, rows - 1), board, you);
  return [chalk.dim("time as a human, ×tags"), ...shown.map(line)];
}

/** Control characters replaced: text that came from the network must never steer the terminal. */
function plainText(text: string): string {
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, "?");
}

const ANSI_STYLE = /\x1b\[[0-9;]*m/g;

/** The columns a line takes on the terminal: its characters, without the colour codes. */
function visibleWidth(line: string): number {
  return [...line.replace(ANSI_STYLE, "")].length;
}

/** A line cut to `columns` (its colour codes kept), or padded to them with `pad` if given. */
function fitWidth(line: string, columns: number, pad?: string): string {
  let width = 0;
  let fitted = "";
  let cut = false;
  for (const part of line.split(/(\x1b\[[0-9;]*m)/)) {
    if (part.startsWith("\x1b[")) fitted += part;
    else
      for (const char of part) {
        if (width === columns) cut = true;
        if (cut) break;
        fitted += char;
        width++;
      }
  }
  // a colour cut off before its end would spill onto the next line
  if (cut && fitted.includes("\x1b[")) fitted += "\x1b[0m";
  return pad === undefined ? fitted : fitted + pad.repeat(columns - width);
}

/** What the screen needs of the terminal it draws on: process.stdout is one. */
export interface TerminalOutput {
  readonly columns?: number;
  readonly rows?: number;
  write(text: string): unknown;
  on(event: "resize", listener: () => void): unknown;
  off(event: "resize", listener: () => void): unknown;
}

/** Owns the terminal while the game runs; close() gives it back exactly as it was. */
export class Screen {
  private last = "";
  private open = false;
  private frame: Frame | undefined;
  /** A resized terminal is drawn again at once, from the last frame, at its new size. */
  private readonly redraw = () => {
    this.last = "";
    this.out.write("\x1b[2J");
    if (this.frame) this.draw(this.frame);
  };

  constructor(private readonly out: TerminalOutput = process.stdout) {}

  draw(frame: Frame): void {
    this.frame = frame;
    // a terminal that does not say its size (or says 0 × 0, as a bare pseudo-terminal does) is taken as 80 × 24
    const size = { columns: this.out.columns || 80, rows: this.out.rows || 24 };
    const lines = renderFrame(frame, size);
    // each line is rewritten in place and the rest of the screen cleared, so nothing is left from before
    const text = lines.map((line, row) => `\x1b[${row + 1};1H${line}\x1b[K`).join("") + "\x1b[J";
    if (text === this.last) return;
    if (!this.open) {
      this.out.write("\x1b[?1049h\x1b[?25l\x1b[2J"); // alternate screen, hide the cursor
      this.out.on("resize", this.redraw);
    }
    this.open = true;
    this.last = text;
    this.out.write(text);
  }

  close(): void {
    if (this.open) {
      this.out.off("resize", this.redraw);
      this.out.write("\x1b[?25h\x1b[?1049l"); // show the cursor, back to the normal screen
    }
    this.open = false;
  }
}
