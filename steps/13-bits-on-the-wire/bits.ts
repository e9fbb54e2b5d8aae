/**
 * Writing and reading numbers bit by bit, most significant bit first: a value takes exactly the
 * bits its range needs (an id below 32 takes 5, a direction 3), where a text step spent a byte
 * for every digit and one more for the comma. The last byte is padded with zero bits.
 *
 * Both keep the bits of a byte not yet whole in a `scratch` number, and move whole bytes between
 * it and the datagram, as Glenn Fiedler's bit packer does with a 64-bit word: written one bit at
 * a time, the writer was 43 % of the server's busy time at 1,000 players (npm run bench --
 * --profile). JavaScript's shifts work on 32 bits, so a value of more than 24 bits (a tick) goes
 * in two halves: with at most 7 bits waiting, 24 more still fit in the scratch's 31.
 */

/**
 * How many bits the numbers 0 to count - 1 need: 5 for 32 ids, 3 for 5 directions. Those of the
 * largest, count - 1: 32 less its leading zeros in 32 bits (Math.clz32), and at least one.
 */
export const bitsFor = (count: number) => Math.max(1, 32 - Math.clz32(count - 1));

/** Why a datagram cannot be read: short, too long, or with a value out of its range. */
export class Unreadable extends Error {}

/** The most bits one step of the scratch takes in at once. */
const MOST_BITS_AT_ONCE = 24;

/**
 * 2 to the power of 0 to 32: the first value too big for that many bits. Looked up, not worked
 * out: 2 ** bits, in every write, took two thirds of the writer's time (measured, 38 writes).
 */
const LIMITS = Array.from({ length: 33 }, (_, bits) => 2 ** bits);

/** The bits below `count` of a number: `lowBits(0b1011, 2)` is 0b11. */
const lowBits = (value: number, count: number) => value & ((1 << count) - 1);

export class BitWriter {
  /** cut from Node's shared pool of small buffers: a datagram is written into it, then sent */
  private bytes = Buffer.allocUnsafe(64);
  private byteCount = 0;
  /** the bits written since the last whole byte, fewer than 8 */
  private scratch = 0;
  private scratchBits = 0;

  /** Writes `value` in `bits` bits (at most 32). A value that does not fit is the writer's bug. */
  write(value: number, bits: number): void {
    if (!Number.isInteger(value) || value < 0 || value >= (LIMITS[bits] ?? 0)) {
      throw new RangeError(`${value} does not fit in ${bits} bits`);
    }
    if (bits > MOST_BITS_AT_ONCE) {
      this.write(Math.floor(value / 2 ** 16), bits - 16);
      this.write(lowBits(value, 16), 16);
      return;
    }
    if (this.byteCount + 4 > this.bytes.length) this.grow();
    this.scratch = (this.scratch << bits) | value;
    this.scratchBits += bits;
    while (this.scratchBits >= 8) {
      this.scratchBits -= 8;
      this.bytes[this.byteCount++] = this.scratch >> this.scratchBits;
      this.scratch = lowBits(this.scratch, this.scratchBits);
    }
  }

  writeFlag(flag: boolean): void {
    this.write(flag ? 1 : 0, 1);
  }

  /**
   * The bytes written, the last one padded with zero bits; or padded with zero bytes to `length`.
   * The writer is done with them: they are its own memory, not a copy.
   */
  finish(length = 0): Buffer {
    if (this.scratchBits > 0) this.write(0, 8 - this.scratchBits);
    while (this.byteCount < length) this.write(0, 8);
    return this.bytes.subarray(0, this.byteCount);
  }

  /** Twice the bytes: a full message (a CONNECTED with 32 squares) is over 64. */
  private grow(): void {
    const bytes = Buffer.allocUnsafe(2 * this.bytes.length);
    bytes.set(this.bytes.subarray(0, this.byteCount));
    this.bytes = bytes;
  }
}

export class BitReader {
  private byteCount = 0;
  /** the bits of the bytes taken from the datagram not read yet, fewer than 8 between reads */
  private scratch = 0;
  private scratchBits = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** How many bits have been read. */
  private get bitCount(): number {
    return this.byteCount * 8 - this.scratchBits;
  }

  /** `bits` bits (at most 32) as a number: throws Unreadable past the datagram's end. */
  read(bits: number): number {
    if (this.bitCount + bits > this.bytes.length * 8) throw new Unreadable("datagram too short");
    if (bits > MOST_BITS_AT_ONCE) {
      // a product rather than <<: a 32-bit value would turn negative
      return this.read(bits - 16) * 2 ** 16 + this.read(16);
    }
    while (this.scratchBits < bits) {
      this.scratch = (this.scratch << 8) | this.bytes[this.byteCount++]!;
      this.scratchBits += 8;
    }
    this.scratchBits -= bits;
    const value = this.scratch >> this.scratchBits;
    this.scratch = lowBits(this.scratch, this.scratchBits);
    return value;
  }

  /** A number below `count`, in the bits that count needs: throws Unreadable for one that is not. */
  readBelow(count: number, what: string): number {
    const value = this.read(bitsFor(count));
    if (value >= count) throw new Unreadable(`${what} ${value} out of range`);
    return value;
  }

  readFlag(): boolean {
    return this.read(1) === 1;
  }

  /**
   * The end of the datagram: at most the last byte's padding may be left, and it must be zeros;
   * or, for a message padded to `length` bytes, exactly that many, the rest all zeros.
   */
  finish(length?: number): void {
    if (length !== undefined && this.bytes.length !== length) {
      throw new Unreadable(`${this.bytes.length} bytes, not ${length}`);
    }
    const left = this.bytes.length * 8 - this.bitCount;
    if (length === undefined && left >= 8) throw new Unreadable("datagram too long");
    while (this.bitCount < this.bytes.length * 8) {
      const chunk = Math.min(32, this.bytes.length * 8 - this.bitCount);
      if (this.read(chunk) !== 0) throw new Unreadable("padding not zero");
    }
  }
}
