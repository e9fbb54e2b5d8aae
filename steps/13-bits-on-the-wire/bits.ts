/**
 * Writing and reading numbers bit by bit, most significant bit first: a value takes exactly the
 * bits its range needs (an id below 32 takes 5, a direction 3), where a text step spent a byte
 * for every digit and one more for the comma. The last byte is padded with zero bits.
 */

/** How many bits the numbers 0 to count - 1 need: 5 for 32 ids, 3 for 5 directions. */
export const bitsFor = (count: number) => Math.max(1, Math.ceil(Math.log2(count)));

/** Why a datagram cannot be read: short, too long, or with a value out of its range. */
export class Unreadable extends Error {}

export class BitWriter {
  private readonly bytes: number[] = [];
  private bitCount = 0;

  /** Writes `value` in `bits` bits (at most 32). A value that does not fit is the writer's bug. */
  write(value: number, bits: number): void {
    if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
      throw new RangeError(`${value} does not fit in ${bits} bits`);
    }
    for (let bit = bits - 1; bit >= 0; bit--) {
      if (this.bitCount % 8 === 0) this.bytes.push(0);
      // a division rather than >>: JavaScript's shifts work on 32-bit signed numbers
      if (Math.floor(value / 2 ** bit) % 2 === 1) {
        this.bytes[this.bytes.length - 1]! |= 0x80 >> (this.bitCount % 8);
      }
      this.bitCount++;
    }
  }

  writeFlag(flag: boolean): void {
    this.write(flag ? 1 : 0, 1);
  }

  /** The bytes written, the last one padded with zero bits; or padded with zero bytes to `length`. */
  finish(length = 0): Buffer {
    const bytes = Buffer.alloc(Math.max(length, this.bytes.length));
    bytes.set(this.bytes);
    return bytes;
  }
}

export class BitReader {
  private bitCount = 0;

  constructor(private readonly bytes: Uint8Array) {}

  /** `bits` bits (at most 32) as a number: throws Unreadable past the datagram's end. */
  read(bits: number): number {
    if (this.bitCount + bits > this.bytes.length * 8) throw new Unreadable("datagram too short");
    let value = 0;
    for (let bit = 0; bit < bits; bit++) {
      const byte = this.bytes[Math.floor(this.bitCount / 8)]!;
      value = value * 2 + ((byte >> (7 - (this.bitCount % 8))) & 1);
      this.bitCount++;
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
