/**
 * The crowd's adapters for the TCP steps: step 02's connection per message and
 * step 03's one connection with a line per message. Like the steps' clients,
 * a bot sends its held input every frame and waits for the answer (a state)
 * before its next frame.
 */
import net from "node:net";
import { LineReader } from "../../lib/framing.ts";
import type { Input } from "../../lib/game.ts";
import { type BotContext, type BotProtocol, type ProtocolBot, joinAnswerOf } from "./crowd.ts";
import { messageType } from "./peek.ts";

/** A server that has not answered in this long is taken to be stuck: the bot leaves. */
const ANSWER_TIMEOUT_MS = 5000;
/** The longest line a bot reads: the welcome carries the map and the state of every player. */
const MAX_LINE_BYTES = 1 << 20;

/** A connection from the bot's own address. */
function connect({ server, localAddress, meter }: BotContext): net.Socket {
  meter.counts.connections++;
  const socket = net.connect({ host: server.host, port: server.port, localAddress });
  socket.setTimeout(ANSWER_TIMEOUT_MS, () =>
    socket.destroy(new Error(`no answer in ${ANSWER_TIMEOUT_MS / 1000} s`)),
  );
  return socket;
}

/** What a TCP bot sends: the join, and its input (steps 02 and 03 have no sequence numbers). */
type TcpMessage =
  { type: "CONNECTED"; username: string } | { type: "INPUT"; username: string; input: Input };

/** A network error in a few words that do not change from run to run (no port numbers). */
const describe = (error: NodeJS.ErrnoException) => error.code ?? error.message;

function sendLine(bot: BotContext, socket: net.Socket, line: string, end: boolean) {
  const bytes = Buffer.from(line + "\n");
  bot.meter.sent(bytes.length);
  if (end) socket.end(bytes);
  else socket.write(bytes);
}

/**
 * Step 02: each message opens a connection, and the
 * answer is all the server sends before closing it.
 */
export function connectionPerMessage(
  bot: BotContext,
  protocol: BotProtocol<TcpMessage>,
): ProtocolBot {
  const open = new Set<net.Socket>();
  let waiting = false;

  function request(message: TcpMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = connect(bot);
      open.add(socket);
      sendLine(bot, socket, protocol.encodeClientMessage(message), true);
      const pieces: Buffer[] = [];
      socket.on("data", (piece) => pieces.push(piece));
      socket.on("end", () => {
        const answer = Buffer.concat(pieces);
        bot.meter.received(answer.length);
        resolve(answer);
      });
      socket.on("error", (error) => reject(new Error(describe(error))));
      socket.on("close", () => open.delete(socket));
    });
  }

  return {
    async join() {
      const welcome = await request({ type: "CONNECTED", username: bot.name });
      return joinAnswerOf(protocol.expectServerMessage(welcome.toString("utf8")));
    },
    frame(input) {
      if (waiting) return false;
      waiting = true;
      request({ type: "INPUT", username: bot.name, input }).then(
        (answer) => {
          waiting = false;
          if (messageType(answer) === "STATE") bot.meter.state();
        },
        (error: Error) => bot.fail(error.message),
      );
      return true;
    },
    close() {
      for (const socket of open) socket.destroy();
    },
  };
}

/** Step 03: one connection for the whole game, a line per message, the answers in order. */
export function persistentConnection(
  bot: BotContext,
  protocol: BotProtocol<TcpMessage>,
): ProtocolBot {
  const socket = connect(bot);
  const reader = new LineReader(MAX_LINE_BYTES);
  let seated = false;
  let waiting = false;
  const welcome = new Promise<string>((resolve, reject) => {
    socket.on("data", (chunk) => {
      const lines = reader.push(chunk);
      if (!lines) return socket.destroy(new Error("a line too long"));
      for (const line of lines) {
        bot.meter.received(Buffer.byteLength(line) + 1);
        if (!seated) resolve(line);
        waiting = false;
        if (line.startsWith("STATE ")) bot.meter.state();
      }
    });
    // before the welcome this fails the join; after it, the bot leaves the crowd
    const broken = (reason: string) => {
      reject(new Error(reason));
      bot.fail(reason);
    };
    socket.on("error", (error) => broken(describe(error)));
    socket.on("close", () => broken("the server closed the connection"));
  });

  return {
    async join() {
      const join = protocol.encodeClientMessage({ type: "CONNECTED", username: bot.name });
      sendLine(bot, socket, join, false);
      const answer = joinAnswerOf(protocol.expectServerMessage(await welcome));
      seated = answer.seated;
      return answer;
    },
    frame(input) {
      if (waiting) return false;
      waiting = true;
      const line = protocol.encodeClientMessage({ type: "INPUT", username: bot.name, input });
      sendLine(bot, socket, line, false);
      return true;
    },
    close: () => socket.destroy(),
  };
}
