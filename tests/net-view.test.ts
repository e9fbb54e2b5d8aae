/** The --net view (lib/net-view.ts): its counts, its lines, how the screen draws it, and a real run. */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import chalk from "chalk";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
import { parseTraceLine } from "../scripts/experiments/lab.ts";
import { HOUSE_MAP } from "../lib/map.ts";
import { NetView } from "../lib/net-view.ts";
import type { GameState } from "../lib/state.ts";
import { EVENT_MS, Score } from "../lib/score.ts";
import { type Frame, renderFrame } from "../lib/screen.ts";
import { portPool, runBot } from "./helpers.ts";

const strip = (line: string) => line.replace(/\x1b\[[0-9;]*m/g, "");

beforeEach(() => {
  chalk.level = 0;
});

/** A view fed one second: three states (tick 11 lost), two inputs sent, one state received twice. */
function oneSecond(view = new NetView(true)): NetView {
  view.sent("INPUT ann RIGHT 1");
  view.sent("INPUT ann RIGHT 1");
  for (const tick of [10, 12, 13]) {
    view.received(`STATE tick=${tick} ann,1,1 END`);
    view.stateShown(tick);
  }
  view.received("STATE tick=13 ann,1,1 END");
  view.stateShown(13); // the same tick again: neither shown anew nor a gap
  view.roundTrip(183.4);
  view.secondPassed();
  return view;
}

describe("the counts", () => {
  it("add up every datagram and byte each way, and the ticks the states skipped", () => {
    expect(oneSecond().totals()).toEqual({
      sent: { datagrams: 2, bytes: 34 },
      received: { datagrams: 4, bytes: 100 },
      ticksShown: 3,
      ticksMissed: 1,
    });
  });

  it("show the last whole second as rates, and nothing of the second still running", () => {
    const view = oneSecond();
    view.sent("INPUT ann LEFT 2");
    expect(view.lines(0)).toEqual([
      "net  in 4/s 100 B/s · out 2/s 34 B/s · lost 1 of 4 ticks · rtt 183 ms",
    ]);
  });
});

describe("each step shows what it has", () => {
  it("step 05: the traffic, the ticks lost and the round trip, in one line", () => {
    expect(oneSecond().lines(0)).toHaveLength(1);
  });

  it("step 06: the inputs not yet acknowledged", () => {
    const view = oneSecond();
    view.unacknowledged = 3;
    expect(view.lines(0)[1]).toBe("     unacked 3");
  });

  it("step 07: how far back the others are drawn, and the prediction's corrections", () => {
    const view = oneSecond();
    view.unacknowledged = 0;
    view.prediction = { corrections: { count: 1, cells: 2 } };
    view.interpolation = { behindMs: (now) => now / 10 };
    expect(view.lines(1040)[1]).toBe(
      "     unacked 0 · others drawn 104 ms back · 1 fix (2 cells) · faint = server",
    );
    expect(view.totals().corrections).toBe(1);
  });

  it("step 11: how early the server had the inputs, and how far ahead the client's clock runs", () => {
    const view = oneSecond(); // the newest state shown is tick 13
    view.inputClock = { tick: 18, early: undefined };
    expect(view.lines(0)[1]).toBe("     inputs early – · clock 5 ticks ahead");
    view.inputClock = { tick: 18, early: 2 };
    expect(view.lines(0)[1]).toBe("     inputs 2 ticks early · clock 5 ticks ahead");
    view.inputClock = { tick: 14, early: -1 };
    expect(view.lines(0)[1]).toBe("     input missed its tick · clock 1 tick ahead");
  });

  it("step 12: the last tag attempt, seen, rewound and real, for EVENT_MS", () => {
    const view = oneSecond();
    const marks = {
      seen: { x: 4, y: 2 },
      rewound: { x: 4, y: 2 },
      real: { x: 7, y: 2 },
      words: "tag: seen at tick 253, they had moved 3 cells: tagged",
    };
    expect(view.markers(0)).toEqual([]);
    view.tagJudged(marks, 1000);
    expect(view.markers(1000)).toEqual([
      { at: { x: 7, y: 2 }, kind: "real" },
      { at: { x: 4, y: 2 }, kind: "rewound" },
      { at: { x: 4, y: 2 }, kind: "seen" },
    ]);
    expect(view.lines(1000).at(-1)).toBe(
      `     ${marks.words} · blue = seen, green = rewound, red = real`,
    );
    expect(view.markers(1000 + EVENT_MS)).toEqual([]);
    expect(view.lines(1000 + EVENT_MS)).toHaveLength(1);
  });

  it("step 07: a faint square where the server has one that is drawn elsewhere", () => {
    const server: GameState = {
      ghost: null,
      players: [
        { name: "ann", x: 3, y: 4 },
        { name: "bob", x: 9, y: 4 },
        { name: "cy", x: 20, y: 2 },
      ],
    };
    const drawn: GameState = {
      ghost: null,
      players: [
        { name: "ann", x: 5, y: 4 }, // predicted two cells ahead
        { name: "bob", x: 8, y: 4 }, // interpolated a cell behind
        { name: "cy", x: 20, y: 2 }, // standing still: no shadow
      ],
    };
    const view = new NetView(true);
    expect(view.shadows(server, drawn, "ann")).toEqual([]); // steps 05 and 06 draw the server's state
    view.prediction = { corrections: { count: 0, cells: 0 } };
    expect(view.shadows(server, drawn, "ann").map(({ name }) => name)).toEqual(["ann"]);
    view.interpolation = { behindMs: () => 100 };
    expect(view.shadows(server, drawn, "ann").map(({ name }) => name)).toEqual(["ann", "bob"]);
  });
});

describe("on the screen", () => {
  const state: GameState = {
    ghost: "bob",
    players: [
      { name: "ann", x: 5, y: 4 },
      { name: "bob", x: 20, y: 4 },
    ],
  };
  const frame = (net?: Frame["net"]): Frame => ({
    title: "Haunted Chronicles 07",
    you: "ann",
    map: HOUSE_MAP,
    state,
    score: new Score("ann"),
    status: " ping 183 ms · 2 online",
    message: "lag 150ms",
    now: 0,
    net,
  });
  const net = {
    lines: ["net  in 20/s 1631 B/s", "     unacked 0"],
    shadows: [{ name: "ann", x: 2, y: 4 }],
  };

  it("draws the net lines at the bottom, and still fits an 80 × 24 terminal", () => {
    const lines = renderFrame(frame(net), { columns: 80, rows: 24 }).map(strip);
    expect(lines).toHaveLength(24);
    expect(lines.slice(-4)).toEqual([
      expect.stringMatching(/^ .*ping 183 ms · 2 online/),
      "lag 150ms",
      "net  in 20/s 1631 B/s",
      "     unacked 0",
    ]);
  });

  it("draws your shadow where the server has you, and your square where you are predicted", () => {
    const lines = renderFrame(frame(net), { columns: 120, rows: 45 }).map(strip);
    const row = lines[1 + 4]!;
    expect(row.slice(2 * 2, 2 * 2 + 2)).toBe("an");
    expect(row.slice(5 * 2, 5 * 2 + 2)).toBe("an");
    const hidden = renderFrame(frame(), { columns: 120, rows: 45 }).map(strip);
    expect(hidden[1 + 4]!.slice(2 * 2, 2 * 2 + 2)).toBe("  ");
    expect(hidden.at(-1)).toBe("lag 150ms");
  });

  it("marks the last tag attempt's cells in colour: blue seen, green rewound, red real", () => {
    chalk.level = 1;
    const markers = [
      { at: { x: 9, y: 4 }, kind: "real" as const },
      { at: { x: 7, y: 4 }, kind: "seen" as const },
    ];
    const row = renderFrame(frame({ ...net, markers }), { columns: 120, rows: 45 })[1 + 4]!;
    expect(row).toContain(chalk.bgRed("  "));
    expect(row).toContain(chalk.bgBlue("  "));
    expect(row).not.toContain(chalk.bgGreen("  "));
  });
});

describe("a real client's --net figures", () => {
  const folderOfTraces = mkdtempSync(join(tmpdir(), "net-view-"));
  afterAll(() => rmSync(folderOfTraces, { recursive: true, force: true }));

  for (const step of ["05-tick-broadcast", "07-client-prediction"]) {
    describe(`step ${step.slice(0, 2)}`, () => {
      let server: RunningServer;
      beforeAll(async () => {
        // the server loses states, so that the client sees gaps in the ticks
        server = await startServer(step, ["--ports", portPool(2), "--loss", "20"]);
      });
      afterAll(() => server.stop());

      it("agree with its --trace of the same run", async () => {
        const file = join(folderOfTraces, `${step}.trace`);
        const { code, summary } = await runBot(step, server.port, "ann", 2, [
          ...["--net", "--loss", "10", "--trace-file", file],
        ]);
        expect(code).toBe(0);
        const trace = readFileSync(file, "utf8").split("\n").map(parseTraceLine);
        const lines = trace.filter((line) => line !== undefined);
        const traffic = (sent: boolean) => {
          const side = lines.filter((line) => line.sent === sent);
          return { datagrams: side.length, bytes: side.reduce((sum, line) => sum + line.bytes, 0) };
        };
        // a state older than the newest shown came late: the client skips it, and so does this
        let newest: number | undefined;
        let ticksShown = 0;
        let ticksMissed = 0;
        for (const line of lines) {
          const tick = /^STATE tick=(\d+) /.exec(line.text)?.[1];
          if (line.sent || tick === undefined || Number(tick) <= (newest ?? -1)) continue;
          ticksMissed += newest === undefined ? 0 : Number(tick) - newest - 1;
          newest = Number(tick);
          ticksShown++;
        }
        expect(summary?.net).toMatchObject({
          sent: traffic(true),
          received: traffic(false),
          ticksShown,
          ticksMissed,
        });
        expect(ticksShown).toBeGreaterThan(10);
        expect(ticksMissed).toBeGreaterThan(0); // 20 % of the states were lost on the way
        expect(lines.some((line) => line.fate === "dropped")).toBe(true); // and 10 % of ours
      });
    });
  }
});
