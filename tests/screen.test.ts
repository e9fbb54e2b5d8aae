import { EventEmitter } from "node:events";
import chalk from "chalk";
import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { LANTERN_REACH, isLit } from "../lib/lantern.ts";
import { type GameMap, type Position, HOUSE_MAP, MANSION_MAP, isWall } from "../lib/map.ts";
import type { GameState } from "../lib/state.ts";
import { Score } from "../lib/score.ts";
import { type Frame, type TerminalSize, Screen, renderFrame } from "../lib/screen.ts";

const strip = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "");
const widthOf = (line: string) => [...strip(line)].length;

/** Three bots in the house, bot1 the ghost, as bot2 sees them after watching for a while. */
function houseFrame(overrides: Partial<Frame> = {}): Frame {
  const state: GameState = {
    ghost: "bot1",
    players: [
      { name: "bot1", x: 1, y: 1 },
      { name: "bot2", x: 30, y: 2 },
      { name: "bot3", x: 20, y: 17 },
    ],
  };
  const score = new Score("bot2");
  score.observe(state, 0);
  score.observe(state, 65_000);
  return {
    title: "Haunted Chronicles 07",
    you: "bot2",
    map: HOUSE_MAP,
    state,
    score,
    status: " ping 12 ms · 3 online · sent 20/s · received 20/s · 127.0.0.1:4000",
    message: "arrows or WASD move · space stops · q quits",
    now: 65_000,
    ...overrides,
  };
}

/** A frame of the mansion with you alone at `at`. */
function mansionFrame(at: Position): Frame {
  const state: GameState = { ghost: "gus", players: [{ name: "ann", ...at }] };
  return { ...houseFrame(), map: MANSION_MAP, state, you: "ann", score: new Score("ann") };
}

const TERMINAL: TerminalSize = { columns: 80, rows: 24 };

beforeEach(() => {
  chalk.level = 0;
});

describe("an 80 × 24 terminal", () => {
  it("holds the whole house, the scoreboard, the title, the status and the message", () => {
    const lines = renderFrame(houseFrame(), TERMINAL).map(strip);
    expect(lines).toHaveLength(24);
    expect(lines[0]).toBe("Haunted Chronicles 07 · you b2 bot2 · ghost b1 bot1");
    // the house's rows 0 to 19, every wall where the map has one
    for (let y = 0; y < 20; y++) {
      const cells = lines[1 + y]!.match(/.{2}/g)!;
      cells.forEach((cell, x) =>
        expect(cell === "██", `${x},${y}`).toBe(isWall(HOUSE_MAP, { x, y })),
      );
    }
    // its bottom wall carries the scoreboard, still walled at both ends
    expect(lines[21]).toMatch(/^██ time as a human, ×tags: {2}b2 1:05 {2}b3 1:05 .*██$/);
    expect(lines[22]).toMatch(/^ grand hall · ping 12 ms/);
    expect(lines[23]).toBe("arrows or WASD move · space stops · q quits");
    for (const line of lines) expect(widthOf(line)).toBeLessThanOrEqual(80);
  });

  it("tells the bots apart and writes the room names", () => {
    const lines = renderFrame(houseFrame(), TERMINAL).map(strip);
    expect(lines[1 + 1]!.slice(2, 4)).toBe("b1");
    expect(lines[1 + 2]!.slice(60, 62)).toBe("b2");
    expect(lines[1 + 17]!.slice(40, 42)).toBe("b3");
    expect(lines[1 + 2]).toContain("LIBRARY".match(/.{1,2}/g)!.join(""));
  });
});

describe("the title and the status line", () => {
  it("names you once when your name is you", () => {
    const state: GameState = { ghost: "bot1", players: [{ name: "you", x: 30, y: 2 }] };
    const [title] = renderFrame(
      houseFrame({ you: "you", state, score: new Score("you") }),
      TERMINAL,
    );
    expect(strip(title!)).toBe("Haunted Chronicles 07 · you yo · ghost bo bot1");
  });

  it("leaves out the last facts whole when they do not fit, instead of cutting one", () => {
    const status = " ping 12 ms · 3 in sight · sent 20/s · received 20/s · 127.0.0.1:40000";
    const facts = ["grand hall", ...status.split(" · ").map((fact) => fact.trim())];
    for (const columns of [80, 90, 100, 120]) {
      const line = strip(renderFrame(houseFrame({ status }), { columns, rows: 24 })[22]!);
      expect(widthOf(line)).toBe(columns);
      const shown = line.trim().split(" · ");
      expect(shown).toEqual(facts.slice(0, shown.length));
      const next = facts[shown.length];
      if (next) expect(widthOf(`${line.trimEnd()} · ${next}`)).toBeGreaterThan(columns);
    }
  });
});

describe("colours", () => {
  beforeEach(() => {
    chalk.level = 3;
  });

  it("draw the ghost the same in the title and on the map", () => {
    const [title, , ghostRow] = renderFrame(houseFrame(), TERMINAL);
    const ghostOnMap = ghostRow!.slice(0, ghostRow!.indexOf("b1") + 2).replace(/^.*██/, "");
    expect(ghostOnMap).toContain("b1");
    expect(title).toContain(ghostOnMap);
  });

  it("draw a resting ghost otherwise, and say how long it rests", () => {
    const state: GameState = {
      ghost: "bot1",
      players: [
        { name: "bot1", x: 1, y: 1 },
        { name: "bot2", x: 30, y: 2 },
      ],
    };
    const score = new Score("bot2");
    score.observe({ ...state, ghost: "bot2" }, 0);
    score.observe(state, 1000); // bot2 tagged bot1
    const resting = renderFrame(houseFrame({ state, score, now: 1500 }), TERMINAL);
    const hunting = renderFrame(houseFrame({ state, score, now: 3500 }), TERMINAL);
    expect(resting[2]).not.toBe(hunting[2]);
    expect(strip(resting[2]!)).toBe(strip(hunting[2]!));
    expect(strip(resting[0]!)).toContain("ghost b1 bot1, resting 1.5 s");
    expect(strip(resting[22]!)).toContain("you tagged bot1");
    expect(strip(hunting[22]!)).toContain("you tagged bot1");
  });

  it("never make a line wider than the terminal, whatever its size (property)", () => {
    const size = fc.record({
      columns: fc.integer({ min: 1, max: 200 }),
      rows: fc.integer({ min: 1, max: 60 }),
    });
    const longText = fc.string({ maxLength: 300, size: "max" });
    const place = fc.record({
      x: fc.integer({ min: 0, max: 160 }),
      y: fc.integer({ min: 0, max: 90 }),
    });
    fc.assert(
      fc.property(size, longText, place, fc.boolean(), (terminal, text, at, mansion) => {
        const frame = mansion ? mansionFrame(at) : houseFrame();
        const lines = renderFrame({ ...frame, status: text, message: text }, terminal);
        expect(lines.length).toBeLessThanOrEqual(terminal.rows);
        for (const line of lines) expect(widthOf(line)).toBeLessThanOrEqual(terminal.columns);
      }),
    );
  });
});

describe("a terminal smaller than the map", () => {
  it("78 × 24 is enough for the house", () => {
    const lines = renderFrame(houseFrame(), { columns: 78, rows: 24 });
    expect(lines).toHaveLength(24);
    expect(strip(lines[21]!)).toMatch(/^██ time as a human.*██$/);
  });

  it.each([
    [77, 24],
    [80, 23],
    [40, 10],
  ])("%i × %i says so in one line instead of a cut map", (columns, rows) => {
    const lines = renderFrame(houseFrame(), { columns: 200, rows: 23 });
    expect(lines).toEqual([expect.stringMatching(/^This terminal is 200×23/)]);
    const small = renderFrame(houseFrame(), { columns, rows });
    expect(small).toEqual([
      `This terminal is ${columns}×${rows}: make it at least 78×24 to play.`.slice(0, columns),
    ]);
  });

  it("shows control characters from the network as '?'", () => {
    const lines = renderFrame(houseFrame({ message: "evil\x1b]0;pwned\x07" }), TERMINAL);
    expect(lines[23]).toBe("evil?]0;pwned?");
  });
});

describe("a wider terminal", () => {
  it("puts the scoreboard beside the map, one player a line", () => {
    const lines = renderFrame(houseFrame(), { columns: 120, rows: 30 }).map(strip);
    expect(lines[1]!.slice(80)).toBe("time as a human, ×tags");
    expect(lines[2]!.slice(80).trimEnd()).toBe("b2 bot2              1:05");
    expect(lines[21]).toMatch(/^█{78} *$/); // the bottom wall is a wall again
  });
});

/** The cell under each square's label on screen, and where your own label is. */
function window(lines: string[], at: Position, map: GameMap) {
  const rows = lines.slice(1, -3).map(strip); // title above; scoreboard, status, message below
  const row = rows.findIndex((line) => line.includes("an"));
  const column = rows[row]!.indexOf("an") / 2;
  const origin = { x: at.x - column, y: at.y - row };
  rows.forEach((line, y) =>
    line.match(/.{2}/g)!.forEach((cell, x) => {
      const position = { x: origin.x + x, y: origin.y + y };
      if (cell === "██") expect(isWall(map, position), `${position.x},${position.y}`).toBe(true);
      if (cell === "  ") expect(isWall(map, position)).toBe(false);
    }),
  );
  return { origin, size: { width: rows[0]!.length / 2, height: rows.length } };
}

describe("the mansion, larger than the terminal", () => {
  it("draws a window of it that follows your square", () => {
    for (const at of [
      { x: 100, y: 50 },
      { x: 30, y: 40 },
      { x: 120, y: 16 },
    ]) {
      const { origin, size } = window(renderFrame(mansionFrame(at), TERMINAL), at, MANSION_MAP);
      expect(size).toEqual({ width: 40, height: 20 });
      expect(origin).toEqual({ x: at.x - 20, y: at.y - 10 }); // you in the middle
    }
  });

  it("stops at the mansion's edge rather than show past it", () => {
    const { origin } = window(
      renderFrame(mansionFrame({ x: 1, y: 1 }), TERMINAL),
      { x: 1, y: 1 },
      MANSION_MAP,
    );
    expect(origin).toEqual({ x: 0, y: 0 });
    const far = { x: 151, y: 79 };
    const corner = window(renderFrame(mansionFrame(far), TERMINAL), far, MANSION_MAP);
    expect(corner.origin).toEqual({ x: 153 - 40, y: 81 - 20 });
  });

  it("says which room and wing you are in", () => {
    const lines = renderFrame(mansionFrame({ x: 38 + 30, y: 20 + 2 }), TERMINAL);
    expect(strip(lines.at(-2)!)).toMatch(/^ grand hall, wing B2 · /);
  });
});

describe("the mansion in the dark", () => {
  /** You in wing B2's library, bob beside you, and cy in the kitchen next door, out of your light. */
  const you = { x: 44, y: 24 };
  const darkFrame = (overrides: Partial<Frame> = {}): Frame => ({
    ...mansionFrame(you),
    state: {
      ghost: "cy",
      players: [
        { name: "ann", ...you },
        { name: "bob", x: 46, y: 25 },
        { name: "cy", x: 55, y: 24 },
      ],
    },
    lantern: LANTERN_REACH,
    ...overrides,
  });

  it("draws the cells in your lantern's reach, and beyond it dark walls and black floor", () => {
    const lines = renderFrame(darkFrame(), TERMINAL);
    expect(lines).toHaveLength(24);
    for (const line of lines) expect(widthOf(line)).toBeLessThanOrEqual(80);
    const { origin } = window(lines, you, MANSION_MAP);
    const rows = lines.slice(1, -3).map(strip);
    let lit = 0;
    rows.forEach((line, y) =>
      line.match(/.{2}/g)!.forEach((cell, x) => {
        const position = { x: origin.x + x, y: origin.y + y };
        if (!isWall(MANSION_MAP, position)) return;
        expect(cell, `${position.x},${position.y}`).toBe(isLit(you, position) ? "██" : "░░");
        if (cell === "██") lit++;
      }),
    );
    expect(lit).toBeGreaterThan(10); // the library's walls around you
  });

  it("writes a room's name in the light only, and draws every square the state has", () => {
    const lines = renderFrame(darkFrame(), TERMINAL);
    const rows = lines.slice(1, -3).map(strip);
    const { origin } = window(lines, you, MANSION_MAP);
    const at = ({ x, y }: Position) =>
      rows[y - origin.y]!.slice(2 * (x - origin.x), 2 * (x - origin.x) + 2);
    expect(at({ x: 41, y: 22 }) + at({ x: 42, y: 22 })).toBe("LIBR"); // 3 to 4 cells from you
    expect(at({ x: 53, y: 22 })).toBe("  "); // the kitchen's name, 9 cells away, is dark
    expect(at({ x: 46, y: 25 })).toBe("bo");
    expect(at({ x: 55, y: 24 })).toBe("cy"); // the state has cy: drawn, even where it is dark
  });

  it("writes a room's name whole once the light touches it, not cut at the light's edge", () => {
    // from the attic of wing A1, the light reaches the parlour's name by its first cell only
    const attic = { x: 3, y: 16 };
    expect(isLit(attic, { x: 3, y: 8 })).toBe(true);
    expect(isLit(attic, { x: 4, y: 8 })).toBe(false);
    const frame = darkFrame({ state: { ghost: "cy", players: [{ name: "ann", ...attic }] } });
    const rows = renderFrame(frame, TERMINAL).map(strip);
    expect(rows.some((row) => row.includes("PARLOUR"))).toBe(true);
  });

  it("lights the floor with a glow that ends where the light ends", () => {
    const { origin } = window(renderFrame(darkFrame(), TERMINAL), you, MANSION_MAP);
    chalk.level = 3;
    const glow = chalk.bgAnsi256(236)("  ");
    const row = renderFrame(darkFrame(), TERMINAL)[1 + you.y - origin.y]!;
    // your row runs east through the library's door: 8 cells of lit floor, then black floor
    expect(row).toContain(`${glow.repeat(LANTERN_REACH)}  `);
  });

  it("is all dark until your square is known", () => {
    const lines = renderFrame(darkFrame({ state: { ghost: null, players: [] } }), TERMINAL);
    expect(lines.join("")).toContain("░░");
    expect(lines.join("")).not.toContain("██");
  });
});

describe("Screen", () => {
  class FakeTerminal extends EventEmitter {
    columns = 80;
    rows = 24;
    written = "";
    write(text: string): boolean {
      this.written += text;
      return true;
    }
  }

  it("draws again at the new size when the terminal is resized, and lets go of it on close", () => {
    const terminal = new FakeTerminal();
    const screen = new Screen(terminal);
    screen.draw(houseFrame());
    expect(terminal.written).toContain("██ time as a human");
    terminal.written = "";
    terminal.columns = 60;
    terminal.emit("resize");
    expect(terminal.written).toContain("This terminal is 60×24");
    screen.close();
    expect(terminal.listenerCount("resize")).toBe(0);
  });
});
