/**
 * Step 01, the client: connect to the server, send one message, print the
 * answer, and close.
 */
import net from "node:net";
import { parseOptions, portOption } from "../../lib/args.ts";
import { decodeText, encodeText } from "../../lib/encoding.ts";

const { values, positionals } = parseOptions(
  {
    command: "npx tsx steps/01-tcp-echo/client.ts",
    summary: "Step 01: send one message to the echo server and print its answer.",
    positionals: "[MESSAGE]",
  },
  {
    host: {
      type: "string",
      default: "127.0.0.1",
      placeholder: "HOST",
      description: "the server's address",
    },
    port: {
      type: "string",
      default: "9998",
      placeholder: "PORT",
      description: "the server's port",
    },
    utf16: {
      type: "boolean",
      default: false,
      description: "encode as UTF-16 like the write-up's Python client (default: UTF-8)",
    },
  },
);
const message = positionals.join(" ") || "Hello server, this is Haunted Chronicles calling!";
const port = portOption(values.port);

const socket = net.connect(port, values.host, () => {
  socket.write(encodeText(message, values.utf16 ? "utf-16" : "utf-8"));
});

// The server closes the connection after its answer, so the answer is everything until the end.
const answer: Buffer[] = [];
socket.on("data", (bytes) => answer.push(bytes));
socket.on("end", () => console.log(decodeText(Buffer.concat(answer)).text));
socket.on("error", (error: NodeJS.ErrnoException) => {
  const reason =
    error.code === "ECONNREFUSED"
      ? `nothing is listening on ${values.host}:${port}: is the server running?`
      : error.message;
  console.error(`error: ${reason}`);
  process.exitCode = 1;
});
