/**
 * Step 01, the client: connect to the server, send one message, print the
 * answer, and close.
 */
import net from "node:net";
import { addressOptions, parseOptions, portOption } from "../../lib/args.ts";
import { decodeText, encodeText } from "../../lib/encoding.ts";
import { connectionProblem } from "../../lib/network-errors.ts";
import { TRACE_OPTIONS, traceFrom, visible } from "../../lib/trace.ts";

/** A server silent for this long is taken to be gone: a client must never wait forever. */
const ANSWER_TIMEOUT_MS = 5000;
/**
 * The answer quotes the message (at most 1024 bytes) in
 * one sentence: anything much longer is not an answer.
 */
const MAX_ANSWER_BYTES = 4096;

const { values, positionals } = parseOptions(
  {
    command: "npx tsx steps/01-tcp-echo/client.ts",
    summary: "Step 01: send one message to the echo server and print its answer.",
    positionals: "[MESSAGE]",
  },
  {
    ...addressOptions("client", 9998),
    utf16: {
      type: "boolean",
      default: false,
      description: "encode as UTF-16 like the write-up's Python client (default: UTF-8)",
    },
    ...TRACE_OPTIONS,
  },
);
const message = positionals.join(" ") || "Hello server, this is Haunted Chronicles calling!";
const server = { address: values.host, port: portOption(values.port, "--port", { min: 1 }) };
const where = `${server.address}:${server.port}`;
const trace = traceFrom(values);

function exitWithError(problem: string): never {
  console.error(`error: ${visible(problem)}`);
  process.exit(1);
}

const socket = net.connect(server.port, server.address, () => {
  const bytes = encodeText(message, values.utf16 ? "utf-16" : "utf-8");
  trace?.sent(server, bytes);
  socket.write(bytes);
});
socket.setTimeout(ANSWER_TIMEOUT_MS, () =>
  exitWithError(`no answer from ${where} for ${ANSWER_TIMEOUT_MS / 1000} s`),
);

// The server closes the connection after its answer, so the answer is everything until the end.
const answer: Buffer[] = [];
let received = 0;
socket.on("data", (bytes) => {
  trace?.received(server, bytes);
  received += bytes.length;
  if (received > MAX_ANSWER_BYTES)
    exitWithError(`the answer from ${where} is over ${MAX_ANSWER_BYTES} bytes`);
  answer.push(bytes);
});
socket.on("end", () => {
  if (received === 0) exitWithError(`the server at ${where} closed the connection unanswered`);
  // The answer is printed with its control characters
  // made visible: a server cannot drive our terminal.
  console.log(visible(decodeText(Buffer.concat(answer)).text));
});
socket.on("error", (error) =>
  exitWithError(connectionProblem(error, { host: server.address, port: server.port }, false)),
);
