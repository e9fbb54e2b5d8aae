/**
 * The exchanges the step READMEs show, replayed against the real servers, as db_tutorial's
 * specs drive its real program: a README that no longer matches the code fails here.
 *
 * A block is replayed when the line before its fence (or table) is a marker:
 *
 *   <!-- replay: transcript [SERVER OPTIONS] -->      a typed session, in a ```text block
 *   <!-- replay: table [SERVER OPTIONS] -->           a table whose rows are `sent` | `answer`
 *   <!-- replay: trace client|server; client OPTIONS[; server OPTIONS] -->
 *                                                    an excerpt of a real --trace of that side
 *
 * A transcript's lines:
 *
 *   > MESSAGE          send it: step 01 as raw text on a new connection, step 02 as a line on a
 *                      new connection, step 03 as a line on the connection, steps 04 on as a datagram
 *   < ANSWER           the next message from the server is this one (steps 05 on: the states that
 *                      are not this one are passed over, since a state comes every tick)
 *   < (no answer)      nothing comes within 300 ms (steps 05 on: nothing but states)
 *   < (closed)         the server closes the connection
 *   NAME > …           on another connection (03) or socket (04 on), opened when it is first named
 *   PORT > …           (steps 04 on, on every line) to or from that port of the server: main, or a
 *                      dedicated port (steps 08 on have the main port only)
 *   (a remark)         ignored
 *
 * In a MESSAGE, `{cookie}` stands for the cookie of the last CHALLENGE that socket received
 * (step 08 on), and `{tick}` for the tick of the last state it was awaiting (step 10's <held>). In
 * an ANSWER, `…` stands for any text and `*` for any number (a tick). Ports read as a server
 * started with its defaults gives them: the main port is 9999, the dedicated ports 10000 on. A
 * MESSAGE `TEXT… (N bytes)` is TEXT with its last character repeated until it is N bytes long.
 * A table's first cell is its first code span, or one of the phrases in SENT_PHRASES.
 *
 * A trace excerpt's lines must appear in the real trace in the same order, perhaps with others
 * between them (a `…` line says where the README leaves some out), but for the lines two clocks
 * send: from step 05 on the client sends an INPUT each frame and the server a STATE or DELTA each
 * tick, the two clocks race, and on a loaded machine an input lands a tick late (a CI run met two
 * states between two inputs). Such a line need only follow the excerpt's lines before it that went
 * its way, and the others that no clock sent (a handshake's). Times are not compared, nor
 * the ports of clients (the system picks them), nor tick numbers (nor, on lines with a tick, the
 * byte count, which grows with the tick's digits), nor cookies; and a `*` in an excerpt's text
 * stands for any number.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, describe, expect, it } from "vitest";
import { type RunningServer, runScript, startServer } from "../scripts/harness/launch.ts";
import { STEPS_DIR, stepFolders, stepNumber } from "../scripts/harness/steps.ts";
import { type TraceLine, parseTraceLine } from "../scripts/experiments/lab.ts";
import { portPool } from "./helpers.ts";

/** How each step's messages travel, which decides what `>` and `<` do. */
type Transport =
  "echo" | "a connection per message" | "one connection" | "datagrams" | "ticks" | "one socket";
const TRANSPORTS: Record<string, Transport> = {
  "01": "echo",
  "02": "a connection per message",
  "03": "one connection",
  "04": "datagrams",
  "05": "ticks",
  "06": "ticks",
  "07": "ticks",
  "08": "one socket",
  "09": "one socket",
  "10": "one socket",
  "11": "one socket",
  "12": "one socket",
  "13": "one socket",
};
/** The steps whose datagrams are binary: a transcript's lines of text are no message of theirs. */
const BINARY_STEPS = new Set(["13"]);
const isUdp = (transport: Transport) =>
  transport === "datagrams" || transport === "ticks" || transport === "one socket";
/** The UDP steps with a pool of dedicated ports (04 to 07). */
const hasPool = (transport: Transport) => transport === "datagrams" || transport === "ticks";
/** The steps whose server sends a state every tick, unasked: a transcript passes over them. */
const ticks = (transport: Transport) => transport === "ticks" || transport === "one socket";
const isState = (text: string) => text.startsWith("STATE ") || text.startsWith("DELTA ");

/** The ports as a learner's server has them: `--port 9999` (9998 for step 01), `--ports 10000-…`. */
const mainPortOf = (folder: string) => (stepNumber(folder) === "01" ? 9998 : 9999);
const FIRST_DEDICATED_PORT = 10000;
/** The dedicated ports of a test's server: as many as its transcript could need. */
const POOL_SIZE = 8;
/** How long an answer may take: a "too slow" refusal comes 5 s after the connection opens. */
const ANSWER_TIMEOUT_MS = 7000;
/** How long `(no answer)` listens. */
const SILENCE_MS = 300;

/** The table cells that say in words what is sent. */
const SENT_PHRASES: Record<string, string> = {
  "an empty line": "",
  "more than 1024 bytes": "x".repeat(1025),
};

const KINDS = ["transcript", "table", "trace"] as const;

interface Block {
  folder: string;
  readme: string;
  /** the line of the marker, counted from 1, for the test's name */
  line: number;
  kind: (typeof KINDS)[number];
  /** what follows the kind in the marker */
  spec: string;
  lines: string[];
}

/** Every marked block of every step README. */
function markedBlocks(): Block[] {
  const blocks: Block[] = [];
  for (const folder of stepFolders()) {
    const readme = join("steps", folder, "README.md");
    const lines = readFileSync(join(STEPS_DIR, folder, "README.md"), "utf8").split("\n");
    lines.forEach((text, index) => {
      const marker = /^<!-- replay: (\S+)\s*(.*?)\s*-->$/.exec(text);
      if (!marker) return;
      const kind = KINDS.find((known) => known === marker[1]);
      if (!kind) throw new Error(`${readme}:${index + 1}: replay what? ${marker[1]}`);
      const body: string[] = [];
      let next = index + 1;
      while (lines[next] === "") next++; // Prettier puts a blank line after the marker
      if (kind === "table") {
        while (lines[next]?.startsWith("|")) body.push(lines[next++]!);
      } else {
        if (!lines[next]?.startsWith("```")) throw new Error(`${readme}:${index + 1}: no fence`);
        while (!lines[++next]?.startsWith("```")) {
          if (next >= lines.length) throw new Error(`${readme}:${index + 1}: an open fence`);
          body.push(lines[next]!);
        }
      }
      if (!body.some((line) => line.trim() !== "" && line.trim() !== "…"))
        throw new Error(`${readme}:${index + 1}: nothing to replay`);
      blocks.push({ folder, readme, line: index + 1, kind, spec: marker[2]!, lines: body });
    });
  }
  return blocks;
}

/** An ANSWER of a README as a regular expression: `…` any text, `*` any number. */
function answerPattern(answer: string): RegExp {
  const escaped = answer
    .split(/(…|\*)/)
    .map((part) =>
      part === "…" ? ".*" : part === "*" ? "\\d+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    );
  return new RegExp(`^${escaped.join("")}$`, "s");
}

/** A MESSAGE of a README as the bytes to send: `TEXT… (N bytes)` is padded to N bytes. */
function messageText(message: string): string {
  const padded = /^(.*)… \((\d+) bytes\)$/.exec(message);
  if (!padded) return message;
  const [, text, bytes] = padded;
  return text!.padEnd(Number(bytes), text!.at(-1));
}

/** A server started for one block, and how its ports read in the README. */
interface Served {
  server: RunningServer;
  /** its port as the README writes it */
  mainPort: number;
  firstDedicatedPort: number;
}

const running: RunningServer[] = [];
afterAll(() => Promise.all(running.map((server) => server.stop())));

async function serve(folder: string, options: string[]): Promise<Served> {
  const transport = TRANSPORTS[stepNumber(folder)]!;
  const pool = hasPool(transport) ? portPool(POOL_SIZE) : undefined;
  const server = await startServer(folder, [...(pool ? ["--ports", pool] : []), ...options]);
  running.push(server);
  return {
    server,
    mainPort: mainPortOf(folder),
    firstDedicatedPort: pool ? Number(pool.split("-")[0]) : 0,
  };
}

/** A port as the README writes it. */
function readmePort({ server, mainPort, firstDedicatedPort }: Served, port: number): string {
  if (port === server.port) return String(mainPort);
  const dedicated = port - firstDedicatedPort;
  if (firstDedicatedPort > 0 && dedicated >= 0 && dedicated < POOL_SIZE)
    return String(FIRST_DEDICATED_PORT + dedicated);
  return "*";
}

/** A message from the server as the README writes it: the port in a welcome as a learner's. */
function asInReadme(served: Served, text: string): string {
  return text.replace(
    /^CONNECTED (\d+) /,
    (_, port) => `CONNECTED ${readmePort(served, Number(port))} `,
  );
}

// ---------------------------------------------------------------------------------------------
// Conversations: what `>` and `<` do on each transport

/** Where the next message comes from, and the messages that came. */
interface Inbox {
  messages: { text: string; port: number }[];
  closed: boolean;
  wake: (() => void)[];
}

const newInbox = (): Inbox => ({ messages: [], closed: false, wake: [] });
function deliver(inbox: Inbox, message?: { text: string; port: number }): void {
  if (message) inbox.messages.push(message);
  else inbox.closed = true;
  inbox.wake.splice(0).forEach((wake) => wake());
}

/** Waits until `ready()` or `timeoutMs`; true if ready. */
async function waitFor(inbox: Inbox, ready: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!ready()) {
    const left = deadline - performance.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      inbox.wake.push(() => (clearTimeout(timer), resolve()));
    });
  }
  return true;
}

/** One client socket of a transcript, TCP or UDP. */
interface Peer {
  inbox: Inbox;
  /** the cookie of the last CHALLENGE this socket received (step 08 on) */
  cookie?: string;
  /** the tick of the last state a line awaited and this socket received */
  tick?: string;
  send(text: string, port: number): Promise<void>;
  close(): void;
}

/**
 * A TCP connection whose answers are cut into lines (or, step 01, kept whole until it closes).
 * With `oneMessage`, the connection ends after the message it sends, as steps 01 and 02 want.
 */
async function tcpPeer(port: number, wholeAnswers: boolean, oneMessage: boolean): Promise<Peer> {
  const socket = net.connect(port, "127.0.0.1");
  const inbox = newInbox();
  let pending = "";
  socket.on("data", (bytes) => {
    pending += bytes.toString("utf8");
    if (wholeAnswers) return;
    for (let end = pending.indexOf("\n"); end !== -1; end = pending.indexOf("\n")) {
      deliver(inbox, { text: pending.slice(0, end), port });
      pending = pending.slice(end + 1);
    }
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    if (wholeAnswers && pending !== "") deliver(inbox, { text: pending, port });
    deliver(inbox);
  });
  await once(socket, "connect");
  return {
    inbox,
    send: async (text) => void (oneMessage ? socket.end(text) : socket.write(text)),
    close: () => socket.destroy(),
  };
}

async function udpPeer(): Promise<Peer> {
  const socket = dgram.createSocket("udp4");
  const inbox = newInbox();
  socket.on("message", (bytes, from) =>
    deliver(inbox, { text: bytes.toString("utf8"), port: from.port }),
  );
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  return {
    inbox,
    send: (text, port) =>
      new Promise((resolve) => socket.send(text, port, "127.0.0.1", () => resolve())),
    close: () => socket.close(),
  };
}

/** A transcript line: who, to or from which port, which way, and what. */
interface Exchange {
  peer: string;
  port: string | undefined;
  sends: boolean;
  text: string;
}

const EXCHANGE = /^(?:([a-z][a-z0-9]*) +)?(?:(main|\d+) +)?([<>]) ?(.*)$/;

function readExchange(line: string, transport: Transport): Exchange | undefined {
  const match = EXCHANGE.exec(line);
  if (!match || match[1] === "main") return undefined;
  const [, peer = "", port, arrow, text] = match;
  if (isUdp(transport) !== (port !== undefined)) {
    throw new Error(
      `"${line}": a port (main, 10000…) goes on every line of a UDP step, only there`,
    );
  }
  return { peer, port, sends: arrow === ">", text: text! };
}

async function replayTranscript(folder: string, options: string[], lines: string[]): Promise<void> {
  const transport = TRANSPORTS[stepNumber(folder)];
  if (!transport) throw new Error(`the test does not know how step ${folder} travels`);
  const served = await serve(folder, options);
  const peers = new Map<string, Peer>();
  const serverPort = (port: string | undefined) => {
    if (port === undefined || port === "main") return served.server.port;
    return served.firstDedicatedPort + Number(port) - FIRST_DEDICATED_PORT;
  };
  const freshConnection = transport === "echo" || transport === "a connection per message";
  const open = async (name: string) => {
    const peer = isUdp(transport)
      ? await udpPeer()
      : await tcpPeer(served.server.port, transport === "echo", freshConnection);
    peers.get(name)?.close();
    peers.set(name, peer);
    return peer;
  };
  try {
    for (const line of lines) {
      if (line.trim() === "" || /^\(.*\)$/.test(line.trim())) continue;
      const exchange = readExchange(line, transport);
      if (!exchange) throw new Error(`cannot read the transcript line "${line}"`);
      const { peer: name, port, sends, text } = exchange;
      if (sends) {
        const peer = freshConnection || !peers.has(name) ? await open(name) : peers.get(name)!;
        const message = messageText(text)
          .replace("{cookie}", peer.cookie ?? "")
          .replace("{tick}", peer.tick ?? "");
        const framed = transport === "echo" || isUdp(transport) ? message : `${message}\n`;
        await peer.send(framed, serverPort(port));
        continue;
      }
      const peer = peers.get(name) ?? (await open(name));
      const fromPort = serverPort(port);
      const { inbox } = peer;
      const skipsStates = ticks(transport);
      /** what this line listens for: anything from that port, but the states that come every tick */
      const listensTo = (message: { text: string; port: number }) =>
        message.port === fromPort && !(skipsStates && isState(message.text));
      if (text === "(no answer)") {
        await sleep(SILENCE_MS);
        const heard = inbox.messages.filter(listensTo);
        expect(
          heard.map((message) => message.text),
          `"${line}"`,
        ).toEqual([]);
        inbox.messages.length = 0;
        continue;
      }
      if (text === "(closed)") {
        expect(await waitFor(inbox, () => inbox.closed, ANSWER_TIMEOUT_MS), `"${line}"`).toBe(true);
        continue;
      }
      const pattern = answerPattern(text);
      const matches = (message: { text: string; port: number }) =>
        message.port === fromPort && pattern.test(asInReadme(served, message.text));
      let answer: string | undefined;
      await waitFor(
        inbox,
        () => {
          while (inbox.messages.length > 0) {
            const message = inbox.messages.shift()!;
            if (matches(message)) {
              answer = message.text;
              peer.cookie = /^CHALLENGE (\S+)$/.exec(message.text)?.[1] ?? peer.cookie;
              peer.tick = / tick=(\d+) /.exec(message.text)?.[1] ?? peer.tick;
              return true;
            }
            // a state that is not the one awaited is passed over; anything else is an answer
            if (skipsStates && isState(message.text) && message.port === fromPort) continue;
            answer = `${message.text} (from port ${readmePort(served, message.port)})`;
            return true;
          }
          return inbox.closed;
        },
        ANSWER_TIMEOUT_MS,
      );
      expect(answer === undefined ? "(nothing)" : asInReadme(served, answer), `"${line}"`).toMatch(
        pattern,
      );
    }
  } finally {
    for (const peer of peers.values()) peer.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Tables

/** The cells of a table row, `\|` kept inside them. */
const cellsOf = (row: string) =>
  row
    .replace(/^\||\|$/g, "")
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim().replaceAll("\\|", "|"));

const codeSpan = (cell: string) => /`([^`]*)`/.exec(cell)?.[1];

/** A table of `sent` | `answer` rows, as the transcript it stands for. */
function tableAsTranscript(rows: string[]): string[] {
  return rows.slice(2).flatMap((row) => {
    const [sentCell = "", answerCell = ""] = cellsOf(row);
    const sent = codeSpan(sentCell) ?? SENT_PHRASES[sentCell];
    const answer = codeSpan(answerCell);
    if (sent === undefined || answer === undefined) throw new Error(`cannot read the row ${row}`);
    return [`> ${sent}`, `< ${answer}`];
  });
}

// ---------------------------------------------------------------------------------------------
// Traces

/**
 * What a trace line must keep to match the README's: not its time, nor a client's port, nor a
 * tick; a welcome's port reads as the README's, and its size with it.
 */
function traceKey(line: TraceLine, portOf: (port: number) => string): string {
  const colon = line.peer.lastIndexOf(":");
  const peer = `${line.peer.slice(0, colon)}:${portOf(Number(line.peer.slice(colon + 1)))}`;
  let bytes = String(line.bytes);
  let text = line.text.replace(/^CONNECTED (\d+) /, (_, port: string) => {
    const shown = portOf(Number(port));
    bytes = String(line.bytes - port.length + shown.length);
    return `CONNECTED ${shown} `;
  });
  // a cookie is new every time (step 08 on): the README's shows where one goes
  // (one that ends in - or _ has no \b after it: the lookahead takes it too)
  text = text.replace(/^(CHALLENGE|CONNECT \S+) [A-Za-z0-9_-]{22}(?![A-Za-z0-9_-])/, "$1 *");
  const withoutTicks = text
    .replace(/\btick=\d+/, "tick=*")
    .replace(/\bbase=\d+/, "base=*")
    .replace(/^(INPUT \S+ \S+ \d+) \d+$/, "$1 *") // the tick the client holds (step 10)
    .replace(/^(INPUT \S+) \d+ \d+ \d+ /, "$1 * * * ") // held, seen and the first input's (step 12)
    .replace(/^(INPUT \S+) \d+ \d+ /, "$1 * * ") // the tick held, and the first input's (step 11)
    .replace(/\bearly=-?\d+/, "early=*") // how early the server had an input (step 11)
    .replace(/\b([A-Za-z0-9_-]+,\d+,\d+,\d+),\d+\b/g, "$1,*");
  if (withoutTicks !== text) [text, bytes] = [withoutTicks, "*"];
  return `${line.sent ? "→" : "←"} ${peer} ${bytes} B "${text}" ${line.fate}`;
}

/** Runs the step's server and client with these options, and returns the trace of one side. */
async function realTrace(
  folder: string,
  side: "client" | "server",
  options: { client: string[]; server: string[] },
): Promise<{ served: Served; lines: TraceLine[] }> {
  const folderOfTraces = mkdtempSync(join(tmpdir(), "readme-trace-"));
  const files = { server: join(folderOfTraces, "server"), client: join(folderOfTraces, "client") };
  try {
    const served = await serve(folder, [...options.server, "--trace-file", files.server]);
    const port = String(served.server.port);
    const client = runScript(
      folder,
      "client",
      ["--port", port, "--trace-file", files.client, ...options.client],
      { stdio: "ignore" },
    );
    const [code] = await once(client, "exit");
    expect(code, "the client's exit code").toBe(0);
    await sleep(200); // the server's last lines: the answers to the client's goodbye
    const lines = readFileSync(files[side], "utf8").split("\n").map(parseTraceLine);
    return { served, lines: lines.filter((line) => line !== undefined) };
  } finally {
    rmSync(folderOfTraces, { recursive: true, force: true });
  }
}

async function replayTrace(folder: string, spec: string, excerpt: string[]): Promise<void> {
  const [side, ...parts] = spec.split(";").map((part) => part.trim());
  if (side !== "client" && side !== "server") throw new Error(`trace of "${side}"?`);
  const optionsOf = (program: string) =>
    parts
      .find((part) => part.startsWith(`${program} `))
      ?.slice(program.length + 1)
      .split(/\s+/) ?? [];
  const { served, lines } = await realTrace(folder, side, {
    client: optionsOf("client"),
    server: optionsOf("server"),
  });
  const realKeys = lines.map((line) => traceKey(line, (port) => readmePort(served, port)));
  const readmeKey = (line: TraceLine) =>
    traceKey(line, (port) =>
      port === served.mainPort ||
      (port >= FIRST_DEDICATED_PORT && port < FIRST_DEDICATED_PORT + POOL_SIZE)
        ? String(port)
        : "*",
    );
  // Where the search for the next line starts: after every line matched, or for a clocked line,
  // after those of its direction and those no clock sent.
  const after = { all: 0, unclocked: 0, "→": 0, "←": 0 };
  for (const text of excerpt) {
    if (text.trim() === "…") continue;
    const line = parseTraceLine(text);
    if (!line) throw new Error(`not a trace line: ${text}`);
    const key = readmeKey(line);
    // a `*` of the README stands for any number of the real trace, or for one it left out too
    const escaped = key.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replaceAll("*", "(?:\\d+|\\*)");
    const pattern = new RegExp(`^${escaped}$`);
    const direction = line.sent ? "→" : "←";
    const clocked = Number(stepNumber(folder)) >= 5 && /^(INPUT|STATE|DELTA) /.test(line.text);
    const from = clocked ? Math.max(after[direction], after.unclocked) : after.all;
    const found = realKeys.findIndex((real, index) => index >= from && pattern.test(real));
    expect(
      found,
      `${key}\nnot found, in this order, in the real trace:\n${realKeys.join("\n")}`,
    ).not.toBe(-1);
    after[direction] = found + 1;
    after.all = Math.max(after.all, found + 1);
    if (!clocked) after.unclocked = found + 1;
  }
}

// ---------------------------------------------------------------------------------------------

describe("the step READMEs, replayed against the real servers and clients", () => {
  const blocks = markedBlocks();

  it("has a transcript and a trace in the README of every step it knows", () => {
    for (const folder of stepFolders().filter((folder) => stepNumber(folder) in TRANSPORTS)) {
      const kinds = blocks.filter((block) => block.folder === folder).map((block) => block.kind);
      if (!BINARY_STEPS.has(stepNumber(folder))) expect(kinds, folder).toContain("transcript");
      expect(kinds, folder).toContain("trace");
    }
  });

  for (const block of blocks) {
    const { folder } = block;
    const options = block.spec.split(/\s+/).filter((word) => word !== "");
    it.concurrent(`${block.readme}:${block.line}: ${block.kind} ${block.spec}`, async () => {
      if (block.kind === "trace") return replayTrace(folder, block.spec, block.lines);
      const lines = block.kind === "table" ? tableAsTranscript(block.lines) : block.lines;
      return replayTranscript(folder, options, lines);
    });
  }
});
