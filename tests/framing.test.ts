import { Readable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LineReader, LineTooLongError, readLines } from "../lib/framing.ts";

/** `bytes` cut at the given offsets: the pieces a TCP socket might deliver them in. */
function cutAt(bytes: Buffer, offsets: number[]): Buffer[] {
  const ends = [
    ...offsets.map((offset) => offset % (bytes.length + 1)).sort((a, b) => a - b),
    bytes.length,
  ];
  const pieces: Buffer[] = [];
  let start = 0;
  for (const end of ends) {
    pieces.push(bytes.subarray(start, end));
    start = end;
  }
  return pieces;
}

/** Everything a reader returns for the pieces, in order; throws if it gives up on a line. */
function readAll(reader: LineReader, pieces: Buffer[]): string[] {
  return pieces.flatMap((piece) => reader.push(piece) ?? expect.fail("line too long"));
}

describe("LineReader", () => {
  it("gives back exactly the lines sent, however the stream is cut (property)", () => {
    // é takes two bytes in UTF-8 and 👻 four: cuts fall inside them too
    const line = fc.string({ unit: fc.constantFrom("a", " ", ",", "é", "👻") });
    fc.assert(
      fc.property(fc.array(line), fc.array(fc.nat()), (lines, offsets) => {
        const stream = Buffer.from(lines.map((text) => `${text}\n`).join(""));
        expect(readAll(new LineReader(1024), cutAt(stream, offsets))).toEqual(lines);
      }),
    );
  });

  it("keeps a character whole when it is split between two pieces", () => {
    const bytes = Buffer.from("é👻\n");
    expect(readAll(new LineReader(1024), [bytes.subarray(0, 3), bytes.subarray(3)])).toEqual([
      "é👻",
    ]);
  });

  it("returns every line a piece completes, and keeps the rest for later", () => {
    const reader = new LineReader(1024);
    expect(reader.push(Buffer.from("one\ntwo\nthr"))).toEqual(["one", "two"]);
    expect(reader.push(Buffer.from("ee\n"))).toEqual(["three"]);
  });

  it('accepts "\\r\\n" line endings', () => {
    expect(new LineReader(1024).push(Buffer.from("one\r\ntwo\r\n"))).toEqual(["one", "two"]);
  });

  it("returns undefined for a line longer than maxLineBytes arriving in one piece", () => {
    expect(new LineReader(8).push(Buffer.from("12345678\n"))).toEqual(["12345678"]);
    expect(new LineReader(8).push(Buffer.from("123456789\n"))).toBeUndefined();
  });

  it("returns undefined as soon as a line without newline grows past maxLineBytes", () => {
    const reader = new LineReader(8);
    expect(reader.push(Buffer.from("12345"))).toEqual([]);
    expect(reader.push(Buffer.from("678"))).toEqual([]);
    expect(reader.push(Buffer.from("9"))).toBeUndefined();
  });
});

describe("readLines", () => {
  /** A stream delivering these pieces, as a socket would. */
  const stream = (...pieces: string[]) => Readable.from(pieces.map((piece) => Buffer.from(piece)));

  async function collect(lines: AsyncIterable<string>): Promise<string[]> {
    const collected: string[] = [];
    for await (const line of lines) collected.push(line);
    return collected;
  }

  it("yields the lines of a stream", async () => {
    expect(await collect(readLines(stream("he", "llo\nwor", "ld\n"), 16))).toEqual([
      "hello",
      "world",
    ]);
  });

  it("throws LineTooLongError for a line longer than maxLineBytes", async () => {
    await expect(collect(readLines(stream("hello\n", "a line far too long"), 8))).rejects.toThrow(
      LineTooLongError,
    );
  });
});
