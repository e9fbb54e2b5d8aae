/**
 * The bot swarm: N copies of a step's real client.ts playing as bots at once,
 * each in a worker thread of this one process (bot-thread.mjs), started and
 * measured for the bench. It speaks to the bench in swarm-protocol.ts events.
 *
 *   node --import tsx scripts/bench/swarm.ts --step 03 --port 9999 --bots 64 --seconds 5
 *
 * Why threads, not a process per bot: measured on the 2-core bench machine, a
 * client started as `node --import tsx client.ts` costs ~0.6 s of CPU and
 * ~80 MB before it plays (256 bots: ~150 s of CPU and ~20 GB). As a thread here
 * it costs ~0.12 s and ~20 MB, and once playing it costs no more CPU than a
 * process. A client cannot simply be imported N times into one thread: it owns
 * its process (argv, signals, process.exit), and a worker thread gives it one.
 */
import { readFileSync, readdirSync } from "node:fs";
import { availableParallelism, setPriority } from "node:os";
import { join } from "node:path";
import { text } from "node:stream/consumers";
import { setTimeout as sleep } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import ts from "typescript";
import { exitWithUsageError, numberOption, parseOptions, portOption } from "../../lib/args.ts";
import { ROOT, STEPS_DIR, findStep } from "../../lib/steps.ts";
import type { Summary } from "../../lib/player.ts";
import {
  type BotResult,
  type SwarmEvent,
  type WindowFigures,
  SETTLE_SECONDS,
  botDurationSeconds,
  loadTimeoutSeconds,
  rampSeconds,
} from "./swarm-protocol.ts";

/**
 * The swarm yields the CPU to the server: the server is what is measured, and
 * on a real network it would have a machine of its own. With 256 bot threads
 * at the same priority, Linux would give the server's one thread about 1/257
 * of the CPU. The bots take what is left, and their figures show when that is
 * too little (fewer messages a second, bots CPU near the machine's limit).
 */
const SWARM_NICENESS = 10;

/** Threads loading at the same time: enough to keep every core busy, few enough not to thrash. */
const LOADING_AT_ONCE = availableParallelism() * 2;

interface Counters {
  up: number;
  down: number;
  tcpConnections: number;
  largestStateDatagram: number;
}

/** One bot's thread, seen from the swarm. */
class BotThread {
  /** resolves once the thread waits at the gate, or has ended */
  readonly loaded: Promise<void>;
  /** resolves once the bot has opened its first socket, or has ended */
  readonly onNetwork: Promise<void>;
  readonly result: Promise<BotResult>;
  ended = false;
  private readonly worker: Worker;
  private crash: string | undefined;
  private answerCount: ((counters: Counters) => void) | undefined;

  constructor(
    readonly name: string,
    clientArgs: string[],
    threadData: object,
  ) {
    this.worker = new Worker(new URL("./bot-thread.mjs", import.meta.url), {
      argv: [...clientArgs, "--name", name],
      workerData: threadData,
      stdout: true,
      stderr: true,
      // Threads inherit this process's `--import tsx`, which would load tsx in each: bot-thread.mjs does without it.
      execArgv: [],
    });
    const messages = (type: string) =>
      new Promise<void>((resolve) => {
        this.worker.on("message", (message) => message.type === type && resolve());
        this.worker.once("exit", () => resolve());
      });
    this.loaded = messages("ready");
    this.onNetwork = messages("on-network");
    this.worker.on(
      "message",
      (message) => message.type === "counters" && this.answerCount?.(message),
    );
    // an exception nothing caught in the thread (a client that does not load, say): it ends the thread
    this.worker.on("error", (error) => (this.crash = error.message));
    const exited = new Promise<number>((resolve) => this.worker.once("exit", resolve));
    exited.then(() => (this.ended = true));
    this.result = Promise.all([exited, text(this.worker.stdout), text(this.worker.stderr)]).then(
      ([code, stdout, stderr]) => this.describe(code, stdout, stderr),
    );
  }

  go(): void {
    this.worker.postMessage({ type: "go" });
  }

  /** The bot's byte counters now, or undefined if it has ended. */
  count(): Promise<Counters | undefined> {
    if (this.ended) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.answerCount = resolve;
      this.worker.once("exit", () => resolve(undefined));
      this.worker.postMessage({ type: "count" });
    });
  }

  private describe(code: number, stdout: string, stderr: string): BotResult {
    let summary: Summary | undefined;
    try {
      summary = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Summary;
    } catch {
      // no summary: the client died before it could print one, and the crash or its error line says why
    }
    const errorLine = stderr.split("\n").find((line) => line.startsWith("error: "));
    const error = this.crash ?? errorLine?.slice("error: ".length);
    return { name: this.name, code, ...(summary && { summary }), ...(error && { error }) };
  }
}

function tell(event: SwarmEvent): void {
  console.log(JSON.stringify(event));
}

/** Ends the swarm with the reason it gives up: ending this process ends every bot thread in it. */
function giveUp(reason: string): never {
  tell({ event: "failed", reason });
  process.exit(1);
}

/** Every .ts file of lib/ and steps/ as JavaScript, by file URL, for ts-hooks.mjs. */
function javascriptOfTheProject(): Record<string, string> {
  const javascript: Record<string, string> = {};
  for (const folder of [join(ROOT, "lib"), STEPS_DIR]) {
    for (const file of readdirSync(folder, { recursive: true, encoding: "utf8" }).filter((name) =>
      name.endsWith(".ts"),
    )) {
      const path = join(folder, file);
      const { outputText } = ts.transpileModule(readFileSync(path, "utf8"), {
        fileName: path,
        compilerOptions: {
          module: ts.ModuleKind.ESNext,
          target: ts.ScriptTarget.ES2022,
          verbatimModuleSyntax: true,
        },
      });
      javascript[pathToFileURL(path).href] = outputText;
    }
  }
  return javascript;
}

/** The project files client.ts imports (its own folder's or lib's), in its order. */
function dependencyUrls(clientPath: string): string[] {
  const clientUrl = pathToFileURL(clientPath);
  return ts
    .preProcessFile(readFileSync(clientPath, "utf8"))
    .importedFiles.map((file) => file.fileName)
    .filter((specifier) => specifier.startsWith("."))
    .map((specifier) => new URL(specifier, clientUrl).href);
}

/** Loads every bot thread, a few at a time, up to the gate. */
async function loadBots(
  count: number,
  clientArgs: string[],
  threadData: object,
): Promise<BotThread[]> {
  const bots: BotThread[] = [];
  let loaded = 0;
  const loadNext = async () => {
    while (bots.length < count) {
      const bot = new BotThread(`bot${bots.length + 1}`, clientArgs, threadData);
      bots.push(bot);
      await bot.loaded;
      loaded++;
    }
  };
  const started = performance.now();
  const progress = setInterval(() => tell({ event: "loading", ready: loaded, of: count }), 1000);
  const timeout = loadTimeoutSeconds(count);
  const allLoaded = Promise.all(Array.from({ length: Math.min(LOADING_AT_ONCE, count) }, loadNext));
  const inTime = await Promise.race([allLoaded.then(() => true), sleep(timeout * 1000, false)]);
  clearInterval(progress);
  if (!inTime)
    giveUp(
      `bots failed to start in time: ${loaded} of ${count} loaded after ${Math.round(timeout)} s`,
    );
  tell({ event: "ready", loadSeconds: (performance.now() - started) / 1000 });
  return bots;
}

/** What the bots' counters grew by between the window's two ends, summed over the bots that played through it. */
function bytesBetween(before: (Counters | undefined)[], after: (Counters | undefined)[]) {
  const sum = { bots: 0, bytesUp: 0, bytesDown: 0, connections: 0, largestStateDatagram: 0 };
  before.forEach((start, i) => {
    const end = after[i];
    if (!start || !end) return;
    sum.bots++;
    sum.bytesUp += end.up - start.up;
    sum.bytesDown += end.down - start.down;
    sum.connections += end.tcpConnections - start.tcpConnections;
    sum.largestStateDatagram = Math.max(sum.largestStateDatagram, end.largestStateDatagram);
  });
  return sum;
}

const cpuSeconds = () => {
  const usage = process.resourceUsage();
  return (usage.userCPUTime + usage.systemCPUTime) / 1e6;
};

/** Resolves when the first bot leaves cleanly: from then on, fewer bots play than were asked for. */
function firstBotToLeave(bots: BotThread[]): Promise<void> {
  return new Promise((resolve) => {
    for (const bot of bots) bot.result.then((result) => result.code === 0 && resolve());
  });
}

/** Opens the gate for every bot at once, and waits until all of them are on the network (or gives up). */
async function startTogether(bots: BotThread[]): Promise<void> {
  const [goAt, cpuAtGo] = [performance.now(), cpuSeconds()];
  for (const bot of bots) bot.go();
  let onNetwork = 0;
  const allOnNetwork = Promise.all(bots.map((bot) => bot.onNetwork.then(() => onNetwork++)));
  const progress = setInterval(() => tell({ event: "starting", onNetwork, of: bots.length }), 1000);
  const patience = rampSeconds(bots.length) + 5;
  const inTime = await Promise.race([allOnNetwork.then(() => true), sleep(patience * 1000, false)]);
  clearInterval(progress);
  if (!inTime) {
    // the usual reason is a machine too small for this many bots: the CPU they used says so
    const cpuPercent = Math.round(
      ((cpuSeconds() - cpuAtGo) / ((performance.now() - goAt) / 1000)) * 100,
    );
    giveUp(
      `bots failed to start in time: ${onNetwork} of ${bots.length} were on the network ${Math.round(patience)} s after the start, ` +
        `while the bots used ${cpuPercent} % CPU of the machine's ${availableParallelism() * 100} %`,
    );
  }
}

/** Counts what the bots do for `seconds`, or until the first one leaves if that comes sooner. */
async function measureWindow(bots: BotThread[], seconds: number): Promise<WindowFigures> {
  const before = await Promise.all(bots.map((bot) => bot.count()));
  const [openedAt, cpuAtOpen] = [performance.now(), cpuSeconds()];
  tell({ event: "window-open" });
  await Promise.race([sleep(seconds * 1000), firstBotToLeave(bots)]);
  const after = await Promise.all(bots.map((bot) => bot.count()));
  return {
    seconds: (performance.now() - openedAt) / 1000,
    cpuSeconds: cpuSeconds() - cpuAtOpen,
    ...bytesBetween(before, after),
  };
}

function options() {
  const { values } = parseOptions(
    {
      command: "node --import tsx scripts/bench/swarm.ts",
      summary: "Runs N bots of a step's real client in the threads of one process, for the bench.",
    },
    {
      step: {
        type: "string",
        placeholder: "NN",
        description: "the step whose client.ts the bots run",
      },
      host: {
        type: "string",
        default: "127.0.0.1",
        placeholder: "HOST",
        description: "the server's address",
      },
      port: { type: "string", placeholder: "PORT", description: "the server's port" },
      bots: { type: "string", default: "1", placeholder: "N", description: "how many bots play" },
      seconds: {
        type: "string",
        default: "5",
        placeholder: "S",
        description: "length of the measured window",
      },
    },
  );
  if (values.port === undefined)
    exitWithUsageError("--port is needed: the port the step's server listens on");
  return {
    folder:
      findStep(values.step ?? "") ??
      exitWithUsageError(`--step: there is no step '${values.step ?? ""}'`),
    host: values.host,
    port: portOption(values.port),
    count: numberOption(values.bots, "--bots", { min: 1, max: 10_000 }),
    seconds: numberOption(values.seconds, "--seconds", { min: 0.1 }),
  };
}

const { folder, host, port, count, seconds } = options();
setPriority(SWARM_NICENESS); // before the bot threads start: each thread takes the niceness of the one that starts it
// If the bench dies, this process is handed to another parent: then the swarm goes too instead of playing on.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(1), 1000).unref();

const clientPath = join(STEPS_DIR, folder, "client.ts");
const threadData = {
  clientUrl: pathToFileURL(clientPath).href,
  dependencyUrls: dependencyUrls(clientPath),
  javascript: javascriptOfTheProject(),
};
const clientArgs = [
  "--host",
  host,
  "--port",
  String(port),
  "--bot",
  "--duration",
  String(botDurationSeconds(seconds, count)),
];
const bots = await loadBots(count, clientArgs, threadData);
await startTogether(bots);
await sleep(SETTLE_SECONDS * 1000);
tell({ event: "window-close", window: await measureWindow(bots, seconds) });
for (const result of await Promise.all(bots.map((bot) => bot.result)))
  tell({ event: "bot", result });
tell({ event: "done" });
process.exit(0);
