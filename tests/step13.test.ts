/**
 * Step 13 (steps/13-bits-on-the-wire): step 12's messages in binary. Every message reads back as
 * itself over the whole range of its values; random, cut or extended bytes are refused whole,
 * never read half or out of range; and on real sockets the step plays, while a seated player's
 * junk is dropped and counted without the others noticing.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { KEPT_STATES, SentStates } from "../lib/delta.ts";
import { INPUTS } from "../lib/game.ts";
import { FUTURE_TICKS, MISSED, REDUNDANT_INPUTS } from "../lib/input-buffer.ts";
import { MOST_SQUARES_LIT } from "../lib/lantern.ts";
import { MAPS, type MapName } from "../lib/map.ts";
import { startServer } from "../scripts/harness/launch.ts";
import { BitReader, BitWriter } from "../steps/13-bits-on-the-wire/bits.ts";
import {
  Bases,
  CONNECT_BYTES,
  type ClientMessage,
  type Connect,
  type ServerMessage,
  describeServerDatagram,
  encodeClientMessage,
  encodeServerMessage,
  parseClientMessage,
  parseConnect,
  parseServerMessage,
} from "../steps/13-bits-on-the-wire/protocol.ts";
import { runBot } from "./helpers.ts";

const STEP = "13-bits-on-the-wire";
const MANSION = MAPS.mansion;

const username = fc.stringMatching(/^[A-Za-z0-9_-]{1,16}$/);
const cookie = fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/);
const tick = fc.nat({ max: 2 ** 32 - 1 });
/** A server's tick: below 2³¹, so that a client's inputs, ahead of it, still fit their 32 bits. */
const serverTick = fc.nat({ max: 2 ** 31 - 1 });
const x = fc.nat({ max: MANSION.width - 1 });
const y = fc.nat({ max: MANSION.height - 1 });
const position = fc.record({ x, y });
const square = fc.record({ name: username, x, y });
const ids = fc.uniqueArray(fc.nat({ max: MOST_SQUARES_LIT - 1 }), {
  maxLength: MOST_SQUARES_LIT,
  size: "max",
});

const connect: fc.Arbitrary<Connect> = fc.oneof(
  fc.record({ type: fc.constant("CONNECT" as const), username }),
  fc.record({ type: fc.constant("CONNECT" as const), username, cookie }),
);

const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc
    .record({
      username,
      held: tick,
      seen: tick,
      first: fc.nat({ max: 2 ** 32 - REDUNDANT_INPUTS }),
      directions: fc.array(fc.constantFrom(...INPUTS), {
        minLength: 1,
        maxLength: REDUNDANT_INPUTS,
      }),
    })
    .map(({ username, held, seen, first, directions }) => ({
      type: "INPUT" as const,
      username,
      held,
      seen,
      inputs: directions.map((input, i) => ({ tick: first + i, input })),
    })),
  fc.record({ type: fc.constant("GETSTATE" as const), username }),
  fc.record({ type: fc.constant("DISCONNECT" as const), username, cookie }),
);

/** A DELTA's changes: distinct ids, distinct names; with no base, squares that come only. */
const changes = (withBase: boolean) =>
  fc
    .tuple(
      ids,
      fc.uniqueArray(username, { minLength: MOST_SQUARES_LIT, maxLength: MOST_SQUARES_LIT }),
    )
    .chain(([chosen, names]) =>
      fc.tuple(
        ...chosen.map((id, i) =>
          fc.oneof(
            square.map((place) => ({ kind: "enter" as const, id, ...place, name: names[i]! })),
            ...(withBase
              ? [
                  position.map((place) => ({ kind: "move" as const, id, ...place })),
                  fc.constant({ kind: "leave" as const, id }),
                ]
              : []),
          ),
        ),
      ),
    )
    // a DELTA carries its changes in the order of their ids
    .map((made) => made.sort((one, other) => one.id - other.id));

const delta = fc
  .record({
    tick: fc.integer({ min: 32, max: 2 ** 31 - 1 }),
    back: fc.option(fc.integer({ min: 1, max: 32 }), { nil: undefined }),
    ghost: fc.option(username),
    early: fc.integer({ min: MISSED, max: FUTURE_TICKS }),
    verdict: fc.option(
      fc.record({
        seenTick: tick,
        seen: position,
        real: fc.option(position, { nil: undefined }),
        tagged: fc.boolean(),
      }),
      { nil: undefined },
    ),
  })
  .chain(({ tick, back, ghost, early, verdict }) =>
    changes(back !== undefined).map((made) => ({
      type: "DELTA" as const,
      delta: { tick, ...(back === undefined ? {} : { base: tick - back }), ghost, changes: made },
      early,
      ...(verdict && { verdict }),
    })),
  );

const move = (id: number, x: number, y: number) => ({ kind: "move" as const, id, x, y });

/**
 * A base state (a full one, its squares by id) and a DELTA against it: a ghost kept or changed,
 * its squares moved a few cells or far, left, or replaced by others.
 */
const deltaAgainstBase = fc
  .record({
    baseTick: fc.integer({ min: 0, max: 2 ** 31 - 40 }),
    back: fc.integer({ min: 1, max: 32 }),
    ghost: fc.option(username),
    newGhost: fc.option(fc.option(username), { nil: undefined }),
    early: fc.integer({ min: MISSED, max: FUTURE_TICKS }),
  })
  .chain((fields) =>
    changes(false).chain((full) => {
      const entered = full.filter((change) => change.kind === "enter");
      return fc
        .tuple(
          ...entered.map(({ id, x: wasX, y: wasY }) =>
            fc.oneof(
              fc
                .tuple(
                  fc.integer({ min: -fields.back, max: fields.back }),
                  fc.integer({ min: -fields.back, max: fields.back }),
                )
                .filter(
                  ([dx, dy]) =>
                    MANSION.width > wasX + dx &&
                    wasX + dx >= 0 &&
                    MANSION.height > wasY + dy &&
                    wasY + dy >= 0,
                )
                .map(([dx, dy]) => [move(id, wasX + dx, wasY + dy)]),
              position.map(({ x, y }) => [move(id, x, y)]),
              fc.constant([{ kind: "leave" as const, id }]),
              fc.constant([]),
            ),
          ),
        )
        .map((made) => {
          const { baseTick, back, ghost, newGhost, early } = fields;
          const base = { tick: baseTick, ghost, changes: entered };
          const tick = baseTick + back;
          const delta = {
            tick,
            base: baseTick,
            ghost: newGhost === undefined ? ghost : newGhost,
            changes: made.flat(),
          };
          return { base, message: { type: "DELTA" as const, delta, early } };
        });
    }),
  );

/** A DELTA's fields up to its changes, as [value, bits], for one change: tick 1838, base 1836. */
const DELTA_OF_ONE_CHANGE = [
  [2, 3],
  [1838, 32],
  [1, 1],
  [1, 5],
  [0, 1],
  [3, 5],
  [0, 1],
  [1, 6],
  [1, 1],
] as const;

const welcome = fc
  .record({
    port: fc.nat({ max: 65535 }),
    username,
    mapName: fc.constantFrom(...(Object.keys(MAPS) as MapName[])),
    tick: serverTick,
    ghost: fc.option(username),
    players: fc.uniqueArray(square, {
      maxLength: MOST_SQUARES_LIT,
      selector: (one) => one.name,
      size: "max",
    }),
  })
  .map(({ port, username, mapName, tick, ghost, players }) => ({
    type: "CONNECTED" as const,
    port,
    username,
    map: MAPS[mapName],
    mapName,
    state: { tick, ghost, players },
  }));

const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc.record({ type: fc.constant("CHALLENGE" as const), cookie }),
  welcome,
  delta,
  fc.record({ type: fc.constant("DISCONNECTED" as const), username }),
  fc.record({
    type: fc.constant("ERROR" as const),
    reason: fc.stringMatching(/^[!-~]( ?[!-~]){0,100}$/),
  }),
);

const bytes = fc.uint8Array({ maxLength: 300 });

describe("the bit writer and reader", () => {
  it("reads back every value in the bits it was written in", () => {
    const field = fc
      .integer({ min: 1, max: 32 })
      .chain((bits) => fc.tuple(fc.constant(bits), fc.nat({ max: 2 ** bits - 1 })));
    fc.assert(
      fc.property(fc.array(field), (fields) => {
        const writer = new BitWriter();
        for (const [bits, value] of fields) writer.write(value, bits);
        const reader = new BitReader(writer.finish());
        for (const [bits, value] of fields) expect(reader.read(bits)).toBe(value);
        reader.finish();
      }),
    );
  });

  it("refuses to write a value that does not fit", () => {
    expect(() => new BitWriter().write(32, 5)).toThrow(RangeError);
  });
});

describe("step 13's messages", () => {
  it("reads every client message back as itself", () => {
    fc.assert(
      fc.property(clientMessage, (message) => {
        expect(parseClientMessage(encodeClientMessage(message))).toEqual({ ok: true, message });
      }),
    );
  });

  it("reads every CONNECT back as itself, padded to 100 bytes", () => {
    fc.assert(
      fc.property(connect, (message) => {
        const datagram = encodeClientMessage(message);
        expect(datagram.length).toBe(CONNECT_BYTES);
        expect(parseConnect(datagram)).toEqual(message);
      }),
    );
  });

  it("reads every server message back as itself", () => {
    fc.assert(
      fc.property(serverMessage, (message) => {
        expect(parseServerMessage(encodeServerMessage(message))).toEqual({ ok: true, message });
      }),
    );
  });

  it("reads every DELTA back as itself against its base, a move of a few cells as a step", () => {
    fc.assert(
      fc.property(deltaAgainstBase, ({ base, message }) => {
        const [serverBases, clientBases] = [new Bases(), new Bases()];
        serverBases.keep(base);
        clientBases.keep(base);
        const datagram = encodeServerMessage(message, serverBases);
        const parsed = parseServerMessage(datagram);
        if (!parsed.ok || parsed.message.type !== "DELTA") throw new Error("not read as a DELTA");
        const { delta, early } = parsed.message;
        expect(early).toBe(message.early);
        expect(clientBases.resolve(delta)).toEqual({ ok: true, message: message.delta });
        // written whole, without its base's cells, the same DELTA is never smaller
        expect(datagram.length).toBeLessThanOrEqual(encodeServerMessage(message).length);
      }),
    );
  });

  it("writes a move of one cell as a step, the base's ghost as one bit, an id as one: 8 bytes, not 13", () => {
    const base = {
      tick: 1836,
      ghost: "ann",
      changes: [{ kind: "enter" as const, id: 0, name: "ann", x: 96, y: 43 }],
    };
    const bases = new Bases();
    bases.keep(base);
    const moved = { tick: 1838, base: 1836, ghost: "ann", changes: [move(0, 97, 43)] };
    const message = { type: "DELTA" as const, delta: moved, early: 2 };
    expect(encodeServerMessage(message, bases).length).toBe(8);
    expect(encodeServerMessage(message).length).toBe(12);
    expect(describeServerDatagram(encodeServerMessage(message, bases))).toBe(
      "DELTA tick=1838 base=1836 early=2 0,+1,+0 END",
    );
  });

  it("refuses a step out of its range, from a square the base has not, or off the map", () => {
    // against a base 2 ticks back, a step of dx 7 - 2 = 5 cells: it fits the 3 bits that 5 values
    // (-2 to 2) need, but in 2 ticks a square walks 2 cells at most
    const writer = new BitWriter();
    for (const [value, bits] of DELTA_OF_ONE_CHANGE) writer.write(value, bits);
    writer.write(3, 2); // kind 3: a step
    writer.write(7, 3); // dx 7 - 2
    writer.write(2, 3); // dy 2 - 2
    expect(parseServerMessage(writer.finish())).toEqual({ ok: false, reason: "dx 7 out of range" });

    const bases = new Bases();
    bases.keep({
      tick: 1836,
      ghost: null,
      changes: [{ kind: "enter", id: 0, name: "ann", x: 0, y: 5 }],
    });
    const step = (id: number, dx: number) => ({
      tick: 1838,
      base: 1836,
      ghost: undefined,
      changes: [{ kind: "step" as const, id, dx, dy: 0 }],
    });
    expect(bases.resolve(step(1, 1))).toMatchObject({ ok: false, reason: /id 1/ });
    expect(bases.resolve(step(0, -1))).toMatchObject({ ok: false, reason: /off the map/ });
    expect(bases.resolve({ ...step(0, 1), base: 1835 })).toMatchObject({
      ok: false,
      reason: /not held/,
    });
    expect(bases.resolve(step(0, 1))).toMatchObject({ ok: true });
    expect(bases.resolve({ tick: 1838, ghost: undefined, changes: [] })).toMatchObject({
      ok: false,
      reason: /without its ghost/,
    });
    // Resolved is not kept: a DELTA the client then refuses (a forger's, say) must not stand for
    // tick 1838, or the real one could not take its place.
    expect(bases.holds(1838)).toBe(false);
    const real = bases.resolve({ ...step(0, 1), changes: [{ kind: "step", id: 0, dx: 2, dy: 0 }] });
    if (!real.ok) throw new Error(real.reason);
    bases.keep(real.message);
    expect(bases.cellOf(1838, 0)).toEqual({ x: 2, y: 5 });
  });

  it("keeps each state's cells from its base's: a chain of DELTAs, a base 32 ticks back, a base not held", () => {
    const bases = new Bases();
    const annAt = (x: number) => ({ kind: "move" as const, id: 0, x, y: 5 });
    bases.keep({
      tick: 100,
      ghost: "bob",
      changes: [
        { kind: "enter", id: 0, name: "ann", x: 0, y: 5 },
        { kind: "enter", id: 1, name: "bob", x: 9, y: 9 },
      ],
    });
    bases.keep({ tick: 101, base: 100, ghost: "bob", changes: [annAt(1)] });
    bases.keep({
      tick: 102,
      base: 101,
      ghost: "ann",
      changes: [annAt(2), { kind: "leave", id: 1 }],
    });
    expect([bases.cellOf(102, 0), bases.cellOf(102, 1), bases.ghostOf(102)]).toEqual([
      { x: 2, y: 5 },
      undefined,
      "ann",
    ]);
    // the states it was built from are still there, as they were
    expect([bases.cellOf(101, 0), bases.cellOf(101, 1)]).toEqual([
      { x: 1, y: 5 },
      { x: 9, y: 9 },
    ]);
    // tick 132 takes the place of its base, tick 100, 32 ticks back: the same slot
    bases.keep({ tick: 132, base: 100, ghost: "bob", changes: [annAt(3)] });
    expect([bases.holds(100), bases.cellOf(132, 0), bases.cellOf(132, 1)]).toEqual([
      false,
      { x: 3, y: 5 },
      { x: 9, y: 9 },
    ]);
    // a base it does not hold: the state is its changes alone, and only its own slot changes
    bases.keep({ tick: 140, base: 120, ghost: null, changes: [annAt(4)] });
    expect([bases.cellOf(140, 0), bases.cellOf(140, 1), bases.cellOf(102, 0)]).toEqual([
      { x: 4, y: 5 },
      undefined,
      { x: 2, y: 5 },
    ]);
    // a late DELTA never takes the place of a newer state
    bases.keep({ tick: 108, base: 101, ghost: null, changes: [annAt(7)] });
    expect(bases.cellOf(140, 0)).toEqual({ x: 4, y: 5 });
  });

  it("writes each DELTA against the cells its server's SentStates keep, as a Bases of every DELTA sent would", () => {
    const others = ["bob", "cy", "dee", "eve", "fay"];
    const squareArb = fc.record({ name: fc.constantFrom(...others), x: fc.nat(4), y: fc.nat(4) });
    const tickArb = fc.record({
      squares: fc.uniqueArray(squareArb, { selector: ({ name }) => name }),
      ghost: fc.option(fc.constantFrom("ann", ...others), { nil: null }),
      /** how many ticks back the tick the client says it holds is; undefined: no acknowledgement */
      heldBack: fc.option(fc.integer({ min: 1, max: KEPT_STATES + 1 }), { nil: undefined }),
    });
    // What `kept` holds of the ring's ticks up to `tick`: ann and the others take ids 0 to 5, and a
    // slot whose state has fewer holds what an older state left past its end. Id 6 stays empty.
    const ringOf = (kept: SentStates | Bases, tick: number) =>
      Array.from({ length: KEPT_STATES }, (_, back) => tick - back).map((held) =>
        kept.holds(held)
          ? [
              kept.ghostOf(held),
              ...Array.from({ length: others.length + 2 }, (_, id) => kept.cellOf(held, id)),
            ]
          : "not held",
      );
    fc.assert(
      // size "max": by default fast-check makes arrays of at most about ten, and the ring never turns
      fc.property(fc.array(tickArb, { maxLength: 3 * KEPT_STATES, size: "max" }), (ticks) => {
        const sent = new SentStates("ann");
        // what the server kept before it read them from SentStates: every DELTA it sent
        const keptBySending = new Bases();
        const client = new Bases();
        ticks.forEach(({ squares, ghost, heldBack }, index) => {
          const tick = index + 1;
          if (heldBack !== undefined) sent.acknowledge(tick - heldBack);
          const players = [{ name: "ann", x: tick % 5, y: 0 }, ...squares];
          const delta = sent.next({ tick, ghost, players });
          const datagram = encodeServerMessage({ type: "DELTA", delta, early: MISSED }, sent);
          const parsed = parseServerMessage(datagram);
          if (!parsed.ok || parsed.message.type !== "DELTA") throw new Error("not read as a DELTA");
          expect(client.resolve(parsed.message.delta)).toEqual({ ok: true, message: delta });
          client.keep(delta);
          keptBySending.keep(delta);
          expect(ringOf(sent, tick)).toEqual(ringOf(keptBySending, tick));
        });
      }),
    );
  });

  it("refuses a server's tick from 2³¹ on: the client's inputs ahead of it would not fit", () => {
    const forged = { type: "DELTA", delta: { tick: 2 ** 31, ghost: null, changes: [] }, early: 0 };
    const datagram = encodeServerMessage(forged as ServerMessage);
    expect(parseServerMessage(datagram)).toMatchObject({ ok: false });
  });

  it("answers a CONNECT with a CHALLENGE smaller than it, whatever its cookie", () => {
    fc.assert(
      fc.property(
        cookie.filter((text) => text.length <= 22),
        (text) => {
          expect(encodeServerMessage({ type: "CHALLENGE", cookie: text }).length).toBeLessThan(
            CONNECT_BYTES,
          );
        },
      ),
    );
  });

  it("refuses a datagram cut short or with a byte more, whatever the message", () => {
    fc.assert(
      fc.property(fc.oneof(clientMessage, connect), fc.nat(), (message, cut) => {
        const datagram = encodeClientMessage(message);
        const short = datagram.subarray(0, cut % datagram.length);
        const long = Buffer.concat([datagram, Buffer.from([cut % 256])]);
        const read = (bytes: Buffer) =>
          parseConnect(bytes) ?? (parseClientMessage(bytes).ok || undefined);
        expect(read(short)).toBeUndefined();
        expect(read(long)).toBeUndefined();
      }),
    );
    fc.assert(
      fc.property(serverMessage, fc.nat(), (message, cut) => {
        const datagram = encodeServerMessage(message);
        expect(parseServerMessage(datagram.subarray(0, cut % datagram.length)).ok).toBe(false);
        expect(parseServerMessage(Buffer.concat([datagram, Buffer.from([cut % 256])])).ok).toBe(
          false,
        );
      }),
    );
  });

  it("never crashes on random bytes, and what it reads from them is in range", () => {
    fc.assert(
      fc.property(bytes, (datagram) => {
        parseConnect(datagram);
        const client = parseClientMessage(datagram);
        if (client.ok && client.message.type === "INPUT") {
          expect(client.message.inputs.length).toBeLessThanOrEqual(REDUNDANT_INPUTS);
          for (const { input } of client.message.inputs) expect(INPUTS).toContain(input);
        }
        const server = parseServerMessage(datagram);
        if (server.ok && server.message.type === "DELTA") {
          const { delta, early } = server.message;
          expect(early).toBeGreaterThanOrEqual(MISSED);
          expect(early).toBeLessThanOrEqual(FUTURE_TICKS);
          for (const change of delta.changes) {
            expect(change.id).toBeLessThan(MOST_SQUARES_LIT);
            if (change.kind === "step") {
              const back = delta.tick - delta.base!;
              expect(Math.abs(change.dx)).toBeLessThanOrEqual(back);
              expect(Math.abs(change.dy)).toBeLessThanOrEqual(back);
            } else if (change.kind !== "leave") expect(change.x).toBeLessThan(MANSION.width);
          }
        }
        expect(describeServerDatagram(datagram)).toBeTypeOf("string");
      }),
    );
  });
});

describe("step 13's README", () => {
  it("shows a DELTA bit by bit as the encoder writes it", () => {
    const readme = readFileSync(new URL(`../steps/${STEP}/README.md`, import.meta.url), "utf8");
    // the block after <!-- bits -->: each line's bits, then two spaces or more and what they are
    const block = /<!-- bits -->\n+```text\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? "";
    const bits = block
      .split("\n")
      .map((line) => line.split(/ {2,}/)[0]!.replaceAll(" ", ""))
      .join("");
    const hex = /^\d+ bits, \d+ bytes: `([0-9a-f ]+)`/m.exec(readme)?.[1];
    // ann, at 96,43 in the base, the state of tick 1836, moves one cell right
    const bases = new Bases();
    bases.keep({
      tick: 1836,
      ghost: "ann",
      changes: [{ kind: "enter", id: 0, name: "ann", x: 96, y: 43 }],
    });
    const message: ServerMessage = {
      type: "DELTA",
      delta: { tick: 1838, base: 1836, ghost: "ann", changes: [move(0, 97, 43)] },
      early: 2,
    };
    const datagram = encodeServerMessage(message, bases);
    const written = [...datagram].map((byte) => byte.toString(2).padStart(8, "0")).join("");
    expect(bits).toBe(written);
    expect(hex).toBe(datagram.toString("hex").replace(/(..)(?!$)/g, "$1 "));
  });
});

/** A raw UDP socket on 127.0.0.1 that keeps the datagrams it receives. */
async function rawPeer() {
  const socket = dgram.createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  const received: Buffer[] = [];
  socket.on("message", (datagram) => received.push(datagram));
  return { socket, received };
}

describe("step 13 on real sockets", () => {
  it("plays: a bot joins and moves, while a seated player's junk is dropped and counted", async () => {
    const server = await startServer(STEP, []);
    const intruder = await rawPeer();
    try {
      const send = (datagram: Uint8Array) =>
        intruder.socket.send(datagram, server.port, "127.0.0.1");
      const answer = async (type: ServerMessage["type"]) => {
        for (let tries = 0; tries < 100; tries++) {
          const found = intruder.received
            .map((datagram) => parseServerMessage(datagram))
            .find((parsed) => parsed.ok && parsed.message.type === type);
          if (found?.ok) return found.message;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        throw new Error(`no ${type}`);
      };
      send(encodeClientMessage({ type: "CONNECT", username: "eve" }));
      const challenge = await answer("CHALLENGE");
      if (challenge.type !== "CHALLENGE") throw new Error("no challenge");
      send(encodeClientMessage({ type: "CONNECT", username: "eve", cookie: challenge.cookie }));
      await answer("CONNECTED");
      const played = runBot(STEP, server.port, "bob", 3);
      // an INPUT cut short, and text, which reads as nothing
      send(
        Buffer.from([0x4f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
      );
      send(Buffer.from("junk that is no message at all"));
      const { code, summary } = await played;
      expect(code).toBe(0);
      expect(summary?.connected).toBe(true);
      expect(summary?.moves).toBeGreaterThan(0);
      // 3 s at 20 states a second, on loopback: none lost
      expect(summary?.states).toBeGreaterThan(40);
      expect(await server.line(/2 unreadable/, 7000)).toBeDefined();
    } finally {
      intruder.socket.close();
      await server.stop();
    }
  }, 20_000);
});
