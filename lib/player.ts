/**
 * The person (or bot) at a client: what they press, what they see, and how the
 * client ends.
 *
 * A step's client.ts does the networking and tells this session what it sent
 * and received; the session draws the screen and keeps the counts. The client
 * ends only where its step says so, with calls a reader can see:
 * exitOnSignals() right after the session is made, so that Ctrl-C ends the
 * game as q does, exitWithSummary() once the player is done and has said
 * goodbye, and exitWithError() when the network fails them.
 */
import readline from "node:readline";
import type { ClientOptions } from "./args.ts";
import { BotControl } from "./bot.ts";
import { type Control, KeyboardControl, inputOfKey } from "./controls.ts";
import type { Input } from "./game.ts";
import type { GameMap } from "./map.ts";
import { type NetTotals, NetView } from "./net-view.ts";
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
  /** with --net: the traffic and the ticks missed, counted as --trace writes them */
  net?: NetTotals;
}

/** How the game looks from this client, where a step changes it. */
export interface SessionOptions {
  /** the reach of the player's lantern (step 09 on): the states hold only the squares it lights */
  lantern?: number;
  /**
   * the --net view is offered (step 05 on), and shown from the start if true:
   * the key n shows and hides it
   */
  netView?: boolean;
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
  /** the network made visible: the step feeds it what it knows (acks from 06, prediction from 07) */
  readonly net: NetView;

  private readonly control: Control;
  private readonly screen: Screen | undefined;
  private readonly stats = new ClientStats();
  /** tags and time as a human, from the states this client sees */
  private readonly score: Score;
  private readonly everySecond: NodeJS.Timeout;
  private durationTimer: NodeJS.Timeout | undefined;
  /**
   * shown under the status line instead of statusExtra while
   * it lasts: the keys until the first one, then errors
   */
  private notice: { text: string; until: number };
  private connected = false;

  constructor(
    private readonly options: ClientOptions,
    private readonly looks: SessionOptions = {},
  ) {
    this.score = new Score(options.name, { lantern: looks.lantern !== undefined });
    this.net = new NetView(looks.netView === true);
    const netKey = looks.netView === undefined ? "" : " · n shows the network";
    this.notice = { text: `arrows or WASD move · space stops${netKey} · q quits`, until: Infinity };
    if (!options.bot && !process.stdin.isTTY) {
      console.error("the keyboard is not a terminal here: playing as a bot");
    }
    if (options.bot || !process.stdin.isTTY) {
      this.control = new BotControl(hashOf(options.name));
    } else {
      this.control = this.listenToKeyboard();
      this.screen = new Screen();
    }
    // The session's own clocks, stopped as the client exits: neither keeps the process alive.
    this.everySecond = setInterval(() => {
      this.stats.secondPassed();
      this.net.secondPassed();
      this.draw();
    }, 1000).unref();
    this.draw();
  }

  /**
   * Ctrl-C and SIGTERM end the game as q does (`playing` turns false, and the step's loop says
   * goodbye and exits), and however the process ends, even by a crash, the terminal is given
   * back. These handlers are the whole process's: the client installs them where it is read.
   */
  exitOnSignals(): void {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      process.on(signal, () => this.stopPlaying());
    }
    process.on("exit", () => this.restoreTerminal());
    process.on("uncaughtException", (error) => {
      this.restoreTerminal();
      console.error(error);
      process.exit(1);
    });
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
    if (message.type === "ERROR") this.notify(`server said: ERROR ${message.reason}`);
    if (message.type === "CONNECTED") {
      // --duration counts time in the game, from the first welcome: a machine slow to start the
      // client, or a join that needed its repeats, must not eat the time asked for
      if (!this.connected && this.options.duration !== undefined) {
        this.durationTimer = setTimeout(() => this.stopPlaying(), this.options.duration * 1000);
        this.durationTimer.unref();
      }
      this.connected = true;
      this.map = message.map;
    }
    if (message.type === "CONNECTED" || message.type === "STATE") this.show(message.state);
  }

  /** Shows a line under the map for a few seconds: what happened, in words. */
  notify(text: string): void {
    this.notice = { text: visible(text), until: performance.now() + NOTICE_MS };
  }

  /** Keeps and draws a state from the server. */
  show(state: GameState): void {
    this.state = state;
    this.stats.stateShown(state, this.options.name);
    this.net.stateShown(state.tick);
    this.score.observe(state, performance.now());
    this.draw();
  }

  /** A ping measured: a round trip (steps 02 to 04), or a reaction (05 on, lib/reaction.ts). */
  ping(ms: number): void {
    this.stats.ping(ms);
    this.net.roundTrip(ms);
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
      // with --net, the traffic as the trace counts it: a test checks the two agree
      ...(this.looks.netView ? { net: this.net.totals() } : {}),
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
    const drawn = this.state && this.view(this.state);
    const net =
      this.looks.netView !== undefined && this.net.shown
        ? {
            lines: this.net.lines(now),
            shadows: this.state && drawn ? this.net.shadows(this.state, drawn, name) : [],
            markers: this.net.markers(now),
          }
        : undefined;
    this.screen.draw({
      title: `Haunted Chronicles ${step}`,
      you: name,
      map: this.map,
      state: drawn,
      score: this.score,
      status,
      message: now < this.notice.until ? this.notice.text : this.statusExtra,
      now,
      lantern: this.looks.lantern,
      net,
    });
  }

  /** Raw mode: every key press arrives at once, Ctrl-C included, instead of whole lines. */
  private listenToKeyboard(): KeyboardControl {
    const keyboard = new KeyboardControl();
    readline.emitKeypressEvents(process.stdin);
    process.stdin.setRawMode(true);
    process.stdin.on("keypress", (_text: string, key: readline.Key | undefined) => {
      if (key?.name === "q" || (key?.ctrl && key.name === "c")) return this.stopPlaying();
      if (key?.name === "n" && !key.ctrl && this.looks.netView !== undefined) {
        this.net.shown = !this.net.shown;
        return this.draw();
      }
      const input = inputOfKey(key);
      if (input) {
        keyboard.press(input, performance.now());
        if (this.notice.until === Infinity) this.notice.until = 0;
      }
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
