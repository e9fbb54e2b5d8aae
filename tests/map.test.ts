import { describe, expect, it } from "vitest";
import {
  type GameMap,
  type Position,
  HOUSE_MAP,
  MANSION_MAP,
  MAPS,
  isWall,
  mapFromRows,
  roomAt,
  roomName,
} from "../lib/map.ts";

const floorOf = (map: GameMap): Position[] =>
  map.rows.flatMap((row, y) => [...row].flatMap((cell, x) => (cell === "." ? [{ x, y }] : [])));

/** How many floor cells can be walked to from `start`. */
function reachableFrom(map: GameMap, start: Position): number {
  const reached = new Set<string>([`${start.x},${start.y}`]);
  const toVisit = [start];
  for (let cell = toVisit.pop(); cell; cell = toVisit.pop()) {
    for (const next of [
      { x: cell.x + 1, y: cell.y },
      { x: cell.x - 1, y: cell.y },
      { x: cell.x, y: cell.y + 1 },
      { x: cell.x, y: cell.y - 1 },
    ]) {
      const key = `${next.x},${next.y}`;
      if (isWall(map, next) || reached.has(key)) continue;
      reached.add(key);
      toVisit.push(next);
    }
  }
  return reached.size;
}

describe("the mansion", () => {
  it("has sixteen houses' floor and the doors between them: about 10,000 cells", () => {
    expect(MANSION_MAP.width).toBe(153);
    expect(MANSION_MAP.height).toBe(81);
    expect(floorOf(HOUSE_MAP).length).toBe(624);
    expect(floorOf(MANSION_MAP).length).toBe(16 * 624 + 72); // 24 doors of one cell, 24 of two
  });

  it("every floor cell can be reached from every other", () => {
    const floor = floorOf(MANSION_MAP);
    expect(reachableFrom(MANSION_MAP, floor[0]!)).toBe(floor.length);
  });

  it("is closed: its edge is wall all round", () => {
    const { rows, width, height } = MANSION_MAP;
    expect(rows[0]).toBe("#".repeat(width));
    expect(rows[height - 1]).toBe("#".repeat(width));
    expect(rows.every((row) => row[0] === "#" && row[width - 1] === "#")).toBe(true);
  });

  it("has the house's nine rooms in each of its sixteen wings", () => {
    const rooms = new Set(MANSION_MAP.rooms.filter((room) => room !== undefined));
    expect(rooms.size).toBe(16 * 9);
    const wings = new Set([...rooms].map((room) => room.wing));
    expect([...wings].sort()).toEqual(
      ["A", "B", "C", "D"].flatMap((row) => [1, 2, 3, 4].map((column) => `${row}${column}`)),
    );
  });

  it("finds the room and the wing of a cell", () => {
    expect(roomName(MANSION_MAP, { x: 2, y: 2 })).toBe("library, wing A1");
    expect(roomName(MANSION_MAP, { x: 38 + 30, y: 20 + 2 })).toBe("grand hall, wing B2");
    expect(roomName(MANSION_MAP, { x: 3 * 38 + 30, y: 3 * 20 + 16 })).toBe("crypt, wing D4");
    expect(roomName(MANSION_MAP, { x: 38, y: 4 })).toBeUndefined(); // the door from A1 to A2
  });
});

describe("rooms of the house", () => {
  it("are its nine named rooms, each where its name is written", () => {
    const rooms = new Set(HOUSE_MAP.rooms.filter((room) => room !== undefined));
    expect([...rooms].map((room) => room.name).sort()).toEqual([
      "ATTIC",
      "CELLAR",
      "CHAPEL",
      "CRYPT",
      "GALLERY",
      "GRAND HALL",
      "KITCHEN",
      "LIBRARY",
      "PARLOUR",
    ]);
    for (const { text, at } of HOUSE_MAP.labels)
      expect(roomAt(HOUSE_MAP, at)?.name).toContain(text);
  });

  it("finds the room of a cell; a doorway is in none", () => {
    expect(roomName(HOUSE_MAP, { x: 30, y: 2 })).toBe("grand hall");
    expect(roomName(HOUSE_MAP, { x: 12, y: 4 })).toBeUndefined();
  });
});

describe.each([
  ["house", HOUSE_MAP],
  ["mansion", MANSION_MAP],
])("the doorways of the %s", (_, map) => {
  it("are the only floor outside the rooms, and each joins two rooms", () => {
    for (const cell of floorOf(map).filter((cell) => !roomAt(map, cell))) {
      const { x, y } = cell;
      const across = [
        [roomAt(map, { x: x - 1, y }), roomAt(map, { x: x + 1, y })],
        [roomAt(map, { x, y: y - 1 }), roomAt(map, { x, y: y + 1 })],
      ];
      const joins = across.some(([a, b]) => a && b && a !== b);
      expect(joins, `the doorway at ${x},${y}`).toBe(true);
    }
  });
});

describe("a map that came over the wire", () => {
  it("is the known map, names and rooms included, when its rows are one", () => {
    expect(mapFromRows([...HOUSE_MAP.rows])).toBe(HOUSE_MAP);
    expect(mapFromRows([...MANSION_MAP.rows])).toBe(MANSION_MAP);
    expect(Object.keys(MAPS)).toEqual(["house", "mansion"]);
  });

  it("is drawn from its walls alone when this client does not know it", () => {
    const rows = [...HOUSE_MAP.rows];
    rows[1] = `##${rows[1]!.slice(2)}`; // one more wall: another checkout's house
    const map = mapFromRows(rows);
    expect(map).not.toBe(HOUSE_MAP);
    expect(map.labels).toEqual([]);
    expect(roomAt(map, { x: 30, y: 2 })).toBeUndefined();
    expect(isWall(map, { x: 1, y: 1 })).toBe(true);
  });

  it("is refused when it is not a rectangle of walls and floor", () => {
    expect(() => mapFromRows(["###", "#."])).toThrow();
    expect(() => mapFromRows(["#x#"])).toThrow();
  });
});
