/**
 * The person (or bot) at a client: controls, screen, statistics and a clean exit.
 *
 * A step's client.ts does the networking and reports to this session what it
 * sent and received; everything a player sees and presses lives here, so the
 * step files show only what changes from one step to the next: the network.
 */
import readline from "node:readline";
import type { ClientOptions } from "./args.ts";
import { BotControl, type Control, KeyboardControl } from "./controls.ts";
import type { Input } from "./game.ts";
import type { GameMap } from "./map.ts";
import type { ClientMessage, GameState, ServerMessage } from "./protocol.ts";
import { Screen, renderFrame } from "./screen.ts";
import { percentile, round1 } from "./stats.ts";

const KEYS: Record<string, Input> = {
  up: "UP",
  down: "DOWN",
  left: "LEFT",
  right: "RIGHT",
  w: "UP",
  s: "DOWN",
  a: "LEFT",
  d: "RIGHT",
  space: "NONE",
};
/** How long an error from the server stays on the screen. */
const NOTICE_MS = 5000;
/** How long the goodbye may take before the client leaves without it (a server that stopped answering). */
const GOODBYE_TIMEOUT_MS = 1000;

export interface Summary {
  step: string;
  name: string;
  connected: boolean;
  moves: number;
  states: number;
  players: number;
  rttMs: { p50: number; p99: number };
}

export class PlayerSession {
  /** false once the player quits or --duration runs out: the client then says goodbye and calls leave() */
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
  private readonly rtts: number[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  /** shown under the status line instead of statusExtra while it lasts: the keys until the first one, then errors */
  private notice = { text: "arrows or WASD move · space stops · q quits", until: Infinity };
  private connected = false;
  private moves = 0;
  private states = 0;
  private mostPlayers = 0;
  private sentThisSecond = 0;
  private receivedThisSecond = 0;
  private rate = { sent: 0, received: 0 };

  constructor(private readonly options: ClientOptions) {
    if (!options.bot && !process.stdin.isTTY)
      console.error("the keyboard is not a terminal here: playing as a bot");
    if (options.bot || !process.stdin.isTTY) {
      this.control = new BotControl(
        [...options.name].reduce((hash, c) => hash * 31 + c.charCodeAt(0), 7),
      );
      for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => this.quit());
    } else {
      const keyboard = new KeyboardControl();
      this.control = keyboard;
      this.screen = new Screen();
      readline.emitKeypressEvents(process.stdin);
      process.stdin.setRawMode(true);
      process.stdin.on("keypress", (_text: string, key: readline.Key | undefined) => {
        if (key?.name === "q" || (key?.ctrl && key.name === "c")) this.quit();
        else if (key?.name && KEYS[key.name]) {
          keyboard.press(KEYS[key.name]!, performance.now());
          if (this.notice.until === Infinity) this.notice.until = 0;
        }
      });
      // whatever ends the process, the terminal is given back
      process.on("exit", () => this.restoreTerminal());
      process.on("uncaughtException", (error) => {
        this.restoreTerminal();
        console.error(error);
        process.exit(1);
      });
    }
    this.timers.push(setInterval(() => this.everySecond(), 1000));
    if (options.duration !== undefined)
      this.timers.push(setTimeout(() => this.quit(), options.duration * 1000));
    this.draw();
  }

  /** The input the player holds right now. */
  input(): Input {
    return this.control.next(performance.now());
  }

  sent(message: ClientMessage): void {
    this.sentThisSecond++;
    if (message.type === "INPUT") this.moves++;
  }

  /** Counts a message from the server and shows what it says. */
  received(message: ServerMessage): void {
    this.receivedThisSecond++;
    if (message.type === "ERROR") {
      if (!this.connected) this.fail(`the server refused: ${message.reason}`);
      this.notice = {
        text: `server said: ERROR ${message.reason}`,
        until: performance.now() + NOTICE_MS,
      };
    }
    if (message.type === "CONNECTED") {
      this.connected = true;
      this.map = message.map;
    }
    if (message.type === "CONNECTED" || message.type === "STATE") {
      this.states++;
      this.show(message.state);
    }
  }

  /** Keeps and draws a state from the server. */
  show(state: GameState): void {
    this.state = state;
    this.mostPlayers = Math.max(this.mostPlayers, state.players.length);
    this.draw();
  }

  /** Where this player's own square was in the last state shown. */
  position(): { x: number; y: number } | undefined {
    return this.state?.players.find((square) => square.name === this.options.name);
  }

  ping(ms: number): void {
    this.rtts.push(ms);
  }

  quit(): void {
    if (!this.playing) return;
    this.playing = false;
    this.timers.push(setTimeout(() => this.leave(), GOODBYE_TIMEOUT_MS));
  }

  /** The goodbye is said: give the terminal back, print the summary, exit (1 if the server never answered). */
  leave(): never {
    this.restoreTerminal();
    const summary = this.summary();
    if (this.options.bot) console.log(JSON.stringify(summary));
    else
      console.log(`bye ${summary.name}: ${summary.moves} moves, ping p50 ${summary.rttMs.p50} ms`);
    process.exit(this.connected ? 0 : 1);
  }

  /** Something went wrong that the player cannot fix by playing on: say it in words and exit 1. */
  fail(problem: string | Error): never {
    this.restoreTerminal();
    console.error(`error: ${typeof problem === "string" ? problem : this.explain(problem)}`);
    if (this.options.bot) console.log(JSON.stringify(this.summary()));
    process.exit(1);
  }

  summary(): Summary {
    return {
      ...this.summaryExtra,
      step: this.options.step,
      name: this.options.name,
      connected: this.connected,
      moves: this.moves,
      states: this.states,
      players: this.mostPlayers,
      rttMs: { p50: round1(percentile(this.rtts, 0.5)), p99: round1(percentile(this.rtts, 0.99)) },
    };
  }

  /** A network error in words a player understands. */
  private explain(error: NodeJS.ErrnoException): string {
    const server = `${this.options.host}:${this.options.port}`;
    switch (error.code) {
      case "ECONNREFUSED":
        return this.connected
          ? `the server at ${server} has gone away`
          : `nothing is listening on ${server}: is the server running?`;
      case "ECONNRESET":
      case "EPIPE":
        return `the server at ${server} closed the connection`;
      case "ENOTFOUND":
      case "EAI_AGAIN":
        return `cannot find the host ${this.options.host}: check --host`;
      default:
        return error.message;
    }
  }

  private everySecond(): void {
    this.rate = { sent: this.sentThisSecond, received: this.receivedThisSecond };
    this.sentThisSecond = this.receivedThisSecond = 0;
    this.draw();
  }

  /** Redraws the screen (a step that changes its view between states calls it every frame). */
  draw(): void {
    if (!this.screen) return;
    const { host, port, step, name } = this.options;
    const lastPing = this.rtts.length ? `${Math.round(this.rtts.at(-1)!)} ms` : "–";
    const status = [
      ` ping ${lastPing}`,
      `${this.state?.players.length ?? 0} online`,
      `sent ${this.rate.sent}/s`,
      `received ${this.rate.received}/s`,
      `${host}:${port}`,
    ].join(" · ");
    this.screen.draw(
      renderFrame({
        title: `Haunted Chronicles ${step}`,
        you: name,
        map: this.map,
        state: this.state && this.view(this.state),
        status: status.padEnd(80),
        message: performance.now() < this.notice.until ? this.notice.text : this.statusExtra,
      }),
    );
  }

  private restoreTerminal(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.screen?.close();
    if (process.stdin.isTTY && process.stdin.isRaw) process.stdin.setRawMode(false);
    process.stdin.pause();
  }
}
