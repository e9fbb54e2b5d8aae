/**
 * The maps the game is played on: the haunted house, and the mansion of sixteen houses.
 *
 * A map is drawn as text, one character per cell: `#` is a wall, a space is
 * floor, `+` is a doorway (floor between two rooms, in neither of them), and a
 * word in capitals is a room's name written on its floor. On the wire a map
 * travels as its walls only, rows of `#` and `.` (the welcome's WALLS): a
 * client recognises a map it knows by those rows and gets the room names back,
 * and draws any other map (a server built from another checkout) without them.
 *
 * A cell is drawn two terminal columns wide so that squares look square, so the
 * house (39 × 21 cells) fills 78 × 21 columns and leaves room for a name row above
 * the map and a status line below it on an 80 × 24 terminal.
 */
const HOUSE_DRAWING = [
  "#######################################",
  "#           #           #             #",
  "#  LIBRARY  #  KITCHEN  #   GRAND     #",
  "#           #           #   HALL      #",
  "#           +           +             #",
  "#           #           #             #",
  "#####++#########+########+++++++++++++#",
  "#           #           #             #",
  "#  PARLOUR  #  CELLAR   +   CHAPEL    #",
  "#           #           #             #",
  "#           +           #             #",
  "#           #           ########++#####",
  "######++#####           #             #",
  "#           ######++#####             #",
  "#  ATTIC    #           +   CRYPT     #",
  "#           #           #             #",
  "#           +           #             #",
  "#           #  GALLERY  #             #",
  "#           #           #             #",
  "#           #           +             #",
  "#######################################",
];

export interface Position {
  readonly x: number;
  readonly y: number;
}

/** A room: its name, and on a map of several houses, which house (wing) it is in. */
export interface Room {
  readonly name: string;
  readonly wing?: string;
}

/** A word written on the floor of a room, from the cell `at` on. */
export interface Label {
  readonly text: string;
  readonly at: Position;
}

export interface GameMap {
  readonly width: number;
  readonly height: number;
  /** rows of `#` (wall) and `.` (floor), the form the map travels in on the wire */
  readonly rows: readonly string[];
  /** the room names written on the floor: none on a map this client does not know */
  readonly labels: readonly Label[];
  /**
   * The room of each cell, row after row (cell x, y at y × width + x): undefined on
   * walls and doorways, and everywhere on a map this client does not know.
   */
  readonly rooms: readonly (Room | undefined)[];
}

export function isWall(map: GameMap, { x, y }: Position): boolean {
  return map.rows[y]?.[x] !== ".";
}

export function roomAt(map: GameMap, { x, y }: Position): Room | undefined {
  return x >= 0 && x < map.width ? map.rooms[y * map.width + x] : undefined;
}

/**
 * Where a square stands in words, for the status line:
 * "grand hall, wing B3"; undefined in a doorway.
 */
export function roomName(map: GameMap, position: Position): string | undefined {
  const room = roomAt(map, position);
  if (!room) return undefined;
  const name = room.name.toLowerCase();
  return room.wing ? `${name}, wing ${room.wing}` : name;
}

/**
 * Where newcomers enter a map: the middle of the grand hall nearest the map's middle (on the
 * mansion, wing C2's), or the map's middle on a map without one.
 */
export function entranceOf(map: GameMap): Position {
  const middle = { x: Math.floor(map.width / 2), y: Math.floor(map.height / 2) };
  const halls = new Map<Room, { x: number; y: number; cells: number }>();
  map.rooms.forEach((room, cell) => {
    if (room?.name !== "GRAND HALL") return;
    const sum = halls.get(room) ?? { x: 0, y: 0, cells: 0 };
    halls.set(room, {
      x: sum.x + (cell % map.width),
      y: sum.y + Math.floor(cell / map.width),
      cells: sum.cells + 1,
    });
  });
  const centres = [...halls.values()].map(({ x, y, cells }) => ({
    x: Math.round(x / cells),
    y: Math.round(y / cells),
  }));
  const distance = (cell: Position) => Math.hypot(cell.x - middle.x, cell.y - middle.y);
  return centres.sort((a, b) => distance(a) - distance(b))[0] ?? middle;
}

/** A map with walls and floor only: how a client sees a map it does not know. */
function plainMap(rows: readonly string[]): GameMap {
  const width = rows[0]?.length ?? 0;
  if (width === 0 || rows.some((row) => row.length !== width || !/^[#.]+$/.test(row))) {
    throw new Error("a map is a non-empty rectangle of '#' and '.'");
  }
  return { width, height: rows.length, rows, labels: [], rooms: [] };
}

/**
 * A map from its drawing. A room is the floor that can be walked through without
 * crossing a doorway, and its name is the words written in it; `wingOf` names
 * the house a cell is in, on a map made of several.
 */
function mapFromDrawing(drawing: readonly string[], wingOf?: (cell: Position) => string): GameMap {
  const { width, height, rows } = plainMap(drawing.map((row) => row.replace(/[^#]/g, ".")));
  const labels = drawing.flatMap((row, y) =>
    [...row.matchAll(/[A-Z]+/g)].map((match) => ({ text: match[0], at: { x: match.index, y } })),
  );
  const inRoom = ({ x, y }: Position) =>
    drawing[y]?.[x] !== undefined && !"#+".includes(drawing[y]![x]!);
  const rooms: (Room | undefined)[] = new Array(width * height).fill(undefined);
  const found = new Set<number>();
  for (let start = 0; start < width * height; start++) {
    const first = { x: start % width, y: Math.floor(start / width) };
    if (found.has(start) || !inRoom(first)) continue;
    // a flood fill from the first cell of a room not yet found gathers the whole room
    const cells = [start];
    found.add(start);
    for (let i = 0; i < cells.length; i++) {
      const x = cells[i]! % width;
      const y = Math.floor(cells[i]! / width);
      for (const next of [
        { x: x + 1, y },
        { x: x - 1, y },
        { x, y: y + 1 },
        { x, y: y - 1 },
      ]) {
        const index = next.y * width + next.x;
        if (inRoom(next) && !found.has(index)) {
          found.add(index);
          cells.push(index);
        }
      }
    }
    const words = labels.filter(({ at }) => cells.includes(at.y * width + at.x));
    const room: Room = {
      name: words.map(({ text }) => text).join(" "),
      ...(wingOf ? { wing: wingOf(first) } : {}),
    };
    for (const cell of cells) rooms[cell] = room;
  }
  return { width, height, rows, labels, rooms };
}

export const HOUSE_MAP: GameMap = mapFromDrawing(HOUSE_DRAWING);

/**
 * The mansion: sixteen houses in four rows of four, each sharing its walls with
 * its neighbours, and doors cut through every shared wall where the house's
 * halls meet it. Sixteen times the house's floor, so that a thousand players
 * fill it about as densely as sixty-four fill the house.
 */
const WINGS_ACROSS = 4;
const WINGS_DOWN = 4;
/** Neighbouring houses share a wall, so each house starts one cell before the last one ends. */
const WING_WIDTH = HOUSE_MAP.width - 1;
const WING_HEIGHT = HOUSE_MAP.height - 1;
/** Where the halls running west to east meet a house's side walls (the hall rows of the house). */
const SIDE_DOOR_ROWS = [4, 16];
/** Where the rooms at the north and south ends of a house have room for a double door. */
const END_DOOR_COLUMNS = [5, 6, 30, 31];

function mansionDrawing(): string[] {
  const cells = Array.from({ length: WINGS_DOWN * WING_HEIGHT + 1 }, () =>
    new Array<string>(WINGS_ACROSS * WING_WIDTH + 1).fill("#"),
  );
  for (let wingY = 0; wingY < WINGS_DOWN; wingY++) {
    for (let wingX = 0; wingX < WINGS_ACROSS; wingX++) {
      const left = wingX * WING_WIDTH;
      const top = wingY * WING_HEIGHT;
      HOUSE_DRAWING.forEach((row, y) =>
        [...row].forEach((cell, x) => (cells[top + y]![left + x] = cell)),
      );
      if (wingX > 0) for (const y of SIDE_DOOR_ROWS) cells[top + y]![left] = "+";
      if (wingY > 0) for (const x of END_DOOR_COLUMNS) cells[top]![left + x] = "+";
    }
  }
  return cells.map((row) => row.join(""));
}

/** A wing is named like a square on a chessboard: row A (north) to D, column 1 (west) to 4. */
const wingOf = ({ x, y }: Position) =>
  `${"ABCDEFGH"[Math.floor(y / WING_HEIGHT)]}${Math.floor(x / WING_WIDTH) + 1}`;

export const MANSION_MAP: GameMap = mapFromDrawing(mansionDrawing(), wingOf);

/** The maps a server can be started with (`--map house|mansion`). */
export const MAPS = { house: HOUSE_MAP, mansion: MANSION_MAP } as const;
export type MapName = keyof typeof MAPS;

/** Whether a word (from the command line or the network) names one of the maps. */
export function isMapName(word: string): word is MapName {
  return Object.hasOwn(MAPS, word);
}

/**
 * The map that rows of `#` and `.` describe: the known map with those walls,
 * names and rooms included, or a map of walls and floor only. Throws if the rows
 * are not a rectangle of those two characters.
 */
export function mapFromRows(rows: readonly string[]): GameMap {
  const map = plainMap(rows);
  const walls = rows.join("/");
  return Object.values(MAPS).find((known) => known.rows.join("/") === walls) ?? map;
}
