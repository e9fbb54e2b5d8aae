/**
 * Two pool servers on one machine (lib/port-pool.ts), as a learner comparing steps runs them:
 * a port of the pool that another program holds is skipped, not refused.
 */
import { afterAll, expect, it } from "vitest";
import { type RunningServer, startServer } from "../scripts/harness/launch.ts";
import { portPool, runBot } from "./helpers.ts";
import * as step05 from "../steps/05-tick-broadcast/protocol.ts";
import { type Peer, join, udpPeer } from "./udp.ts";

const servers: RunningServer[] = [];
const peers: Peer[] = [];
afterAll(async () => {
  for (const peer of peers) peer.close();
  await Promise.all(servers.map((server) => server.stop()));
});

it("a step 06 server beside a step 05 server that holds a player seats its own players", async () => {
  const ports = portPool(4);
  // --timeout: the step 05 player says nothing after joining, and must keep its port meanwhile
  const older = await startServer("05-tick-broadcast", ["--ports", ports, "--timeout", "60"]);
  servers.push(older);
  const holder = await udpPeer(step05);
  peers.push(holder);
  const held = await join(holder, older.port, "holder");

  const newer = await startServer("06-input-changes", ["--ports", ports]);
  servers.push(newer);
  const bot = await runBot("06-input-changes", newer.port, "newcomer", 1);
  expect(bot.stderr).toBe("");
  expect(bot).toMatchObject({ code: 0, summary: { connected: true } });
  // step 06 tried the port step 05 holds, and went on (another program may hold others of the range)
  expect(await newer.line(new RegExp(`cannot use port ${held.port} for newcomer`))).toBeDefined();
});
