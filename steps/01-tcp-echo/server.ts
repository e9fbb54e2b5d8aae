/**
 * Step 01, the server: listen on a TCP port, read one message from each
 * connection, print it, and answer with a confirmation.
 */
import net from "node:net";
import { serverOptions } from "../../lib/args.ts";
import { decodeText, encodeText } from "../../lib/encoding.ts";
import { announce, exitOnListenError } from "../../lib/serve.ts";

const { host, port } = serverOptions(
  import.meta.url,
  "Step 01: a TCP echo server that confirms every message it receives.",
  9998,
  {},
);

const server = net.createServer((socket) => {
  // Like the write-up's recv(1024): the first piece that arrives is the message.
  // It works for one short message; step 03 shows why a stream needs more.
  socket.once("data", (bytes) => {
    const { text, encoding } = decodeText(bytes.subarray(0, 1024));
    const message = text.trim();
    console.log(`${socket.remoteAddress?.replace(/^::ffff:/, "")} wrote:\n${message}`);
    const answer = `Hello client, you correctly sent your message : '${message}' to the server.`;
    console.log(`>>> ${answer}\n`);
    // answer in the client's own encoding, then close: one connection, one message
    socket.end(encodeText(answer, encoding));
    if (message === "STOP") {
      console.log("STOP received: shutting down");
      server.close();
    }
  });
  // A stranger who connects and never sends must not hold a socket forever.
  socket.setTimeout(5000, () => socket.destroy());
  socket.on("error", () => socket.destroy()); // a client that vanishes is no reason to crash
});

server.on("error", (error) => exitOnListenError(error, port));
server.listen(port, host, () => announce(server.address() as net.AddressInfo));
