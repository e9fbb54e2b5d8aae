/** Step 01 (steps/01-tcp-echo): the echo server and client, in UTF-8 and in the write-up's UTF-16. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../scripts/harness/launch.ts";
import { askOnce, runScriptToEnd, startServer } from "./helpers.ts";

const STEP = "01-tcp-echo";
const answerTo = (message: string) =>
  `Hello client, you correctly sent your message : '${message}' to the server.`;
const utf16 = (text: string) =>
  Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
const runClient = (args: string[]) => runScriptToEnd(STEP, "client", args);

describe("step 01: TCP echo", () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(STEP);
  });
  afterAll(() => server.stop());

  it("answers a UTF-8 message in UTF-8, byte for byte, and prints who wrote what", async () => {
    const answer = await askOnce(server.port, "hello from nc\n");
    expect(answer.equals(Buffer.from(answerTo("hello from nc")))).toBe(true);
    expect(await server.line(/^hello from nc$/)).toBeDefined();
    expect(await server.line(/^127\.0\.0\.1 wrote:$/)).toBeDefined();
  });

  it("answers the write-up's UTF-16 (with its byte-order mark) in UTF-16, byte for byte", async () => {
    const answer = await askOnce(server.port, utf16("héllo 👻"), { endAfterSending: false });
    expect(answer.equals(utf16(answerTo("héllo 👻")))).toBe(true);
  });

  it("has a client that sends its argument and prints the answer, in either encoding", async () => {
    const plain = await runClient(["--port", String(server.port), "hi there"]);
    expect(plain.stdout).toBe(`${answerTo("hi there")}\n`);
    const wide = await runClient(["--port", String(server.port), "--utf16", "wide hello"]);
    expect(wide.stdout).toBe(`${answerTo("wide hello")}\n`);
  });

  it("has a client that says in one line when nothing is listening", async () => {
    const failure = await runClient(["--port", "1", "anyone?"]);
    expect(failure.code).toBe(1);
    expect(failure.stderr).toMatch(/^error: nothing is listening on 127.0.0.1:1/);
  });

  it("refuses a port already in use in one line naming --port", async () => {
    const second = await runScriptToEnd(STEP, "server", [
      "--host",
      "127.0.0.1",
      "--port",
      String(server.port),
    ]);
    expect(second.code).toBe(1);
    expect(second.stderr.trim()).toMatch(/^error: port \d+ is already in use.*--port$/);
  });
});

describe("step 01: STOP", () => {
  it("shuts the server down after answering", async () => {
    const server = await startServer(STEP);
    const answer = await askOnce(server.port, "STOP");
    expect(answer.toString()).toBe(answerTo("STOP"));
    const [code] = await new Promise<[number | null]>((resolve) =>
      server.process.once("exit", (c) => resolve([c])),
    );
    expect(code).toBe(0);
  });
});
