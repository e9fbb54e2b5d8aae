import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MOST_SQUARES_LIT } from "../lib/lantern.ts";
import { HOUSE_MAP, MANSION_MAP } from "../lib/map.ts";
import {
  type ClientMessage,
  type Delta,
  type SquareChange,
  encode,
  parseClientMessage,
  parseConnect,
  parseServerMessage,
  type ServerMessage,
} from "../lib/protocol.ts";

const username = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);

/** Any state a server may send: unique names, whole non-negative coordinates, tick and acks (with their tick) or not. */
const gameState = (name = username) =>
  fc.record(
    {
      tick: fc.nat(),
      ghost: fc.option(name, { nil: null }),
      players: fc.uniqueArray(
        fc.oneof(
          fc.record({ name, x: fc.nat(), y: fc.nat() }),
          fc.record({ name, x: fc.nat(), y: fc.nat(), ack: fc.nat() }),
          fc.record({ name, x: fc.nat(), y: fc.nat(), ack: fc.nat(), ackTick: fc.nat() }),
        ),
        {
          selector: (player) => player.name,
          maxLength: 8,
        },
      ),
    },
    { requiredKeys: ["ghost", "players"] },
  );

/** Words of the protocol strung together, so that arbitrary lines reach past the first check. */
const WORDS = [
  "CONNECTED",
  "INPUT",
  "GETSTATE",
  "DISCONNECT",
  "STATE",
  "END",
  "WALLS",
  "ERROR",
  "ann",
  "UP",
  "7",
  "-1",
  "3x1",
  "#.#",
  "ghost=ann",
  "tick=1",
  "ann,1,2",
  "é👻",
  "DELTA",
  "base=0",
  "0=ann,1,2",
  "0,1,2,3,4",
  "-0",
  "1e3",
];
const anyLine = fc.oneof(
  fc.string(),
  fc.string({ unit: "binary" }), // any code point: what fast-check 3 called fullUnicodeString
  fc.array(fc.constantFrom(...WORDS)).map((words) => words.join(" ")),
);

describe("client messages", () => {
  const messages: ClientMessage[] = [
    { type: "CONNECTED", username: "Sixteen_chars-16" },
    { type: "INPUT", username: "ann", input: "LEFT" },
    { type: "INPUT", username: "ann", input: "NONE", seq: 42 },
    { type: "INPUT", username: "ann", input: "UP", seq: 42, held: 1834 },
    { type: "GETSTATE", username: "ann" },
    { type: "DISCONNECT", username: "ann" },
  ];

  it.each(messages.map((message) => [encode(message), message] as const))(
    "%s round-trips",
    (line, message) => {
      expect(parseClientMessage(line)).toEqual({ ok: true, message });
    },
  );

  it.each([
    ["", "empty message"],
    ["HELLO ann", "unknown command HELLO"],
    ["CONNECTED", "username is empty"],
    [`CONNECTED ${"a".repeat(17)}`, "username is longer than 16 characters"],
    ["CONNECTED ann!", "username may only use letters, digits, _ and -"],
    ["INPUT ann JUMP", "unknown direction JUMP"],
    ["INPUT ann UP -1", "bad sequence number -1"],
    ["INPUT ann UP 4 -1", "bad tick -1"],
    ["INPUT ann UP 4 5 6", "expected INPUT <username> <UP|DOWN|LEFT|RIGHT|NONE> [<seq> [<held>]]"],
    ["CONNECTED ann bob", "expected CONNECTED <username>"],
  ])("rejects %j: %s", (line, reason) => {
    expect(parseClientMessage(line)).toEqual({ ok: false, reason });
  });

  it("never throws: any line gives a message or a reason (property)", () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        const parsed = parseClientMessage(line);
        expect(parsed.ok || parsed.reason.length > 0).toBe(true);
      }),
    );
  });
});

describe("server messages", () => {
  const messages: ServerMessage[] = [
    {
      type: "STATE",
      state: {
        tick: 9,
        ghost: "ann",
        players: [
          { name: "ann", x: 1, y: 2, ack: 5, ackTick: 31 },
          { name: "bob", x: 3, y: 4, ack: 2 },
          { name: "cy", x: 5, y: 6 },
        ],
      },
    },
    { type: "STATE", state: { ghost: null, players: [] } },
    { type: "DISCONNECTED", username: "ann" },
    { type: "ERROR", reason: "username ann is taken" },
  ];

  it.each(messages.map((message) => [encode(message), message] as const))(
    "%s round-trips",
    (line, message) => {
      expect(parseServerMessage(line)).toEqual({ ok: true, message });
    },
  );

  it.each([
    ["STATE ghost=ann ann,1,2 ann,3,4 END", "malformed STATE"],
    ["STATE ghost=ann ann,1,-2 END", "malformed STATE"],
    ["CONNECTED 4001 ann 3x2 WALLS #.#/###/### STATE END", "WALLS do not match the size"],
    ["HELLO", "unknown message HELLO"],
  ])("rejects %j: %s", (line, reason) => {
    expect(parseServerMessage(line)).toEqual({ ok: false, reason });
  });

  it("CONNECTED with the whole house round-trips", () => {
    const message: ServerMessage = {
      type: "CONNECTED",
      port: 4001,
      username: "ann",
      map: HOUSE_MAP,
      state: { ghost: "ann", players: [{ name: "ann", x: 1, y: 1 }] },
    };
    expect(parseServerMessage(encode(message))).toEqual({ ok: true, message });
  });

  it("any valid state round-trips through STATE (property)", () => {
    fc.assert(
      fc.property(gameState(), (state) => {
        expect(parseServerMessage(encode({ type: "STATE", state }))).toEqual({
          ok: true,
          message: { type: "STATE", state },
        });
      }),
    );
  });

  it('a ghost named "-" round-trips', () => {
    const message: ServerMessage = {
      type: "STATE",
      state: { ghost: "-", players: [{ name: "-", x: 1, y: 1 }] },
    };
    expect(parseServerMessage(encode(message))).toEqual({ ok: true, message });
  });

  it("never throws on any line (property)", () => {
    fc.assert(
      fc.property(anyLine, (line) => {
        const parsed = parseServerMessage(line);
        expect(parsed.ok || parsed.reason.length > 0).toBe(true);
      }),
    );
  });

  // A message is never cut on the wire (TCP lines arrive whole, a UDP datagram whole or not at all),
  // so this only guards the parser against accepting half a state. A cut right after a name that
  // starts with END is a complete, shorter state, so those names are left out.
  const stateWithoutEndNames = gameState(username.filter((name) => !name.startsWith("END")));

  it("rejects a STATE cut short anywhere (property)", () => {
    fc.assert(
      fc.property(stateWithoutEndNames, fc.nat(), (state, cut) => {
        const line = encode({ type: "STATE", state });
        expect(parseServerMessage(line.slice(0, cut % line.length)).ok).toBe(false);
      }),
    );
  });
});

describe("step 08's handshake and step 09's named map", () => {
  it.each([
    ["CONNECT alice", { type: "CONNECT", username: "alice" }],
    ["CONNECT alice   ", { type: "CONNECT", username: "alice" }], // padded with spaces
    [
      "CONNECT alice Q2hhbGxlbmdl_-1",
      { type: "CONNECT", username: "alice", cookie: "Q2hhbGxlbmdl_-1" },
    ],
  ])("parses %j", (line, message) => {
    expect(parseConnect(line)).toEqual(message);
    expect(parseConnect(encode(parseConnect(line)!))).toEqual(message);
  });

  it.each([
    "CONNECTED alice",
    "CONNECT",
    "CONNECT bad!name",
    "CONNECT alice no/cookie",
    "CONNECT a b c",
  ])("is not a CONNECT: %j", (line) => expect(parseConnect(line)).toBeUndefined());

  it("round-trips a CHALLENGE, and a welcome that names its map instead of sending its walls", () => {
    const challenge: ServerMessage = { type: "CHALLENGE", cookie: "abc-_123" };
    expect(parseServerMessage(encode(challenge))).toEqual({ ok: true, message: challenge });
    const state = { tick: 3, ghost: "ann", players: [{ name: "ann", x: 1, y: 2 }] };
    const welcome: ServerMessage = {
      type: "CONNECTED",
      port: 9999,
      username: "ann",
      map: MANSION_MAP,
      mapName: "mansion",
      state,
    };
    const line = encode(welcome);
    expect(line).toBe(`CONNECTED 9999 ann 153x81 MAP mansion STATE tick=3 ghost=ann ann,1,2 END`);
    expect(parseServerMessage(line)).toEqual({ ok: true, message: welcome });
    expect(parseServerMessage(line.replace("mansion", "castle"))).toEqual({
      ok: false,
      reason: "unknown map castle",
    });
  });
});

/** Any delta a server may send: ids changed once each, names brought once each, and only squares with names when it has no base. */
const delta: fc.Arbitrary<Delta> = fc
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
        acks: fc.option(fc.tuple(fc.nat(), fc.nat()), { nil: undefined }),
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
    expect(examples.map((delta) => encode({ type: "DELTA", delta }))).toEqual([
      "DELTA tick=1834 ghost=bot412 0=bot17,96,43,12,1830 1=bot530,97,41 2=7,93,45 END",
      "DELTA tick=1838 base=1834 ghost=bot412 0,97,43,13,1837 1,98,41 -2 3=-bot,103,40 END",
      "DELTA tick=1 END",
    ]);
  });

  it.each(examples.map((delta) => [encode({ type: "DELTA", delta }), delta] as const))(
    "%s round-trips",
    (line, delta) => {
      expect(parseServerMessage(line)).toEqual({ ok: true, message: { type: "DELTA", delta } });
    },
  );

  it("any valid delta round-trips (property)", () => {
    fc.assert(
      fc.property(delta, (delta) => {
        expect(parseServerMessage(encode({ type: "DELTA", delta }))).toEqual({
          ok: true,
          message: { type: "DELTA", delta },
        });
      }),
    );
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
    expect(parseServerMessage(line)).toEqual({ ok: false, reason });
  });

  // As for STATE: a cut right after a name that starts with END is a complete, shorter delta.
  const deltaWithoutEndNames = delta.filter(
    ({ ghost, changes }) =>
      !ghost?.startsWith("END") &&
      changes.every((change) => change.kind !== "enter" || !change.name.startsWith("END")),
  );

  it("rejects a DELTA cut short anywhere (property)", () => {
    fc.assert(
      fc.property(deltaWithoutEndNames, fc.nat(), (delta, cut) => {
        const line = encode({ type: "DELTA", delta });
        expect(parseServerMessage(line.slice(0, cut % line.length)).ok).toBe(false);
      }),
    );
  });
});
