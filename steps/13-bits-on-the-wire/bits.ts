/**
 * Writing and reading numbers bit by bit, most significant bit first: a value takes exactly the
 * bits its range needs (an id below 32 takes 5, a direction 3), where a text step spent a byte
 * for every digit and one more for the comma. The last byte is padded with zero bits.
 *
 * Both move a whole byte's worth of bits at a time, not one bit: written one bit a time, the
 * writer was 43 % of the server's busy time at 1,000 players (npm run bench -- --profile).
 */

/** How many bits the numbers 0 to count - 1 need: 5 for 32 ids, 3 for 5 directions. */
export const bitsFor = (count: number) => Math.max(1, Math.ceil(Math.log2(count)));

/** Why a datagram cannot be read: short, too long, or with a value out of its range. */
export class Unreadable extends Error {}

/** The bits below `count` of a number: `lowBits(0b1011, 2)` is 0b11. */
const lowBits = (value: number, count: number) => value & ((1 << count) - 1);

/**
 * `count` zero bytes, cut from Node's shared pool of small buffers: the server writes 20,000
 * datagrams a second at 1,000 players, and a memory of its own for each is one more to collect.
 */
const zeros = (count: number) => Buffer.allocUnsafe(count).fill(0);

export class BitWriter {
  /** zeros to begin with: a byte is only ever ORed with the bits written into it */
  private bytes = zeros(64);
  private bitCount = 0;

  /** Writes `value` in `bits` bits (at most 32). A value that does not fit is the writer's bug. */
  write(value: number, bits: number): void {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
      throw new RangeError(`${value} does not fit in ${bits} bits`);
    }
    this.makeRoom(Math.ceil((this.bitCount + bits) / 8));
    let left = bits;
    while (left > 0) {
      // the bits still free in the current byte, and as many of the value's as fit there
      const free = 8 - (this.bitCount % 8);
      const taken = Math.min(free, left);
      left -= taken;
      // >>> rather than >>: >> reads its number as signed, and a 32-bit value would turn negative
      const chunk = lowBits(value >>> left, taken);
      this.bytes[this.bitCount >> 3]! |= chunk << (free - taken);
      this.bitCount += taken;
    }
  }

  writeFlag(flag: boolean): void {
    this.write(flag ? 1 : 0, 1);
  }

  /** The bytes written, the last one padded with zero bits; or padded with zero bytes to `length`. */
  finish(length = 0): Buffer {
    const byteCount = Math.max(length, Math.ceil(this.bitCount / 8));
    this.makeRoom(byteCount);
    return this.bytes.subarray(0, byteCount);
  }

  /** Twice as many bytes when `byteCount` do not fit: the new ones are zeros too. */
  private makeRoom(byteCount: number): void {
    if (byteCount <= this.bytes.length) return;
    const bytes = zeros(Math.max(byteCount, 2 * this.bytes.length));
    bytes.set(this.bytes);
    this.bytes = bytes;
  }
}

export class BitReader {
  private bitCount = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** `bits` bits (at most 32) as a number: throws Unreadable past the datagram's end. */
  read(bits: number): number {
    if (this.bitCount + bits > this.bytes.length * 8) throw new Unreadable("datagram too short");
    let value = 0;
    let left = bits;
    while (left > 0) {
      const free = 8 - (this.bitCount % 8);
      const taken = Math.min(free, left);
      left -= taken;
      const chunk = lowBits(this.bytes[this.bitCount >> 3]! >> (free - taken), taken);
      // a product rather than <<: a 32-bit value would turn negative
      value = value * 2 ** taken + chunk;
      this.bitCount += taken;
    }
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
