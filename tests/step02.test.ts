/** Step 02 (steps/02-tcp-squares): the squares game, one TCP connection per message. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningServer } from "../scripts/harness/launch.ts";
import { type ServerMessage, parseServerMessage } from "../steps/02-tcp-squares/protocol.ts";
import { BAD_MESSAGES, askOnce, freeDirection, runBot, startServer } from "./helpers.ts";

const STEP = "02-tcp-squares";

describe("step 02: one TCP connection per message", () => {
  let server: RunningServer;
  /** sends one message on its own connection, as the step's client does, and parses the answer */
  const ask = async (line: string): Promise<ServerMessage> => {
    const parsed = parseServerMessage((await askOnce(server.port, `${line}\n`)).toString());
    if (!parsed.ok) throw new Error(parsed.reason);
    return parsed.message;
  };
  const stateFor = async (name: string) => {
    const answer = await ask(`GETSTATE ${name}`);
    if (answer.type !== "STATE") throw new Error(`expected a STATE, got ${answer.type}`);
    return answer.state;
  };

  beforeAll(async () => {
    server = await startServer(STEP);
  });
  afterAll(() => server.stop());

  it("welcomes a player with the port, the map and the state", async () => {
    const welcome = await ask("CONNECTED alice");
    expect(welcome).toMatchObject({ type: "CONNECTED", port: server.port, username: "alice" });
    if (welcome.type !== "CONNECTED") return;
    expect(welcome.map.width).toBeGreaterThan(10);
    expect(welcome.state.players.map((player) => player.name)).toEqual(["alice"]);
    expect(welcome.state.ghost).toBe("alice");
  });

  it("lets two players see each other move", async () => {
    const welcome = await ask("CONNECTED bob");
    if (welcome.type !== "CONNECTED") throw new Error("bob was refused");
    const before = welcome.state.players.find((player) => player.name === "alice")!;
    const direction = freeDirection(welcome.map, welcome.state, "alice");
    expect(await ask(`INPUT alice ${direction}`)).toMatchObject({ type: "STATE" });
    const after = (await stateFor("bob")).players.find((player) => player.name === "alice")!;
    expect(Math.abs(after.x - before.x) + Math.abs(after.y - before.y)).toBe(1);
  });

  it.each(BAD_MESSAGES)("answers %j with an ERROR and keeps serving", async (message, reason) => {
    const answer = await ask(message);
    expect(answer.type).toBe("ERROR");
    if (answer.type === "ERROR") expect(answer.reason).toMatch(reason);
    expect((await stateFor("bob")).players).toHaveLength(2);
  });

  it("refuses a username that is already taken", async () => {
    expect(await ask("CONNECTED alice")).toEqual({
      type: "ERROR",
      reason: "username alice is taken",
    });
  });

  it("answers a message over 1024 bytes with an ERROR and closes only that connection", async () => {
    const answer = (await askOnce(server.port, "x".repeat(5000))).toString();
    expect(answer).toBe("ERROR message longer than 1024 bytes\n");
    expect((await stateFor("bob")).players).toHaveLength(2);
  });

  it("removes a player who says goodbye", async () => {
    expect(await ask("DISCONNECT alice")).toEqual({ type: "DISCONNECTED", username: "alice" });
    expect((await stateFor("bob")).players.map((player) => player.name)).toEqual(["bob"]);
  });

  it("removes a player who vanishes without a goodbye, once they have been silent for 5 s", async () => {
    await ask("CONNECTED carol");
    for (let second = 0; second < 7; second++) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      await stateFor("bob"); // bob keeps playing; carol says nothing
    }
    expect((await stateFor("bob")).players.map((player) => player.name)).toEqual(["bob"]);
    expect(await server.line(/carol timed out/)).toBeDefined();
  });

  it("runs the real client as a bot, which connects, moves and sees the other players", async () => {
    const [first, second] = await Promise.all([
      runBot(STEP, server.port, "bot1", 1.5),
      runBot(STEP, server.port, "bot2", 1.5),
    ]);
    for (const bot of [first, second]) {
      expect(bot.code).toBe(0);
      expect(bot.summary).toMatchObject({ step: "02", connected: true });
      expect(bot.summary!.sent).toBeGreaterThan(5);
      expect(bot.summary!.moves).toBeGreaterThan(0);
      expect(bot.summary!.states).toBeGreaterThan(5);
      expect(bot.summary!.players).toBeGreaterThanOrEqual(3); // bob and the two bots
      expect(bot.summary!.rttMs.p99).toBeGreaterThanOrEqual(bot.summary!.rttMs.p50!);
    }
  });

  it("has a client that exits 1 and says so when it never connects", async () => {
    const bot = await runBot(STEP, 1, "lonely", 1);
    expect(bot.code).toBe(1);
    expect(bot.summary).toMatchObject({ connected: false });
    expect(bot.stderr).toMatch(/nothing is listening on 127.0.0.1:1/);
  });
});
