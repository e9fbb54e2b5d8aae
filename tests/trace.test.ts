/**
 * `--trace` (lib/trace.ts): the lines of real exchanges over real sockets on 127.0.0.1, and
 * `visible()`, which keeps a peer's control characters away from the terminal.
 */
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { readLines } from "../lib/framing.ts";
import { HOUSE_MAP } from "../lib/map.ts";
import { PERFECT_NETWORK, simulateNetwork, simulateStream } from "../lib/netsim.ts";
import { encodeServerMessage } from "../steps/04-udp-dedicated-ports/protocol.ts";
import { traceFrom, traceReads, visible } from "../lib/trace.ts";
import { boundUdpSocket, runToEnd, tracedLines, until, untimed } from "./helpers.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** A TCP server on 127.0.0.1 that hands each connection to `serve`, and a client connected to it. */
async function tcpConnection(serve: (socket: net.Socket) => void = () => {}) {
  const server = net.createServer(serve);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const accepted = new Promise<net.Socket>((resolve) => server.once("connection", resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, "127.0.0.1");
  cleanups.push(() => {
    client.destroy();
    server.close();
  });
  return { client, accepted };
}

describe("visible", () => {
  it("writes out every character a terminal would act on", () => {
    expect(visible("\x1b]0;PWNED\x07")).toBe("\\x1b]0;PWNED\\x07");
    expect(visible("\x1b[?25l\x1b[5;31mYOU ARE HACKED")).toBe(
      "\\x1b[?25l\\x1b[5;31mYOU ARE HACKED",
    );
    expect(visible("overwritten\rfake")).toBe("overwritten\\rfake");
    expect(visible("two\nlines\tand a tab")).toBe("two\\nlines\\tand a tab");
    expect(visible("\0 \x7f \x9b \x85")).toBe("\\x00 \\x7f \\x9b \\x85");
    expect(visible("line\u2028separator")).toBe("line\\u2028separator");
    expect(visible("\u202egnp.exe")).toBe("\\u202egnp.exe");
  });

  it("escapes the backslash, so that a typed \\x1b cannot pass for an escaped ESC", () => {
    expect(visible("\\x1b")).toBe("\\\\x1b");
    expect(visible("\x1b")).toBe("\\x1b");
  });

  it("leaves printable text in any script as it is", () => {
    const printable = 'GETSTATE alice ~!@#$%^&*()_+{}|:"<>? été 幽霊 👻 …';
    expect(visible(printable)).toBe(printable);
  });
});

describe("Trace", () => {
  it("traces a UDP exchange: both sides, every fate, long messages shortened", async () => {
    const server = await boundUdpSocket();
    const client = createSocket("udp4");
    cleanups.push(() => client.close());
    client.connect(server.address().port, "127.0.0.1");
    await once(client, "connect");
    const serverTrace = tracedLines();
    const clientTrace = tracedLines();
    const serverNetwork = simulateNetwork(server, PERFECT_NETWORK, { trace: serverTrace.trace });
    // With seed 2 at 50% loss, the first two datagrams get through and the third is dropped.
    const clientNetwork = simulateNetwork(
      client,
      { lagMs: 20, jitterMs: 0, lossPercent: 50, duplicatePercent: 0 },
      { seed: 2, trace: clientTrace.trace },
    );
    const players = ["alice", "bob", "carol", "dave", "erin"].map((name, i) => ({
      name,
      x: i + 1,
      y: 1,
    }));
    server.on("message", (datagram, from) => {
      const answer =
        datagram.toString() === "CONNECTED alice"
          ? encodeServerMessage({
              type: "CONNECTED",
              port: 10000,
              username: "alice",
              map: HOUSE_MAP,
              state: { ghost: "bob", players },
            })
          : `ERROR \x1b]0;PWNED\x07 ${datagram.toString()}`;
      serverNetwork.send(answer, from.port, from.address);
    });

    clientNetwork.send("CONNECTED alice");
    clientNetwork.send("GETSTATE alice");
    clientNetwork.send("GETSTATE bob");
    await until(() => clientTrace.lines.length === 5);

    const serverAt = `127.0.0.1:${server.address().port}`.padEnd(21);
    const clientAt = `127.0.0.1:${client.address().port}`.padEnd(21);
    const welcome =
      "CONNECTED 10000 alice 39x21 WALLS #######################################/… (+20 rows) " +
      "STATE ghost=bob alice,1,1 bob,2,1 carol,3,1 … (+2 squares) END";
    expect(clientTrace.lines).toEqual([
      `T → ${serverAt}    15 B "CONNECTED alice"  delayed 20 ms`,
      `T → ${serverAt}    14 B "GETSTATE alice"  delayed 20 ms`,
      `T → ${serverAt}    12 B "GETSTATE bob"  dropped`,
      `T ← ${serverAt}   939 B "${welcome}"`,
      `T ← ${serverAt}    31 B "ERROR \\x1b]0;PWNED\\x07 GETSTATE alice"`,
    ]);
    expect(serverTrace.lines).toEqual([
      `T ← ${clientAt}    15 B "CONNECTED alice"`,
      `T → ${clientAt}   939 B "${welcome}"`,
      `T ← ${clientAt}    14 B "GETSTATE alice"`,
      `T → ${clientAt}    31 B "ERROR \\x1b]0;PWNED\\x07 GETSTATE alice"`,
    ]);
  });

  it("traces a TCP exchange: each write with its fate, and each piece as it is read", async () => {
    const serverTrace = tracedLines();
    const { client } = await tcpConnection(async (socket) => {
      const stream = simulateStream(socket, PERFECT_NETWORK, { trace: serverTrace.trace });
      for await (const line of readLines(socket, 1024))
        stream.write(`ERROR unknown command ${line}\n`);
    });
    const clientTrace = tracedLines();
    // With seed 2 at 50% loss, the first write is lost and sent again 200 ms later; the second is not.
    const stream = simulateStream(
      client,
      { lagMs: 0, jitterMs: 0, lossPercent: 50, duplicatePercent: 0 },
      { seed: 2, trace: clientTrace.trace },
    );
    const answers = readLines(client, 1024);
    stream.write("HELLO\x1b[2J\n");
    expect((await answers.next()).value).toBe("ERROR unknown command HELLO\x1b[2J");
    stream.write("BYE\n");
    expect((await answers.next()).value).toBe("ERROR unknown command BYE");

    const serverAt = `127.0.0.1:${client.remotePort}`.padEnd(21);
    const clientAt = `127.0.0.1:${client.localPort}`.padEnd(21);
    expect(clientTrace.lines).toEqual([
      `T → ${serverAt}    10 B "HELLO\\x1b[2J\\n"  delayed 200 ms (lost, sent again after 200 ms)`,
      `T ← ${serverAt}    32 B "ERROR unknown command HELLO\\x1b[2J\\n"`,
      `T → ${serverAt}     4 B "BYE\\n"`,
      `T ← ${serverAt}    26 B "ERROR unknown command BYE\\n"`,
    ]);
    expect(serverTrace.lines).toEqual([
      `T ← ${clientAt}    10 B "HELLO\\x1b[2J\\n"`,
      `T → ${clientAt}    32 B "ERROR unknown command HELLO\\x1b[2J\\n"`,
      `T ← ${clientAt}     4 B "BYE\\n"`,
      `T → ${clientAt}    26 B "ERROR unknown command BYE\\n"`,
    ]);
  });

  it("shows a stream's pieces as they arrive, which are not its messages", async () => {
    const { lines, trace } = tracedLines();
    const received: string[] = [];
    const { client } = await tcpConnection(async (socket) => {
      traceReads(socket, trace);
      for await (const line of readLines(socket, 1024)) received.push(line);
    });

    client.write("INPUT alice UP\nINPUT al");
    await until(() => lines.length === 1);
    client.write('ice "DOWN"\n');
    await until(() => received.length === 2);

    expect(received).toEqual(["INPUT alice UP", 'INPUT alice "DOWN"']);
    expect(lines.map((line) => line.slice(line.indexOf(" B ") + 3))).toEqual([
      '"INPUT alice UP\\nINPUT al"',
      '"ice \\"DOWN\\"\\n"',
    ]);
  });

  it("watches a TCP socket without changing how the program reads it", async () => {
    const { lines, trace } = tracedLines();
    const { client, accepted } = await tcpConnection();
    const socket = await accepted;
    traceReads(socket, trace);

    client.write("before anyone reads\n");
    await until(() => socket.readableLength > 0);
    // Nobody reads yet: the piece waits in the socket for the program, and is not traced yet.
    expect(socket.readableLength).toBe(20);
    expect(lines).toEqual([]);

    for await (const line of readLines(socket, 1024)) {
      expect(line).toBe("before anyone reads");
      break;
    }
    expect(lines).toHaveLength(1);

    client.write("after the reading\n");
    await until(() => socket.readableLength > 0);
    // The program stopped reading: the next piece waits for it again, and is not traced yet.
    expect(socket.readableLength).toBe(18);
    expect(lines).toHaveLength(1);

    for await (const line of readLines(socket, 1024)) {
      expect(line).toBe("after the reading");
      break;
    }
    expect(lines).toHaveLength(2);
  });

  it("shortens what is too long to read in one line, and says by how much", () => {
    const { lines, trace } = tracedLines();
    const peer = { address: "127.0.0.1", port: 9999 };
    const squares = Array.from({ length: 64 }, (_, i) => `p${i},${i},1,${i}`).join(" ");

    trace.received(peer, `STATE tick=7 ${squares} END`);
    trace.received(peer, `DELTA tick=9 base=7 ghost=p1 0,1,1,7,8 -1 2=p2,4,4 3,3,3 -4 END`);
    trace.received(peer, "A".repeat(1000));
    trace.sent({ address: "::1", port: 9999 }, new TextEncoder().encode("GETSTATE alice"));
    trace.sent(peer, "CONNECT alice".padEnd(100)); // step 08 pads its CONNECT

    const local = "127.0.0.1:9999".padEnd(21);
    expect(lines).toEqual([
      `T ← ${local}   754 B "STATE tick=7 p0,0,1,0 p1,1,1,1 p2,2,1,2 … (+61 squares) END"`,
      `T ← ${local}    63 B "DELTA tick=9 base=7 ghost=p1 0,1,1,7,8 -1 2=p2,4,4 … (+2 squares) END"`,
      `T ← ${local}  1000 B "${"A".repeat(200)}… (+800 characters)"`,
      `T → ${"[::1]:9999".padEnd(21)}    14 B "GETSTATE alice"`,
      `T → ${local}   100 B "CONNECT alice … (+87 spaces)"`,
    ]);
  });
});

describe("traceFrom", () => {
  /** Runs a few lines of TypeScript as a program of its own: traceFrom may write to stderr or exit. */
  const run = (script: string) => runToEnd(["--input-type=module", "-e", script]);
  const sendOne = `.sent({ address: "127.0.0.1", port: 9999 }, "GETSTATE alice\\x1b[2J")`;

  it("makes no trace unless asked", () => {
    expect(traceFrom({ trace: false })).toBeUndefined();
  });

  it("writes the trace to stderr with --trace, leaving stdout to the program", async () => {
    const result = await run(
      `import { traceFrom } from "./lib/trace.ts"; traceFrom({ trace: true })${sendOne};`,
    );
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(
      /^ *\d+\.\d ms → 127\.0\.0\.1:9999 +18 B "GETSTATE alice\\x1b\[2J"\n$/,
    );
  });

  it("writes the trace to a file with --trace-file, and says in one line when it cannot", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "trace-")), "trace.txt");
    const { lines, trace } = tracedLines();
    const fileTrace = traceFrom({ trace: false, "trace-file": file })!;
    fileTrace.sent({ address: "127.0.0.1", port: 9999 }, "CONNECTED alice");
    trace.sent({ address: "127.0.0.1", port: 9999 }, "CONNECTED alice");
    expect(untimed(readFileSync(file, "utf8"))).toBe(`${lines[0]}\n`);

    const failed = await run(
      `import { traceFrom } from "./lib/trace.ts"; traceFrom({ trace: true, "trace-file": "${file}/inside-a-file" });`,
    );
    expect(failed.code).toBe(2);
    expect(failed.stderr.split("\n")[0]).toMatch(/^error: --trace-file: ENOTDIR/);
  });
});
