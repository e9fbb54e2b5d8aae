/** Step 03 (steps/03-tcp-persistent): one persistent TCP connection per player, messages framed as lines. */
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../scripts/harness/launch.ts";
import { type ServerMessage, expectServerMessage } from "../steps/03-tcp-persistent/protocol.ts";
import { BAD_MESSAGES, connectLines, freeDirection, runBot, startServer } from "./helpers.ts";

const STEP = "03-tcp-persistent";
type Connection = Awaited<ReturnType<typeof connectLines>>;

describe("step 03: one persistent TCP connection per player", () => {
  let server: RunningServer;
  let alice: Connection;
  let bob: Connection;
  const ask = async (connection: Connection, line: string): Promise<ServerMessage> => {
    connection.send(`${line}\n`);
    return expectServerMessage((await connection.next())!);
  };
  const namesSeenBy = async (connection: Connection, name: string) => {
    const answer = await ask(connection, `GETSTATE ${name}`);
    return answer.type === "STATE" ? answer.state.players.map((player) => player.name).sort() : [];
  };

  beforeAll(async () => {
    server = await startServer(STEP);
    alice = await connectLines(server.port);
    bob = await connectLines(server.port);
  });
  afterAll(async () => {
    alice.close();
    bob.close();
    await server.stop();
  });

  it("reassembles a message split across reads, and separates messages merged in one read", async () => {
    alice.send("CONNECTED al");
    await sleep(50); // the server has surely read the first half on its own by now
    alice.send("ice\nGETSTATE alice\nGETS");
    await sleep(50);
    alice.send("TATE alice\n");
    expect(expectServerMessage((await alice.next())!)).toMatchObject({
      type: "CONNECTED",
      username: "alice",
    });
    expect(expectServerMessage((await alice.next())!)).toMatchObject({ type: "STATE" });
    expect(expectServerMessage((await alice.next())!)).toMatchObject({ type: "STATE" });
  });

  it("lets two players see each other move over their own connections", async () => {
    const welcome = await ask(bob, "CONNECTED bob");
    if (welcome.type !== "CONNECTED") throw new Error("bob was refused");
    const before = welcome.state.players.find((player) => player.name === "alice")!;
    await ask(alice, `INPUT alice ${freeDirection(welcome.map, welcome.state, "alice")}`);
    const seen = await ask(bob, "GETSTATE bob");
    const after =
      seen.type === "STATE"
        ? seen.state.players.find((player) => player.name === "alice")!
        : before;
    expect(Math.abs(after.x - before.x) + Math.abs(after.y - before.y)).toBe(1);
  });

  it("does not let a connection speak for another player", async () => {
    expect(await ask(bob, "INPUT alice UP")).toEqual({
      type: "ERROR",
      reason: "this connection plays bob",
    });
  });

  it("does not let a connection act before it has connected, nor connect twice", async () => {
    const stranger = await connectLines(server.port);
    expect(await ask(stranger, "DISCONNECT alice")).toEqual({
      type: "ERROR",
      reason: "say CONNECTED <username> first",
    });
    stranger.close();
    expect(await ask(bob, "CONNECTED bobby")).toEqual({
      type: "ERROR",
      reason: "this connection plays bob",
    });
    expect(await namesSeenBy(bob, "bob")).toEqual(["alice", "bob"]);
  });

  it.each(BAD_MESSAGES.filter(([message]) => !message.startsWith("INPUT ghostly")))(
    "answers %j with an ERROR on a fresh connection and keeps serving",
    async (message, reason) => {
      const stranger = await connectLines(server.port);
      const answer = await ask(stranger, message);
      stranger.close();
      expect(answer.type).toBe("ERROR");
      if (answer.type === "ERROR") expect(answer.reason).toMatch(reason);
      expect(await namesSeenBy(bob, "bob")).toEqual(["alice", "bob"]);
    },
  );

  it("closes only the connection that sends a line over 1024 bytes", async () => {
    const stranger = await connectLines(server.port);
    stranger.send("x".repeat(3000));
    expect(await stranger.next()).toBe("ERROR line longer than 1024 bytes");
    expect(await stranger.next()).toBeUndefined(); // closed by the server
    expect(await namesSeenBy(bob, "bob")).toEqual(["alice", "bob"]);
  });

  it("removes a player whose connection closes without a goodbye", async () => {
    alice.close();
    await sleep(100);
    expect(await namesSeenBy(bob, "bob")).toEqual(["bob"]);
  });

  it("removes a player who says goodbye, and frees the name for a new connection", async () => {
    expect(await ask(bob, "DISCONNECT bob")).toEqual({ type: "DISCONNECTED", username: "bob" });
    const again = await connectLines(server.port);
    expect(await ask(again, "CONNECTED bob")).toMatchObject({ type: "CONNECTED", username: "bob" });
    again.close();
  });

  it("runs the real client as a bot, which connects, moves and sees the other players", async () => {
    const [first, second] = await Promise.all([
      runBot(STEP, server.port, "bot1", 1.5),
      runBot(STEP, server.port, "bot2", 1.5),
    ]);
    for (const bot of [first, second]) {
      expect(bot.code).toBe(0);
      expect(bot.summary).toMatchObject({ step: "03", connected: true, players: 2 });
      expect(bot.summary!.sent).toBeGreaterThan(5);
      expect(bot.summary!.moves).toBeGreaterThan(0);
      expect(bot.summary!.states).toBeGreaterThan(5);
    }
  });

  it("has a client that says the server has gone away and exits 1", async () => {
    const bot = runBot(STEP, server.port, "bot3", 30);
    // the server goes away once bot3 plays (a loaded machine can take more than a second to start it)
    expect(await server.line(/bot3 joined/, 10_000)).toBeDefined();
    await sleep(500); // the welcome on its way when the line was written: bot3 reads it first
    await server.stop();
    const result = await bot;
    expect(result.code).toBe(1);
    expect(result.summary).toMatchObject({ connected: true });
    expect(result.stderr).toMatch(/^error: the server at 127.0.0.1:\d+ closed the connection/);
  });
});
