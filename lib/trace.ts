/**
 * `--trace`: one line for every message a program sends or receives, so a learner can watch
 * the exchange a step is about, like a packet capture that speaks the game's protocol: the time
 * since the program started, sent (→) or received (←), the peer, the size, the text, and what
 * the simulated network (lib/netsim.ts) did to it.
 *
 *     438.6 ms → 127.0.0.1:9999           15 B "CONNECTED alice"
 *     439.8 ms ← 127.0.0.1:9999          930 B "CONNECTED 10001 alice 39x21 WALLS ####…"
 *     440.0 ms → 127.0.0.1:10001          14 B "GETSTATE alice"  dropped
 *     440.0 ms → 127.0.0.1:10001          14 B "INPUT alice UP"  delayed 152 ms
 *     440.3 ms ← 127.0.0.1:10001          16 B "ERROR \x1b]0;PWNED\x07"
 *
 * Also `visible()`, which every program uses on whatever came from the network before it
 * prints it: a peer's bytes never reach a terminal or a log with their control characters.
 */
import { openSync, writeSync } from "node:fs";
import type { Socket as TcpSocket } from "node:net";
import { exitWithUsageError, type OptionSpecs } from "./args.ts";

/** Where a message went or came from: a dgram RemoteInfo or a socket's address fits. */
export interface Peer {
  address: string;
  port: number;
}

/** A message as a program hands it to a socket, or as the socket hands it back. */
export type Message = string | Uint8Array;

/** How many squares of a STATE the trace shows before it says how many more there are. */
const SHOWN_SQUARES = 3;
/** Longer texts (a flood, the echo of a long line) are cut here: one line stays one line. */
const SHOWN_CHARACTERS = 200;

/**
 * How a step whose datagrams are not text (binary, bit-packed) has them traced: its
 * own reading of what it sends and what it receives, as readable text (or why they
 * cannot be read). The trace still prints each one's real size.
 */
export interface Decoder {
  sent(bytes: Uint8Array): string;
  received(bytes: Uint8Array): string;
}

export class Trace {
  constructor(
    private readonly writeLine: (line: string) => void,
    private readonly decoder?: Decoder,
  ) {}

  /** A message this program sent, and what the simulated network did to it (nothing: no fate). */
  sent(to: Peer, message: Message, fate = ""): void {
    this.write("→", to, message, this.decoder?.sent, fate);
  }

  /** A message (UDP) or a piece of the stream (TCP) this program received. */
  received(from: Peer, message: Message): void {
    this.write("←", from, message, this.decoder?.received, "");
  }

  private write(
    arrow: string,
    peer: Peer,
    message: Message,
    decode: ((bytes: Uint8Array) => string) | undefined,
    fate: string,
  ): void {
    const milliseconds = performance.now().toFixed(1).padStart(9);
    const bytes = String(byteLength(message)).padStart(5);
    const read = decode && typeof message !== "string" ? decode(message) : textOf(message);
    const text = visible(shorten(read)).replaceAll('"', '\\"');
    const line = `${milliseconds} ms ${arrow} ${addressOf(peer).padEnd(21)} ${bytes} B "${text}"`;
    this.writeLine(fate === "" ? line : `${line}  ${fate}`);
  }
}

/**
 * Traces every piece of a TCP stream the program reads, when it reads it, without changing how
 * it reads. A 'data' listener alone would do more than watch: it would start the socket flowing,
 * and the pieces that arrive before the program reads (or after it stops) would be thrown away
 * instead of waiting for it. So the trace listens only while the program itself reads, with a
 * 'data' or a 'readable' listener (an async iterator is one): each read() hands its piece to
 * the 'data' listeners too.
 */
export function traceReads(socket: TcpSocket, trace: Trace): void {
  const tracePiece = (piece: Buffer) => trace.received(peerOf(socket), piece);
  let listening = false;
  const isReading = (event: string | symbol) => event === "data" || event === "readable";
  const readers = () =>
    socket.listenerCount("data") + socket.listenerCount("readable") - (listening ? 1 : 0);
  const listen = () => {
    listening = true;
    // first among the listeners, so a piece's trace line comes before what the program does with it
    socket.prependListener("data", tracePiece);
  };
  socket.on("newListener", (event) => {
    if (isReading(event) && !listening) listen();
  });
  socket.on("removeListener", (event) => {
    if (isReading(event) && listening && readers() === 0) {
      listening = false;
      socket.off("data", tracePiece);
    }
  });
  if (readers() > 0) listen();
}

/**
 * Characters a terminal or a log reader acts on instead of showing: the C0 controls (ESC starts
 * the sequences that move the cursor, recolour the screen and retitle the window; a lone \r
 * returns to the start of the line so that what follows overwrites what was printed), DEL, the
 * C1 controls (U+009B works as ESC [ on some terminals), the line and paragraph separators, and
 * the bidirectional controls that make a line read in another order than it was written.
 * The backslash is escaped too, so that a peer cannot forge an escape: "\x1b" typed as four
 * characters shows as \\x1b.
 */
const UNSAFE = /[\p{Cc}\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\\]/gu;
const SHORT_ESCAPES: Record<string, string> = {
  "\\": "\\\\",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
};

/**
 * The text with every character a terminal would act on written out as an escape (ESC as
 * `\x1b`, a newline as `\n`), and every printable character, in any script, left as it is.
 */
export function visible(text: string): string {
  return text.replace(UNSAFE, (character) => {
    const code = character.codePointAt(0)!;
    const hex = code.toString(16).padStart(code <= 0xff ? 2 : 4, "0");
    return SHORT_ESCAPES[character] ?? (code <= 0xff ? `\\x${hex}` : `\\u${hex}`);
  });
}

/** The options every server and client takes, spread into its own: `...TRACE_OPTIONS`. */
export const TRACE_OPTIONS = {
  trace: {
    type: "boolean",
    default: false,
    description: "print every message sent and received to stderr, one line each",
  },
  "trace-file": {
    type: "string",
    placeholder: "FILE",
    description: "write that trace to FILE instead (the terminal keeps the game)",
  },
} satisfies OptionSpecs;

/**
 * The trace the options ask for, or undefined when they ask for none: callers write
 * `trace?.sent(…)`, so a trace that is off costs one check, and its arguments are not even built.
 * A step whose datagrams are binary passes its decoder, and the trace prints them as it reads them.
 */
export function traceFrom(
  values: { trace: boolean; "trace-file"?: string },
  decoder?: Decoder,
): Trace | undefined {
  const file = values["trace-file"];
  if (file !== undefined) return new Trace(lineWriter(file), decoder);
  if (values.trace) return new Trace((line) => process.stderr.write(`${line}\n`), decoder);
  return undefined;
}

/**
 * Each line is written before the call returns: a program that exits (or crashes) right after
 * a message still leaves that message in the trace, which a buffered stream would not.
 */
function lineWriter(file: string): (line: string) => void {
  let descriptor: number;
  try {
    descriptor = openSync(file, "w");
  } catch (error) {
    exitWithUsageError(`--trace-file: ${error instanceof Error ? error.message : error}`);
  }
  return (line) => writeSync(descriptor, `${line}\n`);
}

/** The peer a TCP socket is connected to, or "?" and 0 while the socket does not know it. */
export function peerOf(socket: TcpSocket): Peer {
  return { address: socket.remoteAddress ?? "?", port: socket.remotePort ?? 0 };
}

/** How many bytes a message takes on the wire: a string counts as its UTF-8 bytes. */
export function byteLength(message: Message): number {
  return typeof message === "string" ? Buffer.byteLength(message) : message.byteLength;
}

function textOf(message: Message): string {
  if (typeof message === "string") return message;
  // A view of the same bytes, not a copy; bytes that are not UTF-8 decode as U+FFFD.
  return Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString("utf8");
}

function addressOf({ address, port }: Peer): string {
  return address.includes(":") ? `[${address}]:${port}` : `${address}:${port}`;
}

/**
 * One square of a STATE: `alice,3,4`, or `alice,3,4,17,230` with the input it acknowledges and
 * the tick it was first applied in; or one change of a DELTA: `2=alice,3,4` (came into the light),
 * `2,3,4` (moved) or `-2` (left the light).
 */
const SQUARE = /^((\d+=)?[A-Za-z0-9_-]{1,16},\d+,\d+(,\d+){0,2}|-\d+)$/;

/**
 * A STATE or a DELTA with many squares keeps its first ones and says how many it hides; a
 * welcome's WALLS keep their first row. What is left is cut at SHOWN_CHARACTERS.
 */
function shorten(text: string): string {
  // step 08's CONNECT is padded with spaces to 100 bytes: say how many, rather than show them
  const padding = / {8,}$/.exec(text)?.[0].length ?? 0;
  if (padding > 0) return `${shorten(text.slice(0, -padding))} … (+${plural(padding, "space")})`;
  const words: string[] = [];
  let squaresInRun = 0;
  const closeRun = () => {
    const hidden = squaresInRun - SHOWN_SQUARES;
    if (hidden > 0) words.push(`… (+${plural(hidden, "square")})`);
    squaresInRun = 0;
  };
  let previous = "";
  for (const word of text.split(" ")) {
    if (SQUARE.test(word)) {
      if (++squaresInRun <= SHOWN_SQUARES) words.push(word);
    } else {
      closeRun();
      const rows = word.split("/");
      words.push(
        previous === "WALLS" && rows.length > 1
          ? `${rows[0]}/… (+${plural(rows.length - 1, "row")})`
          : word,
      );
    }
    previous = word;
  }
  closeRun();
  return cut(words.join(" "));
}

function cut(text: string): string {
  if (text.length <= SHOWN_CHARACTERS) return text;
  // never cut a character in two: a pair of UTF-16 halves stays together
  const end = /[\ud800-\udbff]/.test(text[SHOWN_CHARACTERS - 1]!)
    ? SHOWN_CHARACTERS - 1
    : SHOWN_CHARACTERS;
  return `${text.slice(0, end)}… (+${plural(text.length - end, "character")})`;
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? "" : "s"}`;
