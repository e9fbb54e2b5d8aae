/**
 * What step 07's interpolation changes on the screen. A real step 07 bot walks the house; a
 * watcher in this process joins the same server, receives the same states, and draws the bot
 * twice, every 10 ms, as step 07's client would: where the newest state has it (--no-interp),
 * and where lib/interpolation.ts puts it. Each time the drawn square moves is a step; a step of
 * more than one cell is a jump. Once on a perfect network, once through a server that loses
 * 20 % of its states and delays the others by up to 60 ms.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Interpolation } from "../../lib/interpolation.ts";
import type { Position } from "../../lib/map.ts";
import * as step07 from "../../steps/07-client-prediction/protocol.ts";
import { TickClock } from "../../lib/tick-clock.ts";
import { type Experiment, bot, figure, printTable, progress, server, silentPlayer } from "./lab.ts";

const SECONDS = 10;
const SAMPLE_MS = 10;
const WALKER = "walker";

/** How a drawn square moved: its steps by size in cells. */
class Steps {
  private last: Position | undefined;
  readonly bySize = new Map<number, number>();

  see(position: Position | undefined): void {
    if (!position) return;
    const size = this.last
      ? Math.abs(position.x - this.last.x) + Math.abs(position.y - this.last.y)
      : 0;
    if (size > 0) this.bySize.set(size, (this.bySize.get(size) ?? 0) + 1);
    this.last = position;
  }

  get total(): number {
    return [...this.bySize.values()].reduce((sum, count) => sum + count, 0);
  }

  /** the steps of more than one cell: a square seen to jump */
  get jumps(): number {
    return this.total - (this.bySize.get(1) ?? 0);
  }

  /** Records its figures under `name`, e.g. lossy.newest.steps. */
  record(name: string): void {
    figure(`${name}.steps`, this.total);
    figure(`${name}.jumps`, this.jumps);
  }

  /** "117 of 1, 14 of 2, 1 of 4" */
  describe(): string {
    return [...this.bySize]
      .sort(([a], [b]) => a - b)
      .map(([size, count]) => `${count} of ${size}`)
      .join(", ");
  }
}

/** Watches one server for `seconds`, while a bot walks in it, and counts the bot's drawn steps. */
async function watch(serverArgs: string[]): Promise<{ newest: Steps; interpolated: Steps }> {
  const running = await server("07", serverArgs);
  const clock = new TickClock();
  let interpolation: Interpolation | undefined;
  let newestState: step07.TickedState | undefined;
  const stillHere = { type: "INPUT", username: "watcher", input: "NONE", seq: 0 } as const;
  const watcher = await silentPlayer(running.port, "watcher", step07, stillHere, (message) => {
    if (message.type === "CONNECTED") interpolation ??= new Interpolation(message.map, clock);
    if (message.type !== "STATE") return;
    const { state } = message;
    // as every client does: a state not newer than the newest shown came late or twice
    if (state.tick <= (newestState?.tick ?? -1)) return;
    newestState = state;
    clock.heard(state.tick, performance.now());
    interpolation?.add(state);
  });
  const newest = new Steps();
  const interpolated = new Steps();
  const sampler = setInterval(() => {
    newest.see(newestState?.players.find(({ name }) => name === WALKER));
    interpolated.see(interpolation?.positions(performance.now()).get(WALKER));
  }, SAMPLE_MS);
  await sleep(300); // the watcher is in before the walker comes
  await bot({ step: "07", port: running.port, name: WALKER, seconds: SECONDS });
  clearInterval(sampler);
  watcher.leave();
  await running.stop();
  return { newest, interpolated };
}

export const experiment: Experiment = {
  about: "the steps another player is drawn in, with and without step 07's interpolation",
  steps: ["07"],
  seconds: 12,
  async run() {
    const networks = [
      { label: "perfect", key: "perfect", args: [] },
      {
        label: "server --loss 20 --jitter 60",
        key: "lossy",
        args: ["--loss", "20", "--jitter", "60"],
      },
    ];
    progress(
      `a bot walks for ${SECONDS} s on two servers; a watcher draws it every ${SAMPLE_MS} ms`,
    );
    const results = await Promise.all(networks.map(({ args }) => watch(args)));
    results.forEach(({ newest, interpolated }, i) => {
      newest.record(`${networks[i]!.key}.newest`);
      interpolated.record(`${networks[i]!.key}.interpolated`);
    });
    printTable([
      ["network", "drawn", "steps", "their sizes (cells)"],
      ...results.flatMap(({ newest, interpolated }, i) => [
        [networks[i]!.label, "newest state", newest.total, newest.describe()],
        ["", "interpolated", interpolated.total, interpolated.describe()],
      ]),
    ]);
  },
};
