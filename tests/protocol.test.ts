import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { HOUSE_MAP, MANSION_MAP } from "../lib/map.ts";
import {
  type ClientMessage,
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
