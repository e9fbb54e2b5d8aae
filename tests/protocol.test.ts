/**
 * The grammar of every step's protocol.ts: each message a step speaks is written and read back
 * to itself, no line of junk makes a parser throw, and each step refuses what later steps add.
 */
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Delta, SquareChange } from "../lib/delta.ts";
import { INPUTS } from "../lib/game.ts";
import { FUTURE_TICKS, REDUNDANT_INPUTS } from "../lib/input-buffer.ts";
import { MOST_SQUARES_LIT } from "../lib/lantern.ts";
import { HOUSE_MAP, MANSION_MAP } from "../lib/map.ts";
import * as step02 from "../steps/02-tcp-squares/protocol.ts";
import * as step03 from "../steps/03-tcp-persistent/protocol.ts";
import * as step04 from "../steps/04-udp-dedicated-ports/protocol.ts";
import * as step05 from "../steps/05-tick-broadcast/protocol.ts";
import * as step06 from "../steps/06-input-changes/protocol.ts";
import * as step07 from "../steps/07-client-prediction/protocol.ts";
import * as step08 from "../steps/08-one-socket-handshake/protocol.ts";
import * as step09 from "../steps/09-lantern-interest/protocol.ts";
import * as step10 from "../steps/10-delta-snapshots/protocol.ts";
import * as step11 from "../steps/11-input-buffer/protocol.ts";
import * as step12 from "../steps/12-lag-compensation/protocol.ts";

type Parsed = { ok: true; message: unknown } | { ok: false; reason: string };

/** A step's protocol.ts as these tests drive it: any step's messages go in, plain values come out. */
interface StepProtocol {
  encodeClientMessage(message: never): string;
  encodeServerMessage(message: never): string;
  parseClientMessage(line: string): Parsed;
  parseServerMessage(line: string): Parsed;
  parseConnect?(line: string): unknown;
}

/**
 * What each step's grammar has, lesson by lesson: the tick of a STATE (05), the input's <seq> and
 * the square's <ack> (06), <ackTick> (07), the CONNECT handshake (08), the welcome's MAP and acks
 * on your own square only (09), DELTA instead of STATE and INPUT's <held> (10), and inputs tagged
 * with their tick instead of <seq>, DELTA's early= instead of the acks (11), and INPUT's <seen>
 * with DELTA's verdict= (12).
 */
interface Grammar {
  folder: string;
  protocol: StepProtocol;
  tick: boolean;
  seq: boolean;
  acks: "none" | "ack" | "ack and tick" | "own square";
  handshake: boolean;
  mapName: boolean;
  delta: boolean;
  ticked: boolean;
  seen?: boolean;
}

const BEFORE_TICKS = { tick: false, seq: false, acks: "none", handshake: false } as const;
const STEPS: Grammar[] = [
  {
    folder: "02-tcp-squares",
    protocol: step02,
    ...BEFORE_TICKS,
    mapName: false,
    delta: false,
    ticked: false,
  },
  {
    folder: "03-tcp-persistent",
    protocol: step03,
    ...BEFORE_TICKS,
    mapName: false,
    delta: false,
    ticked: false,
  },
  {
    folder: "04-udp-dedicated-ports",
    protocol: step04,
    ...BEFORE_TICKS,
    mapName: false,
    delta: false,
    ticked: false,
  },
  {
    folder: "05-tick-broadcast",
    protocol: step05,
    ...{ ...BEFORE_TICKS, tick: true },
    mapName: false,
    delta: false,
    ticked: false,
  },
  {
    folder: "06-input-changes",
    protocol: step06,
    ...{ tick: true, seq: true, acks: "ack", handshake: false },
    mapName: false,
    delta: false,
    ticked: false,
  },
  {
    folder: "07-client-prediction",
    protocol: step07,
    ...{ tick: true, seq: true, acks: "ack and tick", handshake: false },
    mapName: false,
    delta: false,
    ticked: false,
  },
  {
    folder: "08-one-socket-handshake",
    protocol: step08,
    ...{ tick: true, seq: true, acks: "ack and tick", handshake: true },
    mapName: false,
    delta: false,
    ticked: false,
  },
  {
    folder: "09-lantern-interest",
    protocol: step09,
    ...{ tick: true, seq: true, acks: "own square", handshake: true },
    mapName: true,
    delta: false,
    ticked: false,
  },
  {
    folder: "10-delta-snapshots",
    protocol: step10,
    ...{ tick: true, seq: true, acks: "own square", handshake: true },
    mapName: true,
    delta: true,
    ticked: false,
  },
  {
    folder: "11-input-buffer",
    protocol: step11,
    ...{ tick: true, seq: false, acks: "none", handshake: true },
    mapName: true,
    delta: true,
    ticked: true,
  },
  {
    folder: "12-lag-compensation",
    protocol: step12,
    ...{ tick: true, seq: false, acks: "none", handshake: true },
    mapName: true,
    delta: true,
    ticked: true,
    seen: true,
  },
];

const username = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
const place = { x: fc.nat(), y: fc.nat() };

/** A square as the step's states write it. */
function square(acks: Grammar["acks"], name = username) {
  const plain = fc.record({ name, ...place });
  const acked = fc.record({ name, ...place, ack: fc.nat() });
  const ticked = fc.record({ name, ...place, ack: fc.nat(), ackTick: fc.nat() });
  if (acks === "none") return plain;
  if (acks === "ack") return acked;
  if (acks === "ack and tick") return ticked;
  return fc.oneof(plain, acked, ticked);
}

/** A state: unique names, and a tick when the step's states have one. */
function state(tick: boolean, acks: Grammar["acks"], name = username) {
  const players = fc.uniqueArray(square(acks, name), {
    selector: ({ name }) => name,
    maxLength: 8,
  });
  const ghost = fc.option(name, { nil: null });
  return tick ? fc.record({ tick: fc.nat(), ghost, players }) : fc.record({ ghost, players });
}

/**
 * Any delta a server may send: ids changed once each, names brought once each, and only
 * squares with names when it has no base; with acks on the squares unless `acks` is false.
 */
const deltaOf = (acks: boolean): fc.Arbitrary<Delta> =>
  fc
    .record({
      tick: fc.integer({ min: 1, max: 1e9 }),
      baseBack: fc.option(fc.integer({ min: 1, max: 1e9 }), { nil: undefined }),
      ghost: fc.option(username, { nil: null }),
      squares: fc.uniqueArray(
        fc.record({
          id: fc.nat({ max: MOST_SQUARES_LIT - 1 }),
          name: username,
          kind: fc.constantFrom("enter" as const, "move" as const, "leave" as const),
          x: fc.nat(),
          y: fc.nat(),
          acks: acks
            ? fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined })
            : fc.constant(undefined),
        }),
        { selector: (square) => square.id, maxLength: 12 },
      ),
    })
    .map(({ tick, baseBack, ghost, squares }) => {
      const base = baseBack === undefined ? undefined : Math.max(0, tick - baseBack);
      const names = new Set<string>();
      const changes = squares.flatMap(({ id, name, kind, x, y, acks }): SquareChange[] => {
        const place = { x, y, ...(acks && { ack: acks[0], ackTick: acks[1] }) };
        if (kind === "leave" && base !== undefined) return [{ kind, id }];
        if (kind === "move" && base !== undefined) return [{ kind, id, ...place }];
        if (names.has(name)) return [];
        names.add(name);
        return [{ kind: "enter", id, name, ...place }];
      });
      return { tick, ...(base === undefined ? {} : { base }), ghost, changes };
    });
const delta = deltaOf(true);

/** How early a step 11 server had an input: -1 (missed its tick) or at most FUTURE_TICKS ticks. */
const early = fc.integer({ min: -1, max: FUTURE_TICKS });

/** A step 11 INPUT: its latest inputs, for 1 to REDUNDANT_INPUTS ticks in a row. */
const tickedInputs = fc
  .record({
    username,
    held: fc.nat(),
    first: fc.nat({ max: 1e12 }),
    directions: fc.array(fc.constantFrom(...INPUTS), {
      minLength: 1,
      maxLength: REDUNDANT_INPUTS,
    }),
  })
  .map(({ username, held, first, directions }) => ({
    type: "INPUT",
    username,
    held,
    inputs: directions.map((input, i) => ({ tick: first + i, input })),
  }));

/** A step 12 INPUT: a step 11 one, with the tick the screen showed. */
const seenInputs = fc
  .tuple(tickedInputs, fc.nat({ max: 1e12 }))
  .map(([message, seen]) => ({ ...message, seen }));

/** A step 12 verdict: the human seen, rewound to a cell, and where they were, if still there. */
const verdict = fc.record({
  seenTick: fc.nat(),
  seen: fc.record(place),
  real: fc.option(fc.record(place), { nil: undefined }),
  tagged: fc.boolean(),
});

/** Any message a client of the step sends, but CONNECT (read apart, by parseConnect). */
function clientMessage(step: Grammar): fc.Arbitrary<object> {
  const input = fc.record({
    type: fc.constant("INPUT"),
    username,
    input: fc.constantFrom(...INPUTS),
    ...(step.seq ? { seq: fc.nat() } : {}),
  });
  const inputs = step.delta
    ? fc.oneof(
        input,
        fc.tuple(input, fc.nat()).map(([message, held]) => ({ ...message, held })),
      )
    : input;
  const named = (type: string) => fc.record({ type: fc.constant(type), username });
  // from step 08 on, a goodbye carries the cookie that won the seat
  const cookie = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
  const disconnect = step.handshake
    ? fc.record({ type: fc.constant("DISCONNECT"), username, cookie })
    : named("DISCONNECT");
  return fc.oneof(
    ...(step.handshake ? [] : [named("CONNECTED")]),
    step.seen ? seenInputs : step.ticked ? tickedInputs : inputs,
    named("GETSTATE"),
    disconnect,
  );
}

/** Any message the step's server sends. */
function serverMessage(step: Grammar): fc.Arbitrary<object> {
  const cookie = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
  const welcomeState = step.mapName ? state(true, step.acks) : state(false, "none");
  const welcome = fc.record({
    type: fc.constant("CONNECTED"),
    port: fc.integer({ min: 0, max: 65535 }),
    username,
    ...(step.mapName
      ? { map: fc.constant(MANSION_MAP), mapName: fc.constant("mansion") }
      : { map: fc.constant(HOUSE_MAP) }),
    state: welcomeState,
  });
  const states = step.seen
    ? fc.record(
        { type: fc.constant("DELTA"), delta: deltaOf(false), early, verdict },
        { requiredKeys: ["type", "delta", "early"] },
      )
    : step.ticked
      ? fc.record({ type: fc.constant("DELTA"), delta: deltaOf(false), early })
      : step.delta
        ? fc.record({ type: fc.constant("DELTA"), delta })
        : fc.record({ type: fc.constant("STATE"), state: state(step.tick, step.acks) });
  return fc.oneof(
    welcome,
    states,
    ...(step.handshake ? [fc.record({ type: fc.constant("CHALLENGE"), cookie })] : []),
    fc.record({ type: fc.constant("DISCONNECTED"), username }),
    fc.record({
      type: fc.constant("ERROR"),
      reason: fc.stringMatching(/^[a-z0-9]{1,12}( [a-z0-9]{1,12}){0,5}$/),
    }),
  );
}

/** Words of the protocols strung together, so that arbitrary lines reach past the first check. */
const WORDS = [
  ...["CONNECTED", "CONNECT", "INPUT", "GETSTATE", "DISCONNECT", "STATE", "END", "WALLS", "MAP"],
  ...["ERROR", "CHALLENGE", "DELTA", "ann", "UP", "7", "-1", "3x1", "#.#", "mansion"],
  ...["ghost=ann", "tick=1", "base=0", "ann,1,2", "ann,1,2,3", "ann,1,2,3,4", "é👻"],
  ...["0=ann,1,2", "0,1,2,3,4", "-0", "1e3"],
];
const anyLine = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }), // any code point: what fast-check 3 called fullUnicodeString
  fc.array(fc.constantFrom(...WORDS)).map((words) => words.join(" ")),
);

describe.each(STEPS)("the grammar of $folder", (step) => {
  const { protocol } = step;

  it("reads back every client message it writes (property)", () => {
    fc.assert(
      fc.property(clientMessage(step), (message) => {
        const line = protocol.encodeClientMessage(message as never);
        expect(protocol.parseClientMessage(line)).toEqual({ ok: true, message });
      }),
    );
  });

  it("reads back every server message it writes (property)", () => {
    fc.assert(
      fc.property(serverMessage(step), (message) => {
        const line = protocol.encodeServerMessage(message as never);
        expect(protocol.parseServerMessage(line)).toEqual({ ok: true, message });
      }),
    );
  });

  it("never throws on any line: a message, or a reason (property)", () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        for (const parsed of [protocol.parseClientMessage(line), protocol.parseServerMessage(line)])
          expect(parsed.ok || parsed.reason.length > 0).toBe(true);
        protocol.parseConnect?.(line);
      }),
    );
  });

  // A message is never cut on the wire (TCP lines arrive whole, a UDP datagram whole or not at
  // all), so this only guards the parser against accepting half a message. A cut right after a
  // name that starts with END is a complete, shorter one, so those names are left out.
  const notEnd = username.filter((name) => !name.startsWith("END"));
  const deltaWithoutEndNames = deltaOf(!step.ticked).filter(
    ({ ghost, changes }) =>
      !ghost?.startsWith("END") &&
      changes.every((change) => change.kind !== "enter" || !change.name.startsWith("END")),
  );
  const states = step.delta
    ? deltaWithoutEndNames.map((delta) => ({ type: "DELTA", delta, early: 0 }))
    : state(step.tick, step.acks, notEnd).map((state) => ({ type: "STATE", state }));

  it("refuses a state cut short anywhere (property)", () => {
    fc.assert(
      fc.property(states, fc.nat(), (message, cut) => {
        const line = protocol.encodeServerMessage(message as never);
        expect(protocol.parseServerMessage(line.slice(0, cut % line.length)).ok).toBe(false);
      }),
    );
  });
});

/** The lines each step adds to the wire, which every earlier step must refuse. */
const LESSONS: { step: string; client: string[]; server: string[]; words: RegExp }[] = [
  { step: "05", client: [], server: ["STATE tick=1 ghost=ann ann,1,2 END"], words: /\btick\b/ },
  {
    step: "06",
    client: ["INPUT ann UP 7"],
    server: ["STATE tick=1 ghost=ann ann,1,2,7 END"],
    words: /\b(seq|ack)\b/,
  },
  { step: "07", client: [], server: ["STATE tick=1 ghost=ann ann,1,2,7,1 END"], words: /ackTick/ },
  {
    step: "08",
    client: ["CONNECT ann", "CONNECT ann abc"],
    server: ["CHALLENGE abc"],
    words: /\b(CONNECT|CHALLENGE|cookie)\b/,
  },
  {
    step: "09",
    client: [],
    server: ["CONNECTED 9999 ann 153x81 MAP mansion STATE tick=3 ghost=ann ann,1,2 END"],
    words: /\bMAP\b|mapName/,
  },
  {
    step: "10",
    client: ["INPUT ann UP 7 41"],
    server: ["DELTA tick=5 base=4 0,1,2 END"],
    words: /\b(DELTA|held)\b/,
  },
  {
    step: "11",
    client: ["INPUT ann 41 42 UP*3 NONE"],
    server: ["DELTA tick=5 base=4 early=2 0,1,2 END", "DELTA tick=6 early=-1 END"],
    words: /\bearly\b|REDUNDANT_INPUTS/,
  },
  {
    step: "12",
    client: ["INPUT ann 41 40 42 UP*3 NONE"],
    server: ["DELTA tick=5 base=4 early=2 verdict=3,1,2,4,2,T 0,1,2 END"],
    words: /\bverdict\b|\bseen\b/,
  },
];

describe("each step knows nothing of later steps", () => {
  const earlier = LESSONS.flatMap((lesson) =>
    STEPS.filter(({ folder }) => folder < lesson.step).map((step) => ({ ...lesson, by: step })),
  );

  it.each(earlier)("$by.folder refuses what step $step adds", ({ client, server, by }) => {
    for (const line of client) expect(by.protocol.parseClientMessage(line).ok).toBe(false);
    for (const line of server) expect(by.protocol.parseServerMessage(line).ok).toBe(false);
    for (const line of client) expect(by.protocol.parseConnect?.(line)).toBeUndefined();
  });

  it.each(earlier)("$by.folder's protocol.ts does not mention step $step's fields", (lesson) => {
    const file = new URL(`../steps/${lesson.by.folder}/protocol.ts`, import.meta.url);
    const source = readFileSync(file, "utf8");
    expect(source).not.toMatch(lesson.words);
  });

  it("and each step speaks what it adds", () => {
    for (const lesson of LESSONS) {
      const { protocol } = STEPS.find(({ folder }) => folder.startsWith(lesson.step))!;
      for (const line of lesson.server) expect(protocol.parseServerMessage(line).ok).toBe(true);
      for (const line of lesson.client) {
        const parsed = line.startsWith("CONNECT ")
          ? protocol.parseConnect!(line)
          : protocol.parseClientMessage(line).ok;
        expect(parsed).toBeTruthy();
      }
    }
  });
});

describe("a client's mistakes, each with the reason its ERROR gives", () => {
  it.each([
    ["", "empty message"],
    ["HELLO ann", "unknown command HELLO"],
    ["CONNECTED", "username is empty"],
    [`CONNECTED ${"a".repeat(17)}`, "username is longer than 16 characters"],
    ["CONNECTED ann!", "username may only use letters, digits, _ and -"],
    ["INPUT ann JUMP", "unknown direction JUMP"],
    ["INPUT ann UP 4", "expected INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE>"],
    ["CONNECTED ann bob", "expected CONNECTED <username>"],
  ])("step 02 refuses %j: %s", (line, reason) => {
    expect(step02.parseClientMessage(line)).toEqual({ ok: false, reason });
  });

  it.each([
    ["INPUT ann UP", "expected INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE> <seq>"],
    ["INPUT ann UP -1", "bad sequence number -1"],
    ["INPUT ann UP 4 5", "expected INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE> <seq>"],
  ])("step 06 refuses %j: %s", (line, reason) => {
    expect(step06.parseClientMessage(line)).toEqual({ ok: false, reason });
  });

  it.each([
    ["CONNECTED ann", "unknown command CONNECTED"],
    ["INPUT ann UP", "expected INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE> <seq>"],
  ])("step 08 refuses %j: %s", (line, reason) => {
    expect(step08.parseClientMessage(line)).toEqual({ ok: false, reason });
  });

  it.each([
    ["INPUT ann UP 4 -1", "bad tick -1"],
    ["INPUT ann UP 4 5 6", "expected INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE> <seq> [<held>]"],
  ])("step 10 refuses %j: %s", (line, reason) => {
    expect(step10.parseClientMessage(line)).toEqual({ ok: false, reason });
  });
});

describe("a server's mistakes", () => {
  it.each([
    ["STATE ghost=ann ann,1,2 ann,3,4 END", "malformed STATE"],
    ["STATE ghost=ann ann,1,-2 END", "malformed STATE"],
    ["CONNECTED 4001 ann 3x2 WALLS #.#/###/### STATE END", "WALLS do not match the size"],
    ["HELLO", "unknown message HELLO"],
  ])("step 02 refuses %j: %s", (line, reason) => {
    expect(step02.parseServerMessage(line)).toEqual({ ok: false, reason });
  });

  it('a ghost named "-" round-trips', () => {
    const message: step02.ServerMessage = {
      type: "STATE",
      state: { ghost: "-", players: [{ name: "-", x: 1, y: 1 }] },
    };
    expect(step02.parseServerMessage(step02.encodeServerMessage(message))).toEqual({
      ok: true,
      message,
    });
  });

  it("step 09 names its map instead of sending its walls, and knows only its own maps", () => {
    const state = { tick: 3, ghost: "ann", players: [{ name: "ann", x: 1, y: 2 }] };
    const welcome: step09.Welcome = {
      type: "CONNECTED",
      port: 9999,
      username: "ann",
      map: MANSION_MAP,
      mapName: "mansion",
      state,
    };
    const line = step09.encodeServerMessage(welcome);
    expect(line).toBe(`CONNECTED 9999 ann 153x81 MAP mansion STATE tick=3 ghost=ann ann,1,2 END`);
    expect(step09.parseServerMessage(line.replace("mansion", "castle"))).toEqual({
      ok: false,
      reason: "unknown map castle",
    });
  });
});

describe("step 08's handshake", () => {
  it.each([
    ["CONNECT alice", { type: "CONNECT", username: "alice" }],
    ["CONNECT alice   ", { type: "CONNECT", username: "alice" }], // padded with spaces
    [
      "CONNECT alice Q2hhbGxlbmdl_-1",
      { type: "CONNECT", username: "alice", cookie: "Q2hhbGxlbmdl_-1" },
    ],
  ])("parses %j", (line, message) => {
    expect(step08.parseConnect(line)).toEqual(message);
    expect(step08.parseConnect(step08.encodeClientMessage(step08.parseConnect(line)!))).toEqual(
      message,
    );
  });

  it.each([
    "CONNECTED alice",
    "CONNECT",
    "CONNECT bad!name",
    "CONNECT alice no/cookie",
    "CONNECT a b c",
  ])("is not a CONNECT: %j", (line) => expect(step08.parseConnect(line)).toBeUndefined());
});

describe("step 10's DELTA", () => {
  const examples: Delta[] = [
    {
      tick: 1834,
      ghost: "bot412",
      changes: [
        { kind: "enter", id: 0, name: "bot17", x: 96, y: 43, ack: 12, ackTick: 1830 },
        { kind: "enter", id: 1, name: "bot530", x: 97, y: 41 },
        { kind: "enter", id: 2, name: "7", x: 93, y: 45 }, // a name may be all digits
      ],
    },
    {
      tick: 1838,
      base: 1834,
      ghost: "bot412",
      changes: [
        { kind: "move", id: 0, x: 97, y: 43, ack: 13, ackTick: 1837 },
        { kind: "move", id: 1, x: 98, y: 41 },
        { kind: "leave", id: 2 },
        { kind: "enter", id: 3, name: "-bot", x: 103, y: 40 }, // and start with -
      ],
    },
    { tick: 1, ghost: null, changes: [] },
  ];

  it("writes a full state and a delta as the protocol table says", () => {
    expect(examples.map((delta) => step10.encodeServerMessage({ type: "DELTA", delta }))).toEqual([
      "DELTA tick=1834 ghost=bot412 0=bot17,96,43,12,1830 1=bot530,97,41 2=7,93,45 END",
      "DELTA tick=1838 base=1834 ghost=bot412 0,97,43,13,1837 1,98,41 -2 3=-bot,103,40 END",
      "DELTA tick=1 END",
    ]);
  });

  it.each([
    ["DELTA tick=5 base=5 0,1,2 END", "DELTA base 5 is not older than its tick"],
    ["DELTA tick=5 base=9 0,1,2 END", "DELTA base 9 is not older than its tick"],
    ["DELTA base=4 0,1,2 END", "malformed DELTA: no tick"],
    ["DELTA tick=-5 END", "malformed DELTA: no tick"],
    ["DELTA tick=5 base=x END", "malformed DELTA: bad base"],
    ["DELTA tick=5 ghost=b@d END", "malformed DELTA: bad ghost"],
    ["DELTA tick=5 base=4 0,1,2 0,2,2 END", "DELTA changes id 0 twice"],
    ["DELTA tick=5 base=4 -1 1=ann,2,2 END", "DELTA changes id 1 twice"],
    ["DELTA tick=5 0=ann,1,1 1=ann,2,2 END", "DELTA brings ann twice"],
    ["DELTA tick=5 0,1,2 END", "a DELTA without base can only bring squares"],
    ["DELTA tick=5 -0 END", "a DELTA without base can only bring squares"],
    ["DELTA tick=5 base=4 0,1,-2 END", "malformed DELTA change 0,1,-2"],
    ["DELTA tick=5 base=4 0,1 END", "malformed DELTA change 0,1"],
    ["DELTA tick=5 base=4 0,1,2,3,4,5 END", "malformed DELTA change 0,1,2,3,4,5"],
    ["DELTA tick=5 base=4 x,1,2 END", "malformed DELTA change x,1,2"],
    ["DELTA tick=5 base=4 1e3,1,2 END", "malformed DELTA change 1e3,1,2"],
    [
      `DELTA tick=5 base=4 ${MOST_SQUARES_LIT},1,2 END`,
      `malformed DELTA change ${MOST_SQUARES_LIT},1,2`,
    ],
    ["DELTA tick=5 99999=ann,1,2 END", "malformed DELTA change 99999=ann,1,2"],
    ["DELTA tick=5 base=4 -x END", "malformed DELTA change -x"],
    ["DELTA tick=5 base=4 - END", "malformed DELTA change -"],
    ["DELTA tick=5 =ann,1,2 END", "malformed DELTA change =ann,1,2"],
    ["DELTA tick=5 0=b@d,1,2 END", "malformed DELTA change 0=b@d,1,2"],
    ["DELTA tick=5 0=ann,1,2", "malformed DELTA"],
    ["DELTA tick=5 base=4 ghost=ann tick=6 END", "malformed DELTA change tick=6"],
  ])("rejects %j: %s", (line, reason) => {
    expect(step10.parseServerMessage(line)).toEqual({ ok: false, reason });
  });
});

describe("step 11's DELTA", () => {
  it("writes early= after the ghost, and your square without acks", () => {
    const delta: Delta = {
      tick: 1838,
      base: 1834,
      ghost: "bot412",
      changes: [
        { kind: "move", id: 0, x: 97, y: 43 },
        { kind: "enter", id: 3, name: "bot61", x: 103, y: 40 },
      ],
    };
    expect(step11.encodeServerMessage({ type: "DELTA", delta, early: 2 })).toBe(
      "DELTA tick=1838 base=1834 ghost=bot412 early=2 0,97,43 3=bot61,103,40 END",
    );
  });

  it.each([
    ["DELTA tick=5 base=4 0,1,2 END", "malformed DELTA: no early"],
    ["DELTA tick=5 early=-2 END", "malformed DELTA: no early"],
    ["DELTA tick=5 early=x END", "malformed DELTA: no early"],
    ["DELTA tick=5 early=21 END", "DELTA early 21 is beyond 20 ticks"],
    ["DELTA tick=5 early=999999999999999 END", "DELTA early 999999999999999 is beyond 20 ticks"],
    ["DELTA tick=5 early=0 ghost=ann END", "malformed DELTA change ghost=ann"],
    ["DELTA tick=5 early=0 0=ann,1,2,3,4 END", "malformed DELTA change 0=ann,1,2,3,4"],
    ["DELTA tick=5 base=4 early=0 0,1,2,3 END", "malformed DELTA change 0,1,2,3"],
  ])("rejects %j: %s", (line, reason) => {
    expect(step11.parseServerMessage(line)).toEqual({ ok: false, reason });
  });
});

describe("step 12's INPUT and verdict", () => {
  it("writes <seen> after <held>, and the verdict after early=", () => {
    const inputs = [1301, 1302].map((tick) => ({ tick, input: "UP" as const }));
    const input = { type: "INPUT", username: "ann", held: 1290, seen: 1291, inputs } as const;
    expect(step12.encodeClientMessage(input)).toBe("INPUT ann 1290 1291 1301 UP*2");
    const delta: Delta = { tick: 1303, base: 1300, ghost: "ann", changes: [] };
    const judged = { seenTick: 1294, seen: { x: 4, y: 2 }, real: undefined, tagged: false };
    expect(step12.encodeServerMessage({ type: "DELTA", delta, early: 1, verdict: judged })).toBe(
      "DELTA tick=1303 base=1300 ghost=ann early=1 verdict=1294,4,2,-,-,M END",
    );
  });

  it.each([
    [
      "INPUT ann 1290 1301 UP",
      "expected INPUT <username> <held> <seen> <tick> <UP|DOWN|LEFT|RIGHT|NONE>[*<count>] …",
    ],
    ["INPUT ann 1290 -3 1301 UP", "bad tick -3"],
    ["INPUT ann 1290 1e3 1301 UP", "bad tick 1e3"],
  ])("rejects the INPUT %j: %s", (line, reason) => {
    expect(step12.parseClientMessage(line)).toEqual({ ok: false, reason });
  });

  it.each([
    "DELTA tick=5 early=0 verdict=3,1,2,4,2 END",
    "DELTA tick=5 early=0 verdict=3,1,2,4,2,X END",
    "DELTA tick=5 early=0 verdict=3,1,2,-,2,T END",
    "DELTA tick=5 early=0 verdict=3,1,2,4,2,T,0 END",
    "DELTA tick=5 verdict=3,1,2,4,2,T early=0 END",
  ])("rejects the DELTA %j", (line) => {
    expect(step12.parseServerMessage(line).ok).toBe(false);
  });
});
