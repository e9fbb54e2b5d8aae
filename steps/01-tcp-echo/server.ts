/**
 * Step 01, the server: listen on a TCP port, read one message from each
 * connection, print it, and answer with a confirmation.
 */
import net from "node:net";
import { serverOptions } from "../../lib/args.ts";
import { decodeText, encodeText } from "../../lib/encoding.ts";
import { announce, exitOnListenError } from "../../lib/serve.ts";
import { TRACE_OPTIONS, traceFrom, visible } from "../../lib/trace.ts";

const { host, port, values } = serverOptions(
  import.meta.url,
  "Step 01: a TCP echo server that confirms every message it receives.",
  9998,
  TRACE_OPTIONS,
);
const trace = traceFrom(values);

const server = net.createServer((socket) => {
  socket.on("error", () => socket.destroy()); // a client that vanishes is no reason to crash
  const client = {
    address: socket.remoteAddress!.replace(/^::ffff:/, ""),
    port: socket.remotePort!,
  };
  // Like the write-up's recv(1024): the first piece that arrives is the message.
  // It works for one short message; step 03 shows why a stream needs more.
  socket.once("data", (bytes) => {
    trace?.received(client, bytes);
    const { text, encoding } = decodeText(bytes.subarray(0, 1024));
    const message = text.trim();
    // A stranger's text is printed with its control
    // characters made visible: it cannot drive our terminal.
    console.log(`${client.address} wrote:\n${visible(message)}`);
    const answer = `Hello client, you correctly sent your message : '${message}' to the server.`;
    console.log(`>>> ${visible(answer)}\n`);
    // answer in the client's own encoding, then close: one connection, one message
    const answerBytes = encodeText(answer, encoding);
    trace?.sent(client, answerBytes);
    socket.end(answerBytes);
    if (message === "STOP") {
      console.log("STOP received: shutting down");
      server.close();
    }
  });
  // A stranger who connects and never sends must not hold a socket forever.
  socket.setTimeout(5000, () => socket.destroy());
});

server.on("error", (error) => exitOnListenError(error, port));
server.listen(port, host, () => announce(server.address() as net.AddressInfo));
