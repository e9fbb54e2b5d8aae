/**
 * How a crowd bot of steps 10 on holds its states: every DELTA applied to the very
 * state it names, as lib/delta.ts's ReceivedStates does, so that the <held> a bot
 * sends is what a real client would send.
 *
 * The text steps (10 to 12) are read straight from the datagram's bytes into
 * typed arrays (TextDeltas): parsing each DELTA into objects with the step's
 * protocol.ts and applying it with ReceivedStates took 57 % of the crowd's busy
 * time at 1,000 players, and the garbage collector 21 % more (step 10: 59 % of a
 * core, where the floor's crowd, which then only counted, took 20 %; read from the
 * bytes, 24 to 27 %). A bot still reads every change of every DELTA, checks it
 * against the state it names, and keeps every square's cell; what it leaves to the
 * real clients (the probes) is checking the names. tests/bench.test.ts checks that
 * both readings agree. Step 13's binary DELTAs are read by its protocol.ts and kept by its
 * Bases (BinaryDeltas).
 */
import { KEPT_STATES, ReceivedStates } from "../../lib/delta.ts";
import { MOST_SQUARES_LIT } from "../../lib/lantern.ts";
import type { BotProtocol } from "./crowd.ts";

/** What a bot knows of the DELTAs it has read. */
export interface HeldStates {
  /** the newest tick whose state the bot holds: <held> in its inputs */
  readonly newestTick: number | undefined;
  /**
   * Applies the datagram's DELTA to the state it names. Returns the new state's
   * tick, or undefined: not a DELTA, or one that names a state not held, or does
   * not fit it, or does not write the bot's own square (with its acks, if `acks`).
   */
  read(datagram: Buffer): number | undefined;
  /** the ack on the bot's own square in the state read last (step 10) */
  readonly ack: number | undefined;
}

const SPACE = 0x20;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const MINUS = 0x2d;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;
const DELTA_WORD = Buffer.from("DELTA ");
const END_WORD = Buffer.from(" END");
const TICK_FIELD = Buffer.from("tick=");
const BASE_FIELD = Buffer.from("base=");
const isDigit = (byte: number | undefined) =>
  byte !== undefined && byte >= DIGIT_0 && byte <= DIGIT_9;

/** The cells of the state being written, before it takes its place in the ring. */
const scratch = { xs: new Uint16Array(MOST_SQUARES_LIT), ys: new Uint16Array(MOST_SQUARES_LIT) };

/** A text step's DELTAs (`DELTA tick=<n> [base=<b>] [<field>=…] <change> … END`), read from the bytes. */
export class TextDeltas implements HeldStates {
  newestTick: number | undefined;
  ack: number | undefined;
  /** the ring of KEPT_STATES states: for each, its tick (-1: none), its squares' ids as bits, and your id */
  private readonly ticks = new Float64Array(KEPT_STATES).fill(-1);
  private readonly lit = new Uint32Array(KEPT_STATES);
  private readonly ownIds = new Int8Array(KEPT_STATES).fill(-1);
  /** every square's cell, MOST_SQUARES_LIT to a state */
  private readonly xs = new Uint16Array(KEPT_STATES * MOST_SQUARES_LIT);
  private readonly ys = new Uint16Array(KEPT_STATES * MOST_SQUARES_LIT);
  private readonly name: Buffer;
  /** where the reading is in the datagram, and the numbers it has read in the change at hand */
  private at = 0;
  private readonly numbers = [0, 0, 0, 0];

  /** `acks`: whether the bot's own square carries its acks (step 10) */
  constructor(
    name: string,
    private readonly acks: boolean,
  ) {
    this.name = Buffer.from(name, "latin1");
  }

  read(datagram: Buffer): number | undefined {
    const end = datagram.length - END_WORD.length;
    if (end < DELTA_WORD.length || !this.startsWith(datagram, DELTA_WORD, 0)) return;
    if (!this.startsWith(datagram, END_WORD, end)) return;
    this.at = DELTA_WORD.length;
    let tick: number | undefined;
    let base: number | undefined;
    // the fields: tick=, base=, and any other (ghost=, early=, verdict=) skipped
    while (this.at < end && !isDigit(datagram[this.at]) && datagram[this.at] !== MINUS) {
      if (this.startsWith(datagram, TICK_FIELD, this.at))
        tick = this.numberAfter(datagram, TICK_FIELD);
      else if (this.startsWith(datagram, BASE_FIELD, this.at))
        base = this.numberAfter(datagram, BASE_FIELD);
      this.skipWord(datagram);
    }
    if (tick === undefined || (base !== undefined && base >= tick)) return;

    const baseSlot = base === undefined ? -1 : base % KEPT_STATES;
    if (base !== undefined && this.ticks[baseSlot] !== base) return; // not held: wait for the next
    let lit = base === undefined ? 0 : this.lit[baseSlot]!;
    let ownId = base === undefined ? -1 : this.ownIds[baseSlot]!;
    if (base !== undefined) {
      scratch.xs.set(
        this.xs.subarray(baseSlot * MOST_SQUARES_LIT, (baseSlot + 1) * MOST_SQUARES_LIT),
      );
      scratch.ys.set(
        this.ys.subarray(baseSlot * MOST_SQUARES_LIT, (baseSlot + 1) * MOST_SQUARES_LIT),
      );
    }
    let ownWritten = false;
    let ack: number | undefined;
    while (this.at < end) {
      const leaves = datagram[this.at] === MINUS;
      if (leaves) this.at++;
      const id = this.digits(datagram);
      if (id === undefined || id >= MOST_SQUARES_LIT) return;
      const bit = 1 << id;
      if (leaves) {
        if (!(lit & bit)) return; // the state has no such square
        lit &= ~bit;
        if (id === ownId) ownId = -1;
      } else {
        const enters = datagram[this.at] === EQUALS;
        if (enters) {
          this.at++;
          const named = this.nameIs(datagram);
          while (this.at < end && datagram[this.at] !== COMMA) this.at++;
          if (named) ownId = id;
          else if (id === ownId) ownId = -1;
          lit |= bit;
        } else if (!(lit & bit)) return;
        const count = this.place(datagram);
        if (count < 2) return;
        scratch.xs[id] = this.numbers[0]!;
        scratch.ys[id] = this.numbers[1]!;
        if (id === ownId && (count === 4 || !this.acks)) {
          ownWritten = true;
          ack = count === 4 ? this.numbers[2] : undefined;
        }
      }
      if (this.at < end && datagram[this.at] !== SPACE) return; // more in the word than a change
      this.at++;
    }
    if (!ownWritten || this.at !== end + 1) return;

    const slot = tick % KEPT_STATES;
    if (this.ticks[slot]! < tick) {
      this.ticks[slot] = tick;
      this.lit[slot] = lit;
      this.ownIds[slot] = ownId;
      this.xs.set(scratch.xs, slot * MOST_SQUARES_LIT);
      this.ys.set(scratch.ys, slot * MOST_SQUARES_LIT);
    }
    if (this.newestTick === undefined || tick > this.newestTick) this.newestTick = tick;
    this.ack = ack;
    return tick;
  }

  /** Whether `word`'s bytes are at `at` in `bytes`. */
  private startsWith(bytes: Buffer, word: Buffer, at: number): boolean {
    const end = at + word.length;
    return end <= bytes.length && bytes.compare(word, 0, word.length, at, end) === 0;
  }

  private numberAfter(bytes: Buffer, field: Buffer): number | undefined {
    this.at += field.length;
    const number = this.digits(bytes);
    return bytes[this.at] === SPACE ? number : undefined;
  }

  private skipWord(bytes: Buffer): void {
    while (this.at < bytes.length && bytes[this.at] !== SPACE) this.at++;
    this.at++;
  }

  /** The whole number in plain digits at the reading's place, or undefined if there is none. */
  private digits(bytes: Buffer): number | undefined {
    const start = this.at;
    let value = 0;
    for (; isDigit(bytes[this.at]); this.at++) value = value * 10 + bytes[this.at]! - DIGIT_0;
    return this.at === start || this.at - start > 9 ? undefined : value;
  }

  /** Whether the name at the reading's place is the bot's own (`<name>,`). */
  private nameIs(bytes: Buffer): boolean {
    return (
      bytes[this.at + this.name.length] === COMMA && this.startsWith(bytes, this.name, this.at)
    );
  }

  /** `,<x>,<y>[,<ack>[,<ackTick>]]` into `numbers`: how many numbers, 0 if malformed. */
  private place(bytes: Buffer): number {
    let count = 0;
    while (bytes[this.at] === COMMA && count < this.numbers.length) {
      this.at++;
      const number = this.digits(bytes);
      if (number === undefined) return 0;
      this.numbers[count++] = number;
    }
    return count;
  }
}

/**
 * A step's DELTAs as its protocol.ts parses them, applied by lib/delta.ts: what a client does,
 * and what tests/bench.test.ts holds TextDeltas to.
 */
export class ProtocolDeltas implements HeldStates {
  ack: number | undefined;
  private readonly received: ReceivedStates;

  constructor(
    private readonly name: string,
    private readonly protocol: Pick<BotProtocol<never>, "parseServerMessage">,
    acks: boolean,
  ) {
    this.received = new ReceivedStates(name, { acks });
  }

  get newestTick(): number | undefined {
    return this.received.newestTick;
  }

  read(datagram: Buffer): number | undefined {
    const parsed = this.protocol.parseServerMessage(datagram.toString("latin1"));
    if (!parsed.ok || parsed.message.type !== "DELTA") return;
    const made = this.received.apply(parsed.message.delta);
    if (!made.ok) return;
    this.ack = made.message.players.find(({ name }) => name === this.name)?.ack;
    return made.message.tick;
  }
}

/**
 * Step 13's DELTAs, which its protocol.ts reads and its Bases keep (`binaryStep13` in steps.ts):
 * one whose base is not held, or whose steps lead from a square the base has not, is refused
 * there, and the Bases are the ring of the cells of the states held. Applied again by
 * lib/delta.ts (ProtocolDeltas), into states made of objects, each DELTA took 28 % of the crowd's
 * busy time at 1,000 players, and much of the garbage collector's 13 %. As TextDeltas does, it
 * keeps the id of the bot's own square in each state held, and refuses a DELTA that does not
 * write it.
 */
export class BinaryDeltas implements HeldStates {
  newestTick: number | undefined;
  readonly ack = undefined;
  /** the tick of each state held (-1: none), and the id of the bot's square in it (-1: none) */
  private readonly ticks = new Float64Array(KEPT_STATES).fill(-1);
  private readonly ownIds = new Int8Array(KEPT_STATES).fill(-1);

  constructor(
    private readonly name: string,
    private readonly protocol: Pick<BotProtocol<never>, "parseServerMessage">,
  ) {}

  read(datagram: Buffer): number | undefined {
    const parsed = this.protocol.parseServerMessage(datagram.toString("latin1"));
    if (!parsed.ok || parsed.message.type !== "DELTA") return;
    const { tick, base, changes } = parsed.message.delta;
    const baseSlot = base === undefined ? -1 : base % KEPT_STATES;
    if (base !== undefined && this.ticks[baseSlot] !== base) return;
    let ownId = base === undefined ? -1 : this.ownIds[baseSlot]!;
    let ownWritten = false;
    for (const change of changes) {
      if (change.kind === "enter" && change.name === this.name) ownId = change.id;
      else if (change.id === ownId && change.kind !== "move") ownId = -1;
      if (change.id === ownId) ownWritten = true;
    }
    if (!ownWritten) return;
    const slot = tick % KEPT_STATES;
    if (this.ticks[slot]! < tick) {
      this.ticks[slot] = tick;
      this.ownIds[slot] = ownId;
    }
    if (this.newestTick === undefined || tick > this.newestTick) this.newestTick = tick;
    return tick;
  }
}
