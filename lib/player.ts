/**
 * The person (or bot) at a client: what they press, what they see, and how the
 * client ends.
 *
 * A step's client.ts does the networking and tells this session what it sent
 * and received; the session draws the screen and keeps the counts. The client
 * ends only where its step says so, with one of two calls a reader can see:
 * exitWithSummary() once the player is done and has said goodbye, and
 * exitWithError() when the network fails them.
 */
import readline from "node:readline";
import type { ClientOptions } from "./args.ts";
import { BotControl } from "./bot.ts";
import { type Control, KeyboardControl, inputOfKey } from "./controls.ts";
import type { Input } from "./game.ts";
import type { GameMap } from "./map.ts";
import { connectionProblem } from "./network-errors.ts";
import type { GameState } from "./state.ts";
import { hashOf } from "./random.ts";
import { type OwnScore, Score } from "./score.ts";
import { Screen } from "./screen.ts";
import { visible } from "./trace.ts";
import { ClientStats, type Counts } from "./stats.ts";

/**
 * A message from the server, as a session reads it: an ERROR's reason, a welcome's
 * map and state, a STATE's state. A step's other messages are only counted.
 */
export type ServerNews =
  | { type: "ERROR"; reason: string }
  | { type: "CONNECTED"; map: GameMap; state: GameState }
  | { type: "STATE"; state: GameState }
  | { type: "DISCONNECTED" | "CHALLENGE" | "DELTA" };

/** How long an error from the server stays on the screen. */
const NOTICE_MS = 5000;

export interface Summary extends Counts, OwnScore {
  step: string;
  name: string;
  connected: boolean;
}

/** How the game looks from this client, where a step changes it. */
export interface SessionOptions {
  /** the reach of the player's lantern (step 09 on): the states hold only the squares it lights */
  lantern?: number;
}

export class PlayerSession {
  /**
   * true until the player quits (q, Ctrl-C, a signal) or
   * --duration runs out: then the step says goodbye and exits
   */
  playing = true;
  map: GameMap | undefined;
  state: GameState | undefined;
  /** extra facts a step shows under the status line, like its simulated network */
  statusExtra = "";
  /** extra facts a step adds to the summary, like how often its predictions were wrong */
  summaryExtra: Record<string, unknown> = {};
  /** what is drawn for a state: the state itself, or (step 07) the client's own picture of it */
  view: (state: GameState) => GameState = (state) => state;

  private readonly control: Control;
  private readonly screen: Screen | undefined;
  private readonly stats = new ClientStats();
  /** tags and time as a human, from the states this client sees */
  private readonly score: Score;
  private readonly everySecond: NodeJS.Timeout;
  private readonly durationTimer: NodeJS.Timeout | undefined;
  /**
   * shown under the status line instead of statusExtra while
   * it lasts: the keys until the first one, then errors
   */
  private notice = { text: "arrows or WASD move · space stops · q quits", until: Infinity };
  private connected = false;

  constructor(
    private readonly options: ClientOptions,
    private readonly looks: SessionOptions = {},
  ) {
    this.score = new Score(options.name, { lantern: looks.lantern !== undefined });
    if (!options.bot && !process.stdin.isTTY) {
      console.error("the keyboard is not a terminal here: playing as a bot");
    }
    if (options.bot || !process.stdin.isTTY) {
      this.control = new BotControl(hashOf(options.name));
    } else {
      this.control = this.listenToKeyboard();
      this.screen = new Screen();
    }
    for (const signal of ["SIGINT", "SIGTERM"] as const)
      process.on(signal, () => this.stopPlaying());
    this.everySecond = setInterval(() => {
      this.stats.secondPassed();
      this.draw();
    }, 1000);
    if (options.duration !== undefined) {
      this.durationTimer = setTimeout(() => this.stopPlaying(), options.duration * 1000);
    }
    this.draw();
  }

  /** The input the player holds right now (nothing before the map has come). */
  input(): Input {
    if (!this.map) return "NONE";
    const view = { map: this.map, state: this.state, you: this.options.name };
    return this.control.next(performance.now(), view);
  }

  sent(): void {
    this.stats.messageSent();
  }

  /** Counts a message from the server and shows what it says. */
  received(message: ServerNews): void {
    this.stats.messageReceived();
    if (message.type === "ERROR") {
      this.notice = {
        text: `server said: ERROR ${visible(message.reason)}`,
        until: performance.now() + NOTICE_MS,
      };
    }
    if (message.type === "CONNECTED") {
      this.connected = true;
      this.map = message.map;
    }
    if (message.type === "CONNECTED" || message.type === "STATE") this.show(message.state);
  }

  /** Keeps and draws a state from the server. */
  show(state: GameState): void {
    this.state = state;
    this.stats.stateShown(state, this.options.name);
    this.score.observe(state, performance.now());
    this.draw();
  }

  /** Where this player's own square was in the last state shown. */
  position(): { x: number; y: number } | undefined {
    return this.state?.players.find((square) => square.name === this.options.name);
  }

  ping(ms: number): void {
    this.stats.ping(ms);
  }

  /**
   * The player is done: `playing` turns false, and the step's loop ends, says goodbye and exits.
   */
  stopPlaying(): void {
    this.playing = false;
  }

  /** The end of a game: give the terminal back, print the summary, exit 0. */
  exitWithSummary(): never {
    this.restoreTerminal();
    const summary = this.summary();
    if (this.options.bot) console.log(JSON.stringify(summary));
    else
      console.log(
        `bye ${summary.name}: ${summary.moves} moves, ping p50 ${summary.rttMs.p50 ?? "–"} ms`,
      );
    process.exit(0);
  }

  /**
   * The network failed the player: give the terminal back, say what happened in one line, exit 1.
   */
  exitWithError(error: unknown): never {
    this.restoreTerminal();
    const server = { host: this.options.host, port: this.options.port };
    // the words may quote the server: its control characters must not reach the terminal
    console.error(`error: ${visible(connectionProblem(error, server, this.connected))}`);
    if (this.options.bot) console.log(JSON.stringify(this.summary()));
    process.exit(1);
  }

  summary(): Summary {
    return {
      ...this.summaryExtra,
      step: this.options.step,
      name: this.options.name,
      connected: this.connected,
      ...this.stats.counts(),
      ...this.score.summary(),
    };
  }

  /** Redraws the screen (a step that changes its view between states calls it every frame). */
  draw(): void {
    if (!this.screen) return;
    const { host, port, step, name } = this.options;
    const players = this.state?.players.length ?? 0;
    // with a lantern, a state holds the players in sight, not all those online
    const seen = this.looks.lantern === undefined ? `${players} online` : `${players} in sight`;
    const status = this.stats.statusLine(seen, `${host}:${port}`);
    const now = performance.now();
    this.screen.draw({
      title: `Haunted Chronicles ${step}`,
      you: name,
      map: this.map,
      state: this.state && this.view(this.state),
      score: this.score,
      status,
      message: now < this.notice.until ? this.notice.text : this.statusExtra,
      now,
      lantern: this.looks.lantern,
    });
  }

  /** Raw mode: every key press arrives at once, Ctrl-C included, instead of whole lines. */
  private listenToKeyboard(): KeyboardControl {
    const keyboard = new KeyboardControl();
    readline.emitKeypressEvents(process.stdin);
    process.stdin.setRawMode(true);
    process.stdin.on("keypress", (_text: string, key: readline.Key | undefined) => {
      if (key?.name === "q" || (key?.ctrl && key.name === "c")) return this.stopPlaying();
      const input = inputOfKey(key);
      if (input) {
        keyboard.press(input, performance.now());
        if (this.notice.until === Infinity) this.notice.until = 0;
      }
    });
    // Whatever ends the process, even a crash, the terminal is given back.
    process.on("exit", () => this.restoreTerminal());
    process.on("uncaughtException", (error) => {
      this.restoreTerminal();
      console.error(error);
      process.exit(1);
    });
    return keyboard;
  }

  private restoreTerminal(): void {
    clearInterval(this.everySecond);
    clearTimeout(this.durationTimer);
    this.screen?.close();
    if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
    process.stdin.pause();
  }
}
