/**
 * The real clients against servers written here, in the test, that do what a
 * hostile or broken server would: say nothing, never stop talking, send
 * terminal escape codes, let a stranger speak in their name, or make tick
 * numbers jump. A client must stay in charge of its own terminal, memory and
 * pace, and exit with one line saying what went wrong.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { HOUSE_MAP, MANSION_MAP, entranceOf } from "../lib/map.ts";
import * as step05 from "../steps/05-tick-broadcast/protocol.ts";
import * as step07 from "../steps/07-client-prediction/protocol.ts";
import * as step08 from "../steps/08-one-socket-handshake/protocol.ts";
import * as step09 from "../steps/09-lantern-interest/protocol.ts";
import * as step10 from "../steps/10-delta-snapshots/protocol.ts";
import * as step11 from "../steps/11-input-buffer/protocol.ts";
import * as step12 from "../steps/12-lag-compensation/protocol.ts";
import { runScriptToEnd, summaryOf } from "./helpers.ts";

/** Runs a step's real client to its end, killed if it runs 20 s: its exit code, stdout and stderr. */
const runClient = (folder: string, args: string[]) =>
  runScriptToEnd(folder, "client", args, { timeoutMs: 20_000 });

/** A TCP server on 127.0.0.1 that does `behave` with every connection. */
async function fakeTcpServer(behave: (socket: net.Socket) => void) {
  const server = net.createServer((socket) => {
    socket.on("error", () => {});
    behave(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

const ESCAPES = "\x1b]0;PWNED\x07\x1b[?25l\x1b[5;31mYOU ARE HACKED";
const hasControlCharacters = (text: string) => /[\x00-\x08\x0b-\x1f\x7f]/.test(text);

describe("clients against servers that never answer, or never stop", () => {
  it.concurrent("step 01 gives up on a silent server after 5 s, and says so", async () => {
    const server = await fakeTcpServer(() => {}); // accepts, reads, says nothing
    const client = await runClient("01-tcp-echo", ["--port", String(server.port), "hi"]);
    server.close();
    expect(client.code).toBe(1);
    expect(client.stderr).toMatch(/^error: no answer from 127\.0\.0\.1:\d+ for 5 s/);
  });

  it.concurrent("step 01 refuses an endless answer instead of keeping it all", async () => {
    const server = await fakeTcpServer((socket) => {
      const flood = setInterval(() => socket.write("x".repeat(64 * 1024)), 1);
      socket.on("close", () => clearInterval(flood));
    });
    const client = await runClient("01-tcp-echo", ["--port", String(server.port), "hi"]);
    server.close();
    expect(client.code).toBe(1);
    expect(client.stderr).toMatch(/^error: the answer from 127\.0\.0\.1:\d+ is over 4096 bytes/);
  });

  it.concurrent("step 01 says when the server closes without answering", async () => {
    const server = await fakeTcpServer((socket) => socket.end());
    const client = await runClient("01-tcp-echo", ["--port", String(server.port), "hi"]);
    server.close();
    expect(client.code).toBe(1);
    expect(client.stderr).toMatch(/closed the connection unanswered/);
  });

  it.concurrent("step 02 gives up on a silent server after 5 s, and says so", async () => {
    const server = await fakeTcpServer(() => {});
    const client = await runClient("02-tcp-squares", ["--port", String(server.port), "--bot"]);
    server.close();
    expect(client.code).toBe(1);
    expect(client.stderr).toMatch(/^error: no answer from 127\.0\.0\.1:\d+ for 5 s/);
  });

  it.concurrent("step 02 refuses an endless answer instead of keeping it all", async () => {
    const server = await fakeTcpServer((socket) => {
      const flood = setInterval(() => socket.write("STATE ".repeat(10_000)), 1);
      socket.on("close", () => clearInterval(flood));
    });
    const client = await runClient("02-tcp-squares", ["--port", String(server.port), "--bot"]);
    server.close();
    expect(client.code).toBe(1);
    expect(client.stderr).toMatch(/sent an answer over 65536 bytes/);
  });
});

describe("clients against servers that send terminal escape codes", () => {
  it.concurrent("step 01 prints the answer with its control characters made visible", async () => {
    const server = await fakeTcpServer((socket) => socket.end(ESCAPES));
    const client = await runClient("01-tcp-echo", ["--port", String(server.port), "hi"]);
    server.close();
    expect(hasControlCharacters(client.stdout.trimEnd())).toBe(false);
    expect(client.stdout).toContain("\\x1b]0;PWNED\\x07");
  });

  it.concurrent("step 03 prints a refusal with its control characters made visible", async () => {
    const server = await fakeTcpServer((socket) => socket.end(`ERROR ${ESCAPES}\n`));
    const client = await runClient("03-tcp-persistent", ["--port", String(server.port), "--bot"]);
    server.close();
    expect(client.code).toBe(1);
    expect(client.stderr).toContain("error: the server refused: \\x1b]0;PWNED\\x07");
    expect(hasControlCharacters(client.stderr.trimEnd())).toBe(false);
  });
});

/**
 * A UDP server for steps 05 to 07 written here, speaking the step's `protocol`: it welcomes
 * one player on its main port and sends a state every 50 ms from the port it gave them, the
 * `count`th written by `stateLine`. Counts what the client sends it.
 */
async function fakeBroadcastServer(
  protocol: typeof step05 | typeof step07,
  stateLine: (count: number) => string,
) {
  const main = dgram.createSocket("udp4");
  const own = dgram.createSocket("udp4");
  main.bind(0, "127.0.0.1");
  own.bind(0, "127.0.0.1");
  await Promise.all([once(main, "listening"), once(own, "listening")]);
  const ownPort = own.address().port;
  let client: dgram.RemoteInfo | undefined;
  const fromClient = { datagrams: 0 };
  let count = 0;
  main.on("message", (_datagram, from) => {
    client = from;
    const state = { ghost: "bob", players: [{ name: "bob", x: 1, y: 1 }] };
    const welcome = {
      type: "CONNECTED",
      port: ownPort,
      username: "bob",
      map: HOUSE_MAP,
      state,
    } as const;
    main.send(protocol.encodeServerMessage(welcome), from.port, from.address);
  });
  own.on("message", () => fromClient.datagrams++);
  const ticking = setInterval(() => {
    if (!client) return;
    own.send(stateLine(++count), client.port, client.address);
  }, 50);
  return {
    port: main.address().port,
    ownPort,
    fromClient,
    clientPort: () => client?.port,
    close() {
      clearInterval(ticking);
      main.close();
      own.close();
    },
  };
}

describe("UDP clients obey only their server's address and port", () => {
  it.concurrent(
    "step 05 ignores states from another address that uses the server's port",
    async () => {
      const bob = { name: "bob", x: 1, y: 1 };
      const server = await fakeBroadcastServer(step05, (tick) =>
        step05.encodeServerMessage({
          type: "STATE",
          state: { tick, ghost: "bob", players: [bob] },
        }),
      );
      // a stranger on another address, sending from the very port number the server gave the player
      const stranger = dgram.createSocket("udp4");
      stranger.bind(server.ownPort, "127.0.0.2");
      await once(stranger, "listening");
      const forging = setInterval(() => {
        const port = server.clientPort();
        const state = { tick: 999_999_999_999_999, ghost: null, players: [] };
        if (port)
          stranger.send(step05.encodeServerMessage({ type: "STATE", state }), port, "127.0.0.1");
        if (port) stranger.send(`ERROR ${ESCAPES}`, port, "127.0.0.1");
      }, 20);
      const client = await runClient("05-tick-broadcast", [
        ...["--port", String(server.port), "--name", "bob", "--bot", "--duration", "2"],
      ]);
      clearInterval(forging);
      stranger.close();
      server.close();
      expect(client.code).toBe(0);
      // had it believed the stranger's tick, it would have shown no state of the server's after it
      expect(summaryOf(client.stdout)!.states).toBeGreaterThan(20);
    },
  );

  it.concurrent("step 07 sends at most its --send-rate, whatever tick numbers arrive", async () => {
    // ticks that leap by a million each time: a client that takes its pace from them would flood
    const bob = { name: "bob", x: 1, y: 1, ack: 0, ackTick: 1 };
    const server = await fakeBroadcastServer(step07, (count) => {
      const state = { tick: count * 1_000_000, ghost: "bob", players: [bob] };
      return step07.encodeServerMessage({ type: "STATE", state });
    });
    const client = await runClient("07-client-prediction", [
      ...["--port", String(server.port), "--name", "bob", "--bot", "--duration", "2"],
    ]);
    server.close();
    expect(client.code).toBe(0);
    // 2 s at 20 frames a second, each frame repeating the unacknowledged change: about 40
    expect(server.fromClient.datagrams).toBeLessThan(60);
    expect(server.fromClient.datagrams).toBeGreaterThan(10);
  });
});

/**
 * A server for steps 08 on written here: the handshake on one socket (`welcome` writes its
 * welcome, given its port), then a state every 50 ms, the `count`th written by `stateLines` (one
 * datagram each). The first `lostWelcomes` CONNECTs with a cookie get 15 states instead of the
 * welcome, as if it were lost while the seat's states were not.
 */
async function fakeHandshakeServer(
  welcome: (port: number) => string,
  stateLines: (count: number) => string[],
  { lostWelcomes = 0 } = {},
) {
  const socket = dgram.createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  const port = socket.address().port;
  let client: dgram.RemoteInfo | undefined;
  let count = 0;
  const sendStates = (to: dgram.RemoteInfo) => {
    for (const line of stateLines(++count)) socket.send(line, to.port, to.address);
  };
  socket.on("message", (datagram, from) => {
    const connect = step08.parseConnect(datagram.toString("utf8"));
    if (!connect) return;
    if (!connect.cookie) {
      const challenge = { type: "CHALLENGE", cookie: "fake-cookie" } as const;
      return socket.send(step08.encodeServerMessage(challenge), from.port, from.address);
    }
    if (lostWelcomes-- > 0) {
      for (let i = 0; i < 15; i++) sendStates(from);
      return;
    }
    socket.send(welcome(port), from.port, from.address);
    client = from;
  });
  const ticking = setInterval(() => client && sendStates(client), 50);
  return {
    port,
    close() {
      clearInterval(ticking);
      socket.close();
    },
  };
}

/** Where bob stands in the fake servers' mansion: by the entrance, on a floor cell. */
const bobInMansion = { name: "bob", ...entranceOf(MANSION_MAP), ack: 0 };

/** Each handshake step's welcome, and its state of tick `tick` (bob, alone, standing still). */
const SPEAKERS = {
  "08-one-socket-handshake": {
    welcome: (port: number) => {
      const state = { ghost: "bob", players: [{ name: "bob", x: 1, y: 1 }] };
      return step08.encodeServerMessage({
        ...{ type: "CONNECTED", port, username: "bob", map: HOUSE_MAP, state },
      });
    },
    state: (tick: number) => {
      const players = [{ name: "bob", x: 1, y: 1, ack: 0, ackTick: 1 }];
      return step08.encodeServerMessage({ type: "STATE", state: { tick, ghost: "bob", players } });
    },
  },
  "09-lantern-interest": {
    welcome: (port: number) =>
      step09.encodeServerMessage({
        ...{ type: "CONNECTED", port, username: "bob", map: MANSION_MAP, mapName: "mansion" },
        state: { tick: 0, ghost: "bob", players: [bobInMansion] },
      }),
    state: (tick: number) =>
      step09.encodeServerMessage({
        type: "STATE",
        state: { tick, ghost: "bob", players: [bobInMansion] },
      }),
  },
  "10-delta-snapshots": {
    welcome: (port: number) =>
      step10.encodeServerMessage({
        ...{ type: "CONNECTED", port, username: "bob", map: MANSION_MAP, mapName: "mansion" },
        state: { tick: 0, ghost: "bob", players: [bobInMansion] },
      }),
    // a whole state each tick, as the server sends while the client holds none it still has
    state: (tick: number) =>
      step10.encodeServerMessage({
        type: "DELTA",
        delta: {
          tick,
          ghost: "bob",
          changes: [{ kind: "enter", id: 0, ...bobInMansion, ackTick: 1 }],
        },
      }),
  },
  "11-input-buffer": {
    welcome: (port: number) =>
      step11.encodeServerMessage({
        ...{ type: "CONNECTED", port, username: "bob", map: MANSION_MAP, mapName: "mansion" },
        state: { tick: 0, ghost: "bob", players: [bobInMansion] },
      }),
    // a whole state each tick, as in step 10; no input of bob's had arrived for it (early=-1)
    state: (tick: number) =>
      step11.encodeServerMessage({
        type: "DELTA",
        delta: { tick, ghost: "bob", changes: [{ kind: "enter", id: 0, ...bobInMansion }] },
        early: -1,
      }),
  },
  "12-lag-compensation": {
    welcome: (port: number) =>
      step12.encodeServerMessage({
        ...{ type: "CONNECTED", port, username: "bob", map: MANSION_MAP, mapName: "mansion" },
        state: { tick: 0, ghost: "bob", players: [bobInMansion] },
      }),
    // as in step 11: no verdict, since bob, the ghost, tried no tag
    state: (tick: number) =>
      step12.encodeServerMessage({
        type: "DELTA",
        delta: { tick, ghost: "bob", changes: [{ kind: "enter", id: 0, ...bobInMansion }] },
        early: -1,
      }),
  },
} as const;

describe("the clients of steps 08 on believe only plausible ticks, and join through loss", () => {
  for (const [folder, { welcome, state }] of Object.entries(SPEAKERS)) {
    const step = folder.slice(0, 2);
    it.concurrent(
      `step ${step} drops a tick that leaps ahead of the time, and plays on`,
      async () => {
        // the server's address and port are on the forged one: only its tick gives it away
        const server = await fakeHandshakeServer(welcome, (count) =>
          count === 10 ? [state(999_999_999_999_999), state(count)] : [state(count)],
        );
        const client = await runClient(folder, [
          ...["--port", String(server.port), "--name", "bob", "--bot", "--duration", "2"],
        ]);
        server.close();
        expect(client.code).toBe(0);
        const summary = summaryOf(client.stdout) as { states: number; implausibleTicks?: number };
        // believed, the forged tick would have made every state after the 10th look old
        expect(summary.states).toBeGreaterThan(20);
        expect(summary.implausibleTicks).toBe(1);
      },
    );

    it.concurrent(`step ${step} does not count late states as answers while it joins`, async () => {
      const server = await fakeHandshakeServer(welcome, (count) => [state(count)], {
        lostWelcomes: 3,
      });
      const client = await runClient(folder, [
        ...["--port", String(server.port), "--name", "bob", "--bot", "--duration", "1"],
      ]);
      server.close();
      // 45 states came while it waited for its welcome: each used to end one of its ten tries
      expect(client.stderr).toBe("");
      expect(client.code).toBe(0);
    });
  }
});
