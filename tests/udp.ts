/**
 * Real UDP sockets for the tests of steps 04 on, and the tests every UDP step
 * must pass whatever else it changes: the dedicated port, the pool, time-outs,
 * strangers and floods.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type RunningServer, runBot as startBot, startServer } from "../scripts/harness/launch.ts";
import { stepFrom } from "../lib/game.ts";
import { FUTURE_TICKS } from "../lib/input-buffer.ts";
import { seededRandom } from "../lib/random.ts";
import { kernelDrops } from "../lib/serve.ts";
import type { GameState } from "../lib/state.ts";
import type * as step04 from "../steps/04-udp-dedicated-ports/protocol.ts";
import type * as step05 from "../steps/05-tick-broadcast/protocol.ts";
import type * as step06 from "../steps/06-input-changes/protocol.ts";
import type * as step07 from "../steps/07-client-prediction/protocol.ts";
import type * as step08 from "../steps/08-one-socket-handshake/protocol.ts";
import type * as step09 from "../steps/09-lantern-interest/protocol.ts";
import type * as step10 from "../steps/10-delta-snapshots/protocol.ts";
import type * as step11 from "../steps/11-input-buffer/protocol.ts";
import type * as step12 from "../steps/12-lag-compensation/protocol.ts";
import { freeDirection, portPool, runBot, until } from "./helpers.ts";

/** What the UDP servers send, each in the words of its step's protocol.ts. */
export type ServerMessage =
  | step04.ServerMessage
  | step05.ServerMessage
  | step06.ServerMessage
  | step07.ServerMessage
  | step08.ServerMessage
  | step09.ServerMessage
  | step10.ServerMessage
  | step11.ServerMessage
  | step12.ServerMessage;

/** What a test peer needs of its step's protocol.ts: to read what the server sends. */
export interface PeerProtocol<Message extends ServerMessage = ServerMessage> {
  parseServerMessage(line: string): { ok: true; message: Message } | { ok: false; reason: string };
}

/** A step's protocol.ts, by its folder, for the tests every UDP step shares. */
const protocolOf = (folder: string): Promise<PeerProtocol> =>
  import(`../steps/${folder}/protocol.ts`);

export interface Datagram<Message extends ServerMessage = ServerMessage> {
  message: Message;
  port: number;
  /** its size on the wire */
  bytes: number;
}

/**
 * A UDP socket that keeps what arrives, read with the step's `protocol`, so a test can wait
 * for the datagram it expects. It binds to 127.0.0.1, or to another loopback address (Linux
 * routes all of 127/8 to this machine) to play a player on another machine. It sends text as
 * the test writes it: what the server does with those very bytes is what is tested.
 */
export async function udpPeer<Message extends ServerMessage>(
  protocol: PeerProtocol<Message>,
  address = "127.0.0.1",
) {
  const socket = dgram.createSocket("udp4");
  const inbox: Datagram<Message>[] = [];
  const waiters: (() => void)[] = [];
  socket.on("message", (bytes, from) => {
    const parsed = protocol.parseServerMessage(bytes.toString("utf8"));
    if (!parsed.ok) throw new Error(`the server sent an unparsable datagram: ${parsed.reason}`);
    inbox.push({ message: parsed.message, port: from.port, bytes: bytes.length });
    waiters.splice(0).forEach((wake) => wake());
  });
  socket.bind(0, address);
  await once(socket, "listening");
  return {
    socket,
    port: socket.address().port,
    send(message: string, port: number) {
      socket.send(message, port, "127.0.0.1");
    },
    /** the first datagram (kept or still to come) that `accept` takes, or undefined after `timeoutMs` */
    async next(
      accept: (datagram: Datagram<Message>) => boolean = () => true,
      timeoutMs = 2000,
    ): Promise<Datagram<Message> | undefined> {
      const deadline = performance.now() + timeoutMs;
      for (;;) {
        const index = inbox.findIndex(accept);
        if (index !== -1) return inbox.splice(index, 1)[0];
        const left = deadline - performance.now();
        if (left <= 0) return undefined;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
    },
    forget() {
      inbox.length = 0;
    },
    close: () => socket.close(),
  };
}
export type Peer<Message extends ServerMessage = ServerMessage> = Awaited<
  ReturnType<typeof udpPeer<Message>>
>;

const isType = (type: ServerMessage["type"]) => (datagram: Datagram) =>
  datagram.message.type === type;

/** Says CONNECTED on the main port; returns the dedicated port, or the ERROR reason. */
export async function join(
  peer: Peer,
  mainPort: number,
  username: string,
): Promise<{ port?: number; error?: string; welcome?: ServerMessage }> {
  peer.send(`CONNECTED ${username}`, mainPort);
  const answer = await peer.next((d) => d.port === mainPort);
  if (!answer) throw new Error(`no answer to CONNECTED ${username}`);
  if (answer.message.type === "ERROR") return { error: answer.message.reason };
  if (answer.message.type !== "CONNECTED") throw new Error(`unexpected ${answer.message.type}`);
  return { port: answer.message.port, welcome: answer.message };
}

/**
 * The next state from a dedicated port. Step 04 answers GETSTATE; later steps
 * broadcast every tick and ignore it, so asking works for every UDP step.
 */
export async function nextState(peer: Peer, port: number, username: string): Promise<GameState> {
  peer.forget();
  peer.send(`GETSTATE ${username}`, port);
  const datagram = await peer.next((d) => d.port === port && d.message.type === "STATE");
  if (datagram?.message.type !== "STATE") throw new Error(`no state from port ${port}`);
  return datagram.message.state;
}

export const namesIn = (state: GameState) => state.players.map((player) => player.name).sort();

/** The next message of `type` this peer receives from now on: what came before is forgotten. */
export async function nextOfType<Message extends ServerMessage, T extends Message["type"]>(
  peer: Peer<Message>,
  type: T,
): Promise<Extract<Message, { type: T }>> {
  peer.forget();
  const datagram = await peer.next(isType(type));
  if (!datagram) throw new Error(`no ${type}`);
  return datagram.message as Extract<Message, { type: T }>;
}

/** What the real clients of steps 08 on pad a CONNECT to (their CONNECT_BYTES): a CHALLENGE is no bigger. */
export const CONNECT_BYTES = 100;

/**
 * Steps 08 on: the cookie handshake on the one server port, as the real client does it.
 * Returns the answer to the CONNECT with the cookie (the welcome, or the server's ERROR), and
 * the cookie, which a seated player's CONNECT again and DISCONNECT must carry.
 */
export async function handshake<Message extends ServerMessage>(
  peer: Peer<Message>,
  port: number,
  username: string,
): Promise<Datagram<Message> & { cookie: string }> {
  peer.forget();
  peer.send(`CONNECT ${username}`.padEnd(CONNECT_BYTES), port);
  const challenge = await peer.next(isType("CHALLENGE"));
  if (challenge?.message.type !== "CHALLENGE") throw new Error(`no CHALLENGE for ${username}`);
  peer.send(`CONNECT ${username} ${challenge.message.cookie}`, port);
  const answer = await peer.next((d) => isType("CONNECTED")(d) || isType("ERROR")(d));
  if (!answer) throw new Error(`no answer to the cookie of ${username}`);
  return { ...answer, cookie: challenge.message.cookie };
}

/** The behaviour every UDP step keeps: run inside a describe() of the step's own test file. */
export function dedicatedPortTests(folder: string): void {
  let protocol: PeerProtocol;
  let server: RunningServer;
  let alice: Peer;
  let alicePort: number;
  let keepAlive: NodeJS.Timeout;
  beforeAll(async () => {
    protocol = await protocolOf(folder);
    // a pool of 3 ports and a short silence limit, so the tests can reach both ends
    server = await startServer(folder, ["--ports", portPool(3), "--timeout", "1"]);
    alice = await udpPeer(protocol);
    // alice keeps talking, as a real client does, so that only the players a test leaves silent time out
    keepAlive = setInterval(() => alicePort && alice.send("GETSTATE alice", alicePort), 200);
  });
  afterAll(async () => {
    clearInterval(keepAlive);
    alice.close();
    await server.stop();
  });

  it("welcomes a player on the main port with a dedicated port of their own, which then serves them", async () => {
    const { port, welcome } = await join(alice, server.port, "alice");
    expect(port).toBeGreaterThan(0);
    expect(port).not.toBe(server.port);
    expect(welcome).toMatchObject({ type: "CONNECTED", username: "alice" });
    alicePort = port!;
    expect(namesIn(await nextState(alice, alicePort, "alice"))).toEqual(["alice"]);
  });

  it("answers a repeated CONNECTED (its answer was lost) with the same port, and no second square", async () => {
    expect((await join(alice, server.port, "alice")).port).toBe(alicePort);
    expect(namesIn(await nextState(alice, alicePort, "alice"))).toEqual(["alice"]);
    const impostor = await udpPeer(protocol);
    expect((await join(impostor, server.port, "alice")).error).toBe("username alice is taken");
    impostor.close();
  });

  it("never applies a datagram sent to a player's port from anyone else", async () => {
    const before = (await nextState(alice, alicePort, "alice")).players[0]!;
    const stranger = await udpPeer(protocol);
    for (const input of ["UP", "DOWN", "LEFT", "RIGHT", "UP", "LEFT"] as const)
      stranger.send(`INPUT alice ${input}`, alicePort);
    stranger.send("DISCONNECT alice", alicePort);
    expect(await stranger.next(() => true, 300)).toBeUndefined(); // not even answered
    stranger.close();
    const after = await nextState(alice, alicePort, "alice");
    expect(after.players).toEqual([before]);
  });

  it("answers 'server full' when the pool is empty, and nobody playing notices", async () => {
    const peers = await Promise.all([udpPeer(protocol), udpPeer(protocol), udpPeer(protocol)]);
    expect((await join(peers[0]!, server.port, "bob")).port).toBeGreaterThan(0);
    expect((await join(peers[1]!, server.port, "carol")).port).toBeGreaterThan(0);
    expect(await join(peers[2]!, server.port, "dave")).toEqual({ error: "server full" });
    expect(namesIn(await nextState(alice, alicePort, "alice"))).toEqual(["alice", "bob", "carol"]);
    // bob and carol go silent: the time-out (1 s here) removes them and gives their ports back
    await new Promise((resolve) => setTimeout(resolve, 1600));
    peers.forEach((peer) => peer.close());
  });

  it("frees a silent player's port: after the time-out, a newcomer gets in", async () => {
    const newcomer = await udpPeer(protocol);
    expect((await join(newcomer, server.port, "erin")).port).toBeGreaterThan(0);
    newcomer.send("DISCONNECT erin", (await join(newcomer, server.port, "erin")).port!);
    expect(await newcomer.next((d) => d.message.type === "DISCONNECTED")).toBeDefined();
    newcomer.close();
    expect(await server.line(/bob timed out/)).toBeDefined();
  });

  it("gives every port back: 1000 connect/disconnect cycles through a pool of 3 all succeed", async () => {
    const peer = await udpPeer(protocol);
    for (let cycle = 0; cycle < 1000; cycle++) {
      const { port, error } = await join(peer, server.port, `cycler${cycle}`);
      expect(error).toBeUndefined();
      peer.send(`DISCONNECT cycler${cycle}`, port!);
      expect(await peer.next((d) => d.port === port && isType("DISCONNECTED")(d))).toBeDefined();
    }
    peer.close();
    // all three ports are free again: three players fit, a fourth does not
    const peers = await Promise.all([udpPeer(protocol), udpPeer(protocol), udpPeer(protocol)]);
    alice.send("DISCONNECT alice", alicePort);
    await alice.next(isType("DISCONNECTED"));
    const joined = await Promise.all(peers.map((peer, i) => join(peer, server.port, `full${i}`)));
    expect(joined.every(({ port }) => port! > 0)).toBe(true);
    expect(await join(alice, server.port, "alice")).toEqual({ error: "server full" });
    peers.forEach((peer) => peer.close());
    await new Promise((resolve) => setTimeout(resolve, 1600)); // let them time out
  });

  it("survives a flood of random and malformed datagrams, and keeps serving a real player", async () => {
    const { port } = await join(alice, server.port, "alice");
    alicePort = port!;
    const flooder = await udpPeer(protocol);
    const random = seededRandom(42);
    const junk = [
      "",
      "CONNECTED",
      "INPUT alice",
      "STATE tick=1 END",
      "x".repeat(5000),
      "CONNECTED " + "a".repeat(40),
      "\u0000\u00ff",
    ];
    for (let i = 0; i < 3000; i++) {
      const bytes =
        i % 2
          ? Buffer.from(junk[i % junk.length]!)
          : Buffer.from(
              Array.from({ length: Math.floor(random() * 1500) }, () => Math.floor(random() * 256)),
            );
      flooder.socket.send(bytes, i % 3 ? server.port : alicePort, "127.0.0.1");
      // let the server breathe, as a real network would
      if (i % 100 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    flooder.close();
    expect(server.process.exitCode).toBeNull();
    expect(namesIn(await nextState(alice, alicePort, "alice"))).toEqual(["alice"]);
  });

  it("runs the real client as a bot that plays through 20% loss both ways", async () => {
    const lossy = await startServer(folder, ["--ports", portPool(3), "--loss", "20"]);
    const bot = await runBot(folder, lossy.port, "lossy", 3, ["--loss", "20"]);
    await lossy.stop();
    expect(bot.code).toBe(0);
    expect(bot.summary).toMatchObject({ step: folder.slice(0, 2), connected: true, players: 1 });
    expect(bot.summary!.moves).toBeGreaterThan(2); // cells its square moved, as the states showed
    // step 04 waits 0.5 s for each lost answer (a third of the round trips): a few states, not 60
    expect(bot.summary!.states).toBeGreaterThan(2);
  });

  it("has a client that exits 1 and says so when nobody answers", async () => {
    const bot = await runBot(folder, 1, "lonely", 30);
    expect(bot.code).toBe(1);
    expect(bot.summary).toMatchObject({ connected: false });
    expect(bot.stderr).toMatch(/no answer from 127.0.0.1:1/);
  });
}

/** What every UDP server does with strangers on its main port: run inside a describe() of the step's test file. */
/**
 * Sends `count` datagrams of 100 bytes to `server`'s port from `address` while the server is
 * stopped: a stopped server is a busy one, reading nothing, and the system queues them or drops
 * them. `whileStopped` looks before the server goes on.
 */
async function floodWhileStopped(
  server: RunningServer,
  protocol: PeerProtocol,
  address: string,
  count: number,
  whileStopped = () => {},
): Promise<void> {
  server.process.kill("SIGSTOP");
  const stranger = await udpPeer(protocol, address);
  try {
    for (let i = 0; i < count; i++) stranger.send("x".repeat(100), server.port);
    await new Promise((resolve) => setTimeout(resolve, 100));
    whileStopped();
  } finally {
    server.process.kill("SIGCONT");
    stranger.close();
  }
}

export function mainPortStrangerTests(folder: string): void {
  let protocol: PeerProtocol;
  let server: RunningServer;
  beforeAll(async () => {
    protocol = await protocolOf(folder);
    server = await startServer(folder, ["--ports", portPool(6), "--per-address", "2"]);
  });
  afterAll(() => server.stop());

  it("gives one address and port one seat, and one address --per-address seats", async () => {
    const [first, second, third] = await Promise.all([
      udpPeer(protocol),
      udpPeer(protocol),
      udpPeer(protocol),
    ]);
    expect((await join(first!, server.port, "anna")).port).toBeGreaterThan(0);
    // the same socket again, under another name: one socket is one player
    expect(await join(first!, server.port, "anna2")).toEqual({
      error: "this address and port already play",
    });
    expect((await join(second!, server.port, "bert")).port).toBeGreaterThan(0);
    expect(await join(third!, server.port, "cleo")).toEqual({
      error: "at most 2 players per address",
    });
    // another machine (another loopback address) still gets in
    const elsewhere = await udpPeer(protocol, "127.0.0.2");
    expect((await join(elsewhere, server.port, "dora")).port).toBeGreaterThan(0);
    for (const peer of [first!, second!, third!, elsewhere]) peer.close();
  });

  it("answers the main port with at most 3 times the bytes it received, but for the welcome", async () => {
    const stranger = await udpPeer(protocol);
    const random = seededRandom(7);
    const requests = [
      "x",
      "HELLO",
      "CONNECTED",
      "GETSTATE alice",
      "INPUT alice SIDEWAYS",
      "CONNECTED bad!name",
      ...Array.from({ length: 50 }, () =>
        Array.from({ length: 1 + Math.floor(random() * 40) }, () =>
          String.fromCharCode(32 + Math.floor(random() * 95)),
        ).join(""),
      ),
    ];
    const answered: string[] = [];
    for (const request of requests) {
      stranger.socket.send(request, server.port, "127.0.0.1");
      const answer = await stranger.next(() => true, 100);
      if (!answer) continue;
      answered.push(request);
      if (answer.message.type === "CONNECTED") continue; // the welcome: step 08 makes it safe
      expect(answer.bytes).toBeLessThanOrEqual(3 * Buffer.byteLength(request));
    }
    expect(answered).toContain("CONNECTED"); // ERROR username is empty: 23 bytes for 9
    expect(answered).not.toContain("x"); // ERROR unknown command x: 23 bytes for 1
    stranger.close();
  });

  it("says in its log how many datagrams the system dropped at the main port, its queue full", async () => {
    // 400 overflow the default queue (it holds 256)
    await floodWhileStopped(server, protocol, "127.0.4.8", 400);
    // the server reports its drops every 5 s
    expect(await server.line(/[1-9]\d* by the system, its queue full/, 7000)).toBeDefined();
  });
}

/** Steps 06 on: a sequence number far ahead of the last one applied is refused and changes nothing. */
export function sequenceWindowTest(folder: string): void {
  it("refuses a sequence number far ahead of the last applied, which then changes nothing", async () => {
    const server = await startServer(folder, ["--ports", portPool(2)]);
    const alice = await udpPeer(await protocolOf(folder));
    const { port, welcome } = await join(alice, server.port, "alice");
    if (welcome?.type !== "CONNECTED") throw new Error("alice was refused");
    // accepted, this one forged datagram would make every later input of alice's look old
    alice.send("INPUT alice NONE 999999999999999", port!);
    const refusal = await alice.next((d) => d.message.type === "ERROR");
    expect(refusal?.message).toEqual({
      type: "ERROR",
      reason: "sequence number 999999999999999 is too far past 0",
    });
    const start = welcome.state.players.find(({ name }) => name === "alice")!;
    const direction = freeDirection(welcome.map, welcome.state, "alice");
    alice.send(`INPUT alice ${direction} 1`, port!);
    const moved = await alice.next((d) => {
      if (d.message.type !== "STATE") return false;
      const now = d.message.state.players.find(({ name }) => name === "alice")!;
      return now.x !== start.x || now.y !== start.y;
    });
    expect(moved).toBeDefined();
    alice.close();
    await server.stop();
  });
}

/** The ack of `name`'s own square in a STATE (08, 09) or a whole DELTA (10); undefined in anything else. */
function ownAck(message: ServerMessage, name: string): number | undefined {
  if (message.type === "STATE") {
    const own = message.state.players.find((s) => s.name === name);
    return (own as { ack?: number } | undefined)?.ack;
  }
  if (message.type !== "DELTA" || message.delta.base !== undefined) return undefined;
  const own = message.delta.changes.find((c) => c.kind === "enter" && c.name === name);
  return own?.kind === "enter" ? own.ack : undefined;
}

/** Each datagram a peer receives from now on for `ms`, but the tick's states: the answers. */
async function answersWithin(peer: Peer, ms: number): Promise<ServerMessage[]> {
  const answers: ServerMessage[] = [];
  const deadline = performance.now() + ms;
  for (;;) {
    const left = deadline - performance.now();
    const datagram =
      left > 0 && (await peer.next((d) => !["STATE", "DELTA"].includes(d.message.type), left));
    if (!datagram) return answers;
    answers.push(datagram.message);
  }
}

/** The squares of a whole DELTA (one written against nothing): our peers never say they hold a state. */
function squaresIn(message: ServerMessage): GameState["players"] {
  if (message.type !== "DELTA" || message.delta.base !== undefined) return [];
  return message.delta.changes.flatMap((c) => (c.kind === "enter" ? [c] : []));
}

/**
 * Steps 08 on: what a stranger who writes a seated player's address and port on datagrams can
 * no longer do (issue 21), and the cost of joining. The forger's datagrams are sent from the
 * player's own socket here: to the server they are the same bytes from the same address.
 * `inputs`: how the step's INPUT names an input, by a sequence number (08 to 10) or by the tick
 * it is meant for (11 on), after the tick the player's screen showed (12 on).
 */
export function forgerTests(
  folder: string,
  inputs: "numbered" | "ticked" | "ticked and seen" = "numbered",
): void {
  let protocol: PeerProtocol;
  let server: RunningServer;
  beforeAll(async () => {
    protocol = await protocolOf(folder);
    server = await startServer(folder);
  });
  afterAll(() => server.stop());

  /** A seated player on an address of its own (so that the join rates of tests do not mix). */
  async function seated(name: string, address: string) {
    const peer = await udpPeer(protocol, address);
    const { message, cookie } = await handshake(peer, server.port, name);
    if (message.type !== "CONNECTED") throw new Error(`${name} was refused`);
    peer.forget();
    return { peer, cookie, welcome: message };
  }

  it("answers a CONNECT again only with the seat's cookie, and a forged one costs the player nothing", async () => {
    const { peer: alice, cookie } = await seated("alice", "127.0.4.1");
    // 100 forged CONNECTs without the cookie: step 08 answered each with the 905-byte welcome,
    // and they emptied alice's budget, so her own CONNECT after them went unanswered
    for (let i = 0; i < 100; i++) alice.send(`CONNECT alice`.padEnd(CONNECT_BYTES), server.port);
    expect(await answersWithin(alice, 300)).toEqual([]);
    alice.send(`CONNECT alice ${cookie}`, server.port);
    expect((await answersWithin(alice, 300)).map(({ type }) => type)).toEqual(["CONNECTED"]);
    alice.close();
  });

  it("obeys no DISCONNECT without the seat's cookie: a blind spray kicks nobody", async () => {
    const { peer: bob, cookie } = await seated("bob", "127.0.4.2");
    bob.send("DISCONNECT bob", server.port);
    bob.send(`DISCONNECT bob ${"A".repeat(22)}`, server.port);
    expect((await answersWithin(bob, 300)).map(({ type }) => type)).not.toContain("DISCONNECTED");
    bob.send(`DISCONNECT bob ${cookie}`, server.port);
    expect((await answersWithin(bob, 300)).map(({ type }) => type)).toContain("DISCONNECTED");
    bob.close();
  });

  if (inputs === "numbered")
    it("takes no sequence number further ahead than the client could have counted since its last", async () => {
      const { peer: carol } = await seated("carol", "127.0.4.3");
      // accepted, this jump of 100 would make every real input of carol's after it look old
      carol.send("INPUT carol NONE 100", server.port);
      carol.send("INPUT carol NONE 1", server.port);
      const acked = await carol.next((d) => (ownAck(d.message, "carol") ?? 0) > 0);
      expect(acked && ownAck(acked.message, "carol")).toBe(1);
      carol.close();
    });
  else
    it("keeps no input for a tick beyond a client's clock's reach: the player's own still counts", async () => {
      const { peer: carol, welcome } = await seated("carol", "127.0.4.3");
      /** The first whole DELTA of tick `tick` or later: its tick, its squares, and carol's. */
      const stateFrom = async (tick: number) => {
        const datagram = await carol.next(
          (d) => d.message.type === "DELTA" && d.message.delta.tick >= tick,
          5000,
        );
        if (datagram?.message.type !== "DELTA") throw new Error(`no DELTA from tick ${tick} on`);
        const players = squaresIn(datagram.message);
        const own = players.find(({ name }) => name === "carol")!;
        return { tick: datagram.message.delta.tick, players, carol: { x: own.x, y: own.y } };
      };
      const now = await stateFrom(0);
      // 20 ticks (1 s) past the furthest a client's clock may run ahead of the server's tick:
      // kept, this forged input would be the first word for its tick, and carol's own would be
      // refused as a change (so a forger could claim each of her ticks long before she sends it)
      const target = now.tick + FUTURE_TICKS + 20;
      // <held> 0 (and step 12's <seen> 0): carol holds no state yet, and has seen none
      const held = inputs === "ticked" ? "0" : "0 0";
      carol.send(`INPUT carol ${held} ${target} NONE`, server.port);
      // carol's own input for that tick, sent a few ticks before it, as her clock would
      const before = await stateFrom(target - 5);
      const direction = freeDirection(
        welcome.map,
        { ghost: null, players: before.players },
        "carol",
      );
      carol.send(`INPUT carol ${held} ${target} ${direction} NONE`, server.port);
      expect((await stateFrom(target)).carol).toEqual(stepFrom(before.carol, direction));
      carol.close();
    });

  it("does not seat a cookie twice: a seat left is not taken again with the same cookie", async () => {
    const { peer: dave, cookie } = await seated("dave", "127.0.4.4");
    // both goodbyes, so that the server before issue 21 (which read the first) lets dave go too
    dave.send("DISCONNECT dave", server.port);
    dave.send(`DISCONNECT dave ${cookie}`, server.port);
    expect(await dave.next((d) => d.message.type === "DISCONNECTED")).toBeDefined();
    dave.forget();
    dave.send(`CONNECT dave ${cookie}`.padEnd(CONNECT_BYTES), server.port);
    const answer = await dave.next((d) => !["STATE", "DELTA"].includes(d.message.type), 500);
    expect(answer?.message.type).toBe("CHALLENGE");
    dave.close();
  });

  it("lets one address join only so often, however many sockets it churns", async () => {
    // 60 sockets of one address ask at once: without a rate per address, each gets a CHALLENGE,
    // and each seat left could be taken again at once, as fast as the server reads
    const peers = await Promise.all(
      Array.from({ length: 60 }, () => udpPeer(protocol, "127.0.4.5")),
    );
    const start = performance.now();
    peers.forEach((peer, i) => peer.send(`CONNECT churn${i}`.padEnd(CONNECT_BYTES), server.port));
    const challenges = await Promise.all(
      peers.map((peer) => peer.next((d) => d.message.type === "CHALLENGE", 500)),
    );
    const seconds = (performance.now() - start) / 1000;
    const answered = challenges.filter((challenge) => challenge !== undefined).length;
    // --per-address 8: 32 CONNECTs at once, then 8 a second
    expect(answered).toBeLessThanOrEqual(32 + Math.ceil(8 * seconds));
    expect(answered).toBeLessThan(60);
    for (const peer of peers) peer.close();
  });

  it("queues a burst of 400 datagrams while busy, rather than let the system drop them", async () => {
    // 400 overflow the default queue (it holds 256), and fit in the one asked for even where the
    // system caps it at its default net.core.rmem_max (twice 212,992 bytes: 512 datagrams)
    await floodWhileStopped(server, protocol, "127.0.4.6", 400, () =>
      expect(kernelDrops({ address: "127.0.0.1", port: server.port })).toBe(0),
    );
  });

  it("says in its log how many datagrams the system dropped when even that queue was full", async () => {
    // 6,000 of 100 bytes: more than the 3.3 MB queue holds (832 bytes of it each)
    await floodWhileStopped(server, protocol, "127.0.4.7", 6000);
    // the server reports its drops every 5 s
    expect(await server.line(/[1-9]\d* by the system, its queue full/, 7000)).toBeDefined();
  });
}

/** Steps 08 on: the real client, run inside a describe() of the step's test file. */
export function rejoinTest(folder: string): void {
  it("joins again by itself when its server restarts", async () => {
    const first = await startServer(folder);
    const bot = startBot(folder, { port: first.port, name: "phoenix", seconds: 30 });
    expect(await first.line(/phoenix joined/, 5000)).toBeDefined();
    // the server logs the join as it sends the welcome: the client plays once it has it
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await first.stop();
    // the same port, a new server: it knows nobody, and its cookies are made with a new key
    const second = await startServer(folder, ["--port", String(first.port)]);
    // the client notices after 5 s without a new state, and joins again
    expect(await second.line(/phoenix joined/, 15_000)).toBeDefined();
    bot.process.kill("SIGTERM"); // as Ctrl-C: the bot says goodbye and exits 0
    const { code, error } = await bot.result;
    await second.stop();
    expect(error).toBeUndefined();
    expect(code).toBe(0);
  });
}

/**
 * A home router's NAT, written here: it relays a client's datagrams to `serverPort` from a port
 * of its own, and the answers back; rebind() moves it to a new port, as NATs do when a mapping
 * times out. The server then hears the client from an address and port it does not know.
 */
async function fakeNat(serverPort: number) {
  const inside = dgram.createSocket("udp4");
  inside.bind(0, "127.0.0.1");
  await once(inside, "listening");
  let client: dgram.RemoteInfo | undefined;
  let outside: dgram.Socket | undefined;
  const open = async () => {
    const socket = dgram.createSocket("udp4");
    socket.on("error", () => {}); // the server's ICMP errors: a NAT passes them on to nobody
    socket.on(
      "message",
      (datagram) => client && inside.send(datagram, client.port, client.address),
    );
    socket.bind(0, "127.0.0.1");
    await once(socket, "listening");
    outside?.close();
    outside = socket;
  };
  await open();
  inside.on("message", (datagram, from) => {
    client = from;
    outside?.send(datagram, serverPort, "127.0.0.1");
  });
  return {
    port: inside.address().port,
    rebind: open,
    close() {
      inside.close();
      outside?.close();
    },
  };
}

/** Steps 08 on: the real client behind a NAT that rebinds, run inside a describe() of the step's test file. */
export function natRebindingTest(folder: string): void {
  it("joins again by itself when a NAT gives it another port", async () => {
    const server = await startServer(folder);
    const nat = await fakeNat(server.port);
    const bot = startBot(folder, { port: nat.port, name: "rebound", seconds: 30 });
    expect(await server.line(/rebound joined/, 5000)).toBeDefined();
    await new Promise((resolve) => setTimeout(resolve, 1000)); // the welcome reaches the client
    await nat.rebind();
    // the old seat is freed after 5 s of silence (--timeout), and the client joins from the new port
    expect(await server.line(/rebound timed out/, 10_000)).toBeDefined();
    const before = server.output.length;
    const rejoined = () => server.output.slice(before).some((line) => /rebound joined/.test(line));
    await until(rejoined, 15_000);
    expect(rejoined()).toBe(true);
    bot.process.kill("SIGTERM");
    const { code, error } = await bot.result;
    nat.close();
    await server.stop();
    expect(error).toBeUndefined();
    expect(code).toBe(0);
  });
}
