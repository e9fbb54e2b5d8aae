/** What every server shares (lib/serve.ts): a log that a flood cannot flood. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { RateLimitedLog } from "../lib/serve.ts";

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
