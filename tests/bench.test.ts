/**
 * `npm run bench`, smoke-tested: the real bench, as a process, on steps 02, 03
 * and 06 with two players (a crowd bot and a probe) for a second. It checks the
 * table's shape and that its figures make sense, not how fast this machine is.
 * And the crowd's quick reading of a state must agree with the steps' protocol.ts.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../scripts/harness/steps.ts";
import * as step02 from "../steps/02-tcp-squares/protocol.ts";
import * as step06 from "../steps/06-input-changes/protocol.ts";
import * as step09 from "../steps/09-lantern-interest/protocol.ts";
import * as step10 from "../steps/10-delta-snapshots/protocol.ts";
import * as step11 from "../steps/11-input-buffer/protocol.ts";
import { SentStates } from "../lib/delta.ts";
import type { Input } from "../lib/game.ts";
import * as step13 from "../steps/13-bits-on-the-wire/protocol.ts";
import { BinaryDeltas, ProtocolDeltas, TextDeltas } from "../scripts/bench/held-deltas.ts";
import { binaryStep13 } from "../scripts/bench/steps.ts";
import { type BotContext, Meter } from "../scripts/bench/crowd.ts";
import { type TickedInputs, inputsForTicks } from "../scripts/bench/bots-udp.ts";
import type { Figures, RunResult } from "../scripts/bench/figures.ts";
import { CHARTS, chartSvg } from "../scripts/bench/chart.ts";
import {
  floorAdapter,
  inputsAtRate,
  meanInputs,
  meanStateBytes,
  startFloorServer,
} from "../scripts/bench/floor.ts";
import { ackOf, messageType, tickOf } from "../scripts/bench/peek.ts";
import { boundUdpSocket, until } from "./helpers.ts";

describe("a crowd bot's reading of a state", () => {
  const name = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
  const count = fc.nat({ max: 1_000_000 });
  const players = fc.uniqueArray(fc.record({ name, x: count, y: count, ack: count }), {
    selector: (player) => player.name,
    minLength: 1,
    maxLength: 30,
    size: "max",
  });

  it("finds the tick and every player's ack where step 06's protocol.ts does", () => {
    fc.assert(
      fc.property(count, players, fc.boolean(), (tick, squares, withGhost) => {
        const ghost = withGhost ? squares.at(-1)!.name : null;
        const text = step06.encodeServerMessage({
          type: "STATE",
          state: { tick, ghost, players: squares },
        });
        const parsed = step06.parseServerMessage(text);
        if (!parsed.ok || parsed.message.type !== "STATE") throw new Error("not a state");
        const state = Buffer.from(text);
        expect(messageType(state)).toBe("STATE");
        expect(tickOf(state)).toBe(parsed.message.state.tick);
        for (const player of parsed.message.state.players)
          expect(ackOf(state, player.name)).toBe(player.ack);
      }),
    );
  });

  it("finds no tick or ack in a state that has none, and no ack for a player not in it", () => {
    const state = Buffer.from(
      step02.encodeServerMessage({
        type: "STATE",
        state: { ghost: "bot12", players: [{ name: "bot12", x: 3, y: 4 }] },
      }),
    );
    expect(tickOf(state)).toBeUndefined();
    expect(ackOf(state, "bot12")).toBeUndefined();
    expect(ackOf(state, "bot1")).toBeUndefined();
  });

  it("counts the ticks it never saw as lost, and a late state as neither new nor lost", () => {
    const meter = new Meter();
    expect([1, 2, 5].map((tick) => meter.state(tick))).toEqual([true, true, true]);
    expect(meter.state(4)).toBe(false);
    expect(meter.counts).toMatchObject({ states: 4, lostStates: 2 });
  });
});

const STEPS = ["02", "03", "06"];

describe("a crowd bot's reading of the DELTAs", () => {
  const you = "bot7";
  const cell = fc.nat({ max: 200 });
  const other = fc.record({
    name: fc.constantFrom("a", "bot", "bot70", "bot7x", "z-_9"),
    x: cell,
    y: cell,
  });
  /** each tick: the others lit, your own square, whether the DELTA arrives, whether you ack it */
  const ticks = fc.array(
    fc.record({
      others: fc.uniqueArray(other, { selector: (square) => square.name, maxLength: 5 }),
      own: fc.record({ x: cell, y: cell, ack: fc.nat({ max: 99 }), ackTick: fc.nat({ max: 999 }) }),
      withOwn: fc.boolean(),
      arrives: fc.boolean(),
      acknowledged: fc.boolean(),
    }),
    { maxLength: 60, size: "max" },
  );

  for (const [step, acks, encode] of [
    [
      "10",
      true,
      (delta: Parameters<typeof step10.encodeServerMessage>[0]) =>
        step10.encodeServerMessage(delta),
    ],
    [
      "11",
      false,
      (delta: Parameters<typeof step10.encodeServerMessage>[0]) =>
        step11.encodeServerMessage({ ...delta, early: -1 } as Parameters<
          typeof step11.encodeServerMessage
        >[0]),
    ],
  ] as const)
    it(`holds the states step ${step}'s protocol.ts and lib/delta.ts hold, DELTA by DELTA`, () => {
      fc.assert(
        fc.property(ticks, fc.nat({ max: 100 }), (states, first) => {
          const sent = new SentStates(you);
          const quick = new TextDeltas(you, acks);
          const full = new ProtocolDeltas(you, step10, acks);
          for (const [index, { others, own, withOwn, arrives, acknowledged }] of states.entries()) {
            const tick = first + 1 + index;
            const players = [...others, ...(withOwn ? [{ name: you, ...own }] : [])];
            const delta = sent.next({ tick, ghost: others[0]?.name ?? null, players });
            if (!arrives) continue;
            const datagram = Buffer.from(encode({ type: "DELTA", delta }), "latin1");
            const read = full.read(
              Buffer.from(step10.encodeServerMessage({ type: "DELTA", delta })),
            );
            expect(quick.read(datagram)).toBe(read);
            expect(quick.newestTick).toBe(full.newestTick);
            if (read !== undefined && acks) expect(quick.ack).toBe(full.ack);
            if (acknowledged && quick.newestTick !== undefined) sent.acknowledge(quick.newestTick);
          }
        }),
      );
    });

  it("holds the states step 13's protocol.ts and lib/delta.ts hold, DELTA by DELTA", () => {
    fc.assert(
      // `trusting`: a server that takes each DELTA it sends as held, as a broken one would: DELTAs
      // then name states the bot refused, which its Bases still keep
      fc.property(ticks, fc.nat({ max: 100 }), fc.boolean(), (states, first, trusting) => {
        const sent = new SentStates(you);
        const quick = new BinaryDeltas(you, binaryStep13());
        const full = new ProtocolDeltas(you, binaryStep13(), false);
        for (const [index, { others, own, withOwn, arrives, acknowledged }] of states.entries()) {
          const tick = first + 1 + index;
          // cells on the mansion, the largest map, whose 153 × 81 cells step 13 writes in 8 and 7 bits
          const players = [...others, ...(withOwn ? [{ name: you, ...own }] : [])].map(
            ({ name, x, y }) => ({ name, x: x % 153, y: y % 81 }),
          );
          const delta = sent.next({ tick, ghost: others[0]?.name ?? null, players });
          // written against the cells of its base, which `sent` keeps, as step 13's server does
          const datagram = step13.encodeServerMessage({ type: "DELTA", delta, early: 0 }, sent);
          if (trusting) sent.acknowledge(tick);
          if (!arrives) continue;
          expect(quick.read(datagram)).toBe(full.read(datagram));
          expect(quick.newestTick).toBe(full.newestTick);
          if (acknowledged && quick.newestTick !== undefined) sent.acknowledge(quick.newestTick);
        }
      }),
    );
  });

  it("holds step 13's DELTAs in its Bases, and refuses one whose base it does not hold", () => {
    const sent = new SentStates(you);
    const held = new BinaryDeltas(you, binaryStep13());
    const datagramOf = (tick: number, x: number) => {
      const delta = sent.next({ tick, ghost: you, players: [{ name: you, x, y: 3 }] });
      return step13.encodeServerMessage({ type: "DELTA", delta, early: 0 }, sent);
    };
    expect(held.read(datagramOf(1, 5))).toBe(1);
    sent.acknowledge(1);
    datagramOf(2, 6); // sent, never arrives
    expect(held.read(datagramOf(3, 7))).toBe(3); // against tick 1, which the bot holds
    sent.acknowledge(3);
    expect(held.newestTick).toBe(3);
    // Against a state the bot never read: refused, and the bot still holds tick 3.
    const unheld = new SentStates(you);
    unheld.next({ tick: 9, ghost: you, players: [{ name: you, x: 5, y: 3 }] });
    unheld.acknowledge(9);
    const delta = unheld.next({ tick: 10, ghost: you, players: [{ name: you, x: 6, y: 3 }] });
    expect(
      held.read(step13.encodeServerMessage({ type: "DELTA", delta, early: 0 }, unheld)),
    ).toBeUndefined();
    expect(held.newestTick).toBe(3);
  });

  it("reads nothing from a datagram that is not a whole DELTA", () => {
    const quick = new TextDeltas(you, false);
    for (const text of [
      "",
      "DELTA",
      "DELTA tick=5 0=bot7,1,2",
      "STATE tick=5 bot7,1,2 END",
      "DELTA 0=bot7,1,2 END",
    ])
      expect(quick.read(Buffer.from(text))).toBeUndefined();
    expect(quick.read(Buffer.from("DELTA tick=5 0=bot7,1,2 END"))).toBe(5);
    expect(quick.read(Buffer.from("DELTA tick=6 base=5 1,1,2 END"))).toBeUndefined();
    expect(quick.read(Buffer.from("DELTA tick=6 base=4 0,1,2 END"))).toBeUndefined();
    expect(quick.read(Buffer.from("DELTA tick=6 base=5 0,1,2x END"))).toBeUndefined();
    expect(quick.read(Buffer.from("DELTA tick=6 base=5 0,1,3 -4 END"))).toBeUndefined();
    expect(quick.read(Buffer.from("DELTA tick=6 base=5 ghost=bot7 early=-1 0,1,3 END"))).toBe(6);
  });

  it("reads a step 10 DELTA only with your square's acks, and keeps them", () => {
    const quick = new TextDeltas(you, true);
    expect(quick.read(Buffer.from("DELTA tick=5 0=bot7,1,2 1=bot,3,4 END"))).toBeUndefined();
    expect(quick.read(Buffer.from("DELTA tick=5 0=bot7,1,2,3,4 1=bot,3,4 END"))).toBe(5);
    expect(quick.ack).toBe(3);
    expect(quick.read(Buffer.from("DELTA tick=6 base=5 1,3,5 END"))).toBeUndefined();
    expect(quick.read(Buffer.from("DELTA tick=6 base=5 0,1,2,9,6 -1 END"))).toBe(6);
    expect(quick.ack).toBe(9);
  });
});

/** A crowd bot's context, for a play tried without a crowd: its server is not there. */
const botContext = (): BotContext => ({
  name: "bot",
  localAddress: "127.0.0.1",
  server: { host: "127.0.0.1", port: 0 },
  meter: new Meter(),
  fail() {},
});

describe("a step 11 crowd bot's inputs", () => {
  /** A bot whose newest state is of tick 100, and the ticks of each INPUT it sends, read as it goes. */
  function botAtTick100() {
    const states = { newestTick: 100 as number | undefined, ack: undefined, read: () => undefined };
    const bot = botContext();
    const play = inputsForTicks(bot, states);
    const sent: number[][] = [];
    // its inputs are RecentInputs' own array, which the next frame changes: read them now
    const frame = (input: Input) =>
      play.frame(input, 0, ({ inputs }: TickedInputs) => sent.push(inputs.map(({ tick }) => tick)));
    return { states, frame, sent };
  }

  it("stop 3 ticks ahead of the newest state while the server's ticks come late", () => {
    const { frame, sent } = botAtTick100();
    for (let frames = 0; frames < 20; frames++) frame("UP");
    // Frames for ticks 102 and 103, then none: without the pacing, one a frame up to tick 121.
    expect(sent).toEqual([[102], [102, 103]]);
  });

  it.each([
    [
      "go on one tick a frame when late states come in a burst, the copies kept",
      103,
      "LEFT",
      [102, 103, 104],
    ],
    ["jump 2 ticks ahead once the newest state has reached the next tick", 104, "UP", [106]],
  ] as const)("%s", (_, newestTick, input, ticksSent) => {
    const { states, frame, sent } = botAtTick100();
    frame("UP");
    frame("UP");
    states.newestTick = newestTick;
    frame(input);
    expect(sent.at(-1)).toEqual(ticksSent);
  });
});

describe("the floor's bots", () => {
  const bot = botContext();

  it("send as many inputs a second as the step's players sent, whatever the input does", () => {
    for (const [perSecond, frames, expected] of [
      [7.2, 20, 7],
      [14.5, 40, 29],
      [0, 20, 0],
      [25, 4, 5],
    ]) {
      const play = inputsAtRate(bot, perSecond!);
      const seqs: number[] = [];
      for (let frame = 0; frame < frames!; frame++)
        play.frame(frame % 3 === 0 ? "UP" : "LEFT", 0, ({ seq }) => seqs.push(seq));
      expect(seqs).toEqual(Array.from({ length: expected! }, (_, i) => i + 1));
    }
  });

  it("send what the step's players sent, measured in the run before", () => {
    const figures = {
      messagesPerSecond: { up: 7.2, down: 20 },
      bytesPerSecond: { up: 151, down: 520 },
    } as Figures;
    expect(meanInputs(figures)).toEqual({ perSecond: 7.2, bytes: 21 });
    expect(meanStateBytes(figures)).toBe(48); // 26 bytes: sent as the floor's smallest
    const silent = { messagesPerSecond: { up: 0, down: 0 }, bytesPerSecond: { up: 0, down: 0 } };
    expect(meanInputs(silent as Figures)).toEqual({ perSecond: 0, bytes: 0 });
    expect(meanStateBytes(silent as Figures)).toBeUndefined();
  });

  it("pad their inputs to the step's mean size, on a real floor server", async () => {
    const server = await startFloorServer(60);
    const meter = new Meter();
    const floorBot = floorAdapter({ perSecond: 20, bytes: 40 })({
      ...bot,
      meter,
      server: { host: server.host, port: server.port },
    });
    try {
      expect((await floorBot.join()).seated).toBe(true);
      const { messagesUp, bytesUp } = { ...meter.counts };
      for (let frame = 0; frame < 5; frame++) floorBot.frame("UP", 0);
      expect(meter.counts.messagesUp - messagesUp).toBe(5);
      expect(meter.counts.bytesUp - bytesUp).toBe(5 * 40);
      await until(() => meter.counts.states >= 2, 2000);
    } finally {
      floorBot.close();
      await server.stop();
    }
  });
});

describe("npm run bench", () => {
  const out = mkdtempSync(join(tmpdir(), "bench-test-"));
  let results: RunResult[] = [];
  const run = (step: string) => results.find((result) => result.plan.step === step)!;

  beforeAll(async () => {
    const args = ["--steps", STEPS.join(), "--players", "2", "--seconds", "1", "--json"];
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--import", "tsx", "scripts/bench.ts", ...args, "--out", out],
      { cwd: ROOT, timeout: 55_000 },
    );
    results = JSON.parse(stdout);
  }, 60_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("writes a table with a row per step and player count, and its legend", () => {
    const markdown = readFileSync(join(out, "results.md"), "utf8");
    const rows = markdown
      .split("\n")
      .filter((line) => line.startsWith("| ") && !line.startsWith("| ---"))
      .map((line) =>
        line
          .split("|")
          .slice(1, -1)
          .map((cell) => cell.trim()),
      );
    const [header, ...runs] = rows;
    expect(header).toEqual([
      "step",
      "players",
      "p50/p99 ms",
      "states/s",
      "lost %",
      "down B/s",
      "up B/s",
      "largest B",
      "server %",
      "RSS MB",
      "crowd %",
    ]);
    expect(runs.map((row) => row.slice(0, 2))).toEqual(STEPS.map((step) => [step, "2"]));
    // the latency is named for what it measures: a round trip for 02 and 03, input to state shown for 06
    expect(runs.map((row) => row[2]!.split(" ")[0])).toEqual(["rtt", "rtt", "shown"]);
    for (const line of markdown.split("\n").filter((line) => line.startsWith("|")))
      expect(line.length).toBeLessThanOrEqual(120);
    expect(markdown).toContain("- **p50/p99 ms**");
  });

  it("measures figures in sane ranges, with every player playing", () => {
    for (const { seated, figures, notes } of results) {
      expect(notes).toEqual([]);
      expect(seated).toBe(2);
      expect(figures!.latencyMs.p50).toBeGreaterThan(0);
      expect(figures!.latencyMs.p99).toBeGreaterThanOrEqual(figures!.latencyMs.p50!);
      expect(figures!.latencyMs.p99).toBeLessThan(1000);
      // about 20 states a second; a busy test machine may slow the frames a little
      expect(figures!.statesPerSecond).toBeGreaterThan(10);
      expect(figures!.statesPerSecond).toBeLessThan(25);
      expect(figures!.bytesPerSecond.down).toBeGreaterThan(figures!.bytesPerSecond.up);
      expect(figures!.bytesPerSecond.up).toBeGreaterThan(0);
      expect(figures!.serverCpuPercent).toBeGreaterThanOrEqual(0);
      expect(figures!.serverCpuPercent).toBeLessThanOrEqual(200);
      expect(figures!.serverPeakMb).toBeGreaterThan(10);
      expect(figures!.crowdCpuPercent).toBeGreaterThan(0);
    }
  });

  it("sees step 02 open a connection per message, and step 03 keep one open", () => {
    expect(run("02").figures!.connectionsPerSecond).toBeGreaterThan(10);
    expect(run("03").figures!.connectionsPerSecond).toBe(0);
  });

  it("counts the states of a UDP step, with their tick numbers, and the size of its datagrams", () => {
    const { figures } = run("06");
    expect(figures!.lostPercent).toBe(0);
    expect(figures!.messagesPerSecond.down).toBeCloseTo(figures!.statesPerSecond, 0);
    // step 06 sends only input changes: fewer messages up than the 20 a second of step 03
    expect(figures!.messagesPerSecond.up).toBeLessThan(run("03").figures!.messagesPerSecond.up / 2);
    expect(figures!.largestMessageBytes).toBeGreaterThan(20);
    expect(figures!.largestMessageBytes).toBeLessThan(200);
    expect(run("03").figures!.lostPercent).toBeNull();
  });

  it("writes the charts, each with a line per step it shows", () => {
    const linesOf = (file: string) =>
      [...readFileSync(join(out, file), "utf8").matchAll(/<polyline[^>]*data-step="(\d+)"/g)].map(
        (match) => match[1],
      );
    expect(linesOf("bytes-down.svg")).toEqual(STEPS);
    expect(linesOf("largest-datagram.svg")).toEqual(["06"]);
    expect(linesOf("latency.svg")).toEqual(STEPS);
  });
});

describe("the charts", () => {
  /** A run of `step` with `players`, its server at `cpu` % of a core; a floor row with `floorBytes`. */
  const result = (step: string, players: number, cpu: number, floorBytes?: number) =>
    ({
      plan: { step, folder: `${step}-a-step`, players, seconds: 1, probes: 0, floorBytes },
      seated: players,
      mapFull: false,
      figures: { serverCpuPercent: cpu },
      notes: [],
      runSeconds: 1,
    }) as unknown as RunResult;

  it("draw the floor of the newest step measured with one apart, dashed, and never in a step's line", () => {
    const chart = CHARTS.find(({ file }) => file === "server-cpu.svg")!;
    const svg = chartSvg(chart, [
      result("09", 16, 4),
      result("09", 16, 1, 60),
      result("10", 16, 5),
      result("10", 16, 2, 80),
      result("10", 1000, 40),
      result("10", 1000, 10, 80),
    ]);
    const lines = [...svg.matchAll(/<polyline[^>]*data-step="([^"]+)"[^>]*points="([^"]*)"/g)];
    expect(lines.map((match) => match[1])).toEqual(["09", "10", "floor"]);
    // step 10's line has its two runs only, the floor's two points are step 10's floor rows
    expect(lines.map((match) => match[2]!.split(" ").length)).toEqual([1, 2, 2]);
    expect(svg).toContain("floor: only the network, of step 10's traffic");
    expect(svg).toMatch(/data-step="floor"[^>]*stroke-dasharray/);
  });
});

describe("the floor server", () => {
  it("welcomes a CONNECT, then sends --bytes a tick, with its tick and a padded input's ack", async () => {
    const server = await startFloorServer(120);
    const socket = await boundUdpSocket();
    const datagrams: Buffer[] = [];
    socket.on("message", (datagram) => datagrams.push(datagram));
    try {
      socket.send(
        step09.encodeClientMessage({ type: "CONNECT", username: "ann" }).padEnd(100),
        server.port,
        server.host,
      );
      await until(() => datagrams.length >= 1);
      const welcome = step09.parseServerMessage(datagrams[0]!.toString("utf8"));
      expect(welcome.ok && welcome.message.type).toBe("CONNECTED");
      // padded, as the floor's bots pad theirs to a step's mean size
      const input = step09.encodeClientMessage({
        type: "INPUT",
        username: "ann",
        input: "UP",
        seq: 7,
      });
      socket.send(input.padEnd(40), server.port, server.host);
      await until(() => datagrams.some((datagram) => ackOf(datagram, "ann") === 7), 2000);
      const states = datagrams.slice(1);
      expect(states.every((state) => state.length === 120)).toBe(true);
      const ticks = states.map((state) => tickOf(state)!);
      expect(ticks).toEqual(ticks.map((_, i) => ticks[0]! + i));
    } finally {
      await server.stop();
    }
  });
});
