/**
 * The haunted house: the map every game step plays on.
 *
 * One character is one cell: `#` is a wall, anything else is floor. A cell is
 * drawn two terminal columns wide so that squares look square, so the house
 * (39 × 21 cells) fills 78 × 21 columns and leaves room for a name row above
 * the map and a status line below it on an 80 × 24 terminal.
 */
const HOUSE = [
  "#######################################",
  "#           #           #             #",
  "#  LIBRARY  #  KITCHEN  #   GRAND     #",
  "#           #           #   HALL      #",
  "#                                     #",
  "#           #           #             #",
  "#####  ######### ########             #",
  "#           #           #             #",
  "#  PARLOUR  #  CELLAR       CHAPEL    #",
  "#           #           #             #",
  "#                       #             #",
  "#           #           ########  #####",
  "######  #####           #             #",
  "#           ######  #####             #",
  "#  ATTIC    #               CRYPT     #",
  "#           #           #             #",
  "#                       #             #",
  "#           #  GALLERY  #             #",
  "#           #           #             #",
  "#           #                         #",
  "#######################################",
];

export interface GameMap {
  readonly width: number;
  readonly height: number;
  /** rows of `#` (wall) and `.` (floor), the form the map travels in on the wire */
  readonly rows: readonly string[];
}

export interface Position {
  readonly x: number;
  readonly y: number;
}

export const HOUSE_MAP: GameMap = mapFromRows(HOUSE.map((row) => row.replace(/[^#]/g, ".")));

/** Builds a map from rows of `#` and `.`; throws if the rows are not a rectangle of those two characters. */
export function mapFromRows(rows: readonly string[]): GameMap {
  const width = rows[0]?.length ?? 0;
  if (width === 0 || rows.some((row) => row.length !== width || !/^[#.]+$/.test(row))) {
    throw new Error("a map is a non-empty rectangle of '#' and '.'");
  }
  return { width, height: rows.length, rows };
}

export function isWall(map: GameMap, { x, y }: Position): boolean {
  return map.rows[y]?.[x] !== ".";
}

/** The room labels of the house, for the renderer to write on the floor. */
export const ROOM_LABELS: readonly { text: string; at: Position }[] = HOUSE.flatMap((row, y) =>
  [...row.matchAll(/[A-Z]+/g)].map((match) => ({ text: match[0], at: { x: match.index, y } })),
);
