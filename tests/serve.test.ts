/** What every server shares (lib/serve.ts): a log that a flood cannot flood. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { RateLimitedLog, kernelDrops } from "../lib/serve.ts";
import { boundUdpSocket, until } from "./helpers.ts";

describe("RateLimitedLog", () => {
  afterEach(() => vi.useRealTimers());

  it("writes the same line 3 times a window, other lines still, and then how many it left out", () => {
    vi.useFakeTimers();
    const written: string[] = [];
    const log = new RateLimitedLog((line) => written.push(line));
    for (let i = 0; i < 100; i++) log.line("refused: unknown command HELLO", 0);
    log.line("refused: server full", 10);
    expect(written).toEqual([
      "refused: unknown command HELLO",
      "refused: unknown command HELLO",
      "refused: unknown command HELLO",
      "refused: server full",
    ]);
    vi.advanceTimersByTime(5000);
    expect(written.at(-1)).toBe("… and 97 more in the last 5 s");
  });

  it("writes at most 20 lines a window however many different lines a stranger makes up", () => {
    vi.useFakeTimers();
    const written: string[] = [];
    const log = new RateLimitedLog((line) => written.push(line));
    for (let i = 0; i < 10_000; i++) log.line(`refused: unknown command X${i}`, i / 10);
    expect(written).toHaveLength(20);
    vi.advanceTimersByTime(5000);
    expect(written.at(-1)).toBe("… and 9980 more in the last 5 s");
    log.line("refused: a new window", 6000);
    expect(written.at(-1)).toBe("refused: a new window");
  });
});

describe("kernelDrops", () => {
  it("counts the datagrams a full receive queue made the kernel throw away", async () => {
    const [receiver, sender] = await Promise.all([boundUdpSocket(), boundUdpSocket()]);
    receiver.setRecvBufferSize(4096); // room for a handful: the burst below cannot all fit
    const where = receiver.address();
    expect(kernelDrops(where)).toBe(0);
    const burst = Buffer.alloc(100);
    let sent = 0;
    // sent in one turn of the event loop, which reads nothing meanwhile
    for (let i = 0; i < 200; i++) sender.send(burst, where.port, where.address, () => sent++);
    await until(() => sent === 200);
    expect(kernelDrops(where)).toBeGreaterThan(100);
  });

  it("says nothing of a socket that does not exist", () => {
    expect(kernelDrops({ address: "127.0.0.1", port: 1 })).toBeUndefined();
  });
});
