/**
 * TCP delivers a stream of bytes, not messages: one `data` event may hold half
 * a line, or three lines and a bit. LineReader cuts the stream back into the
 * lines that were sent, whatever the pieces it arrives in.
 */
import type { Readable } from "node:stream";

export class LineReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly maxLineBytes: number) {}

  /**
   * Takes the next piece of the stream and returns the lines it completes, or
   * undefined if a line grows past maxLineBytes (a peer that will not stop).
   */
  push(chunk: Buffer): string[] | undefined {
    const lines: string[] = [];
    let start = 0;
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      if (this.pendingBytes + end - start > this.maxLineBytes) return undefined;
      // cut at the newline byte, then decode: a UTF-8
      // character split between two pieces stays whole
      this.pending.push(chunk.subarray(start, end));
      lines.push(Buffer.concat(this.pending).toString("utf8").replace(/\r$/, ""));
      this.pending = [];
      this.pendingBytes = 0;
      start = end + 1;
    }
    this.pending.push(chunk.subarray(start));
    this.pendingBytes += chunk.length - start;
    return this.pendingBytes > this.maxLineBytes ? undefined : lines;
  }
}

export class LineTooLongError extends Error {
  constructor(readonly maxLineBytes: number) {
    super(`line longer than ${maxLineBytes} bytes`);
  }
}

/**
 * The lines of a stream (a TCP socket), one at a time, as they complete. The
 * stream stays open when the reading stops, so the caller can still answer.
 */
export async function* readLines(stream: Readable, maxLineBytes: number): AsyncGenerator<string> {
  const reader = new LineReader(maxLineBytes);
  for await (const piece of stream.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
    const lines = reader.push(piece);
    if (!lines) throw new LineTooLongError(maxLineBytes);
    yield* lines;
  }
}
