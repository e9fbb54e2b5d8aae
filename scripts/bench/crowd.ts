/**
 * The crowd: the bench's load. Many bots in this one process, on one event loop,
 * each with its own socket or connection as its step requires, speaking the
 * step's protocol directly (the adapters of steps.ts) and walking like the real
 * bot. One shared timer drives every bot's frames, each bot at its own phase.
 *
 * Why not real clients: a client.ts costs about 2 % of a core on its own (Node
 * waking 40 times a second, drawing, parsing every state in full), so a 2-core
 * machine cannot host more than about 64 of them next to the server. A crowd bot
 * does only what its step's protocol needs, and 1000 of them fit in under a core.
 * A few real clients still play among them as probes (probes.ts): they measure
 * what a player sees.
 */
import type { Delta } from "../../lib/delta.ts";
import type { Input } from "../../lib/game.ts";
import type { GameMap } from "../../lib/map.ts";
import { type Random, seededRandom } from "../../lib/random.ts";

/** Each bot's frames a second: the real client's default --send-rate. */
export const FRAME_RATE = 20;
const FRAME_MS = 1000 / FRAME_RATE;
/** The shared timer's period: a bot's frame starts at most this late. */
const TIMER_MS = 5;
/**
 * Bots asking to join at once: enough to seat 1000 in a few
 * seconds, few enough not to overflow the server's queues.
 */
const JOINING_AT_ONCE = 32;
/**
 * Bots that share one source address. The UDP servers limit the seats of one IP
 * address, as a real server must; Linux routes all of 127.0.0.0/8 to this machine,
 * so each group of bots speaks from an address of its own (127.0.1.1, 127.0.1.2, …).
 */
const BOTS_PER_ADDRESS = 4;

const DIRECTIONS: readonly Input[] = ["UP", "DOWN", "LEFT", "RIGHT"];

/**
 * How a crowd bot walks: a random direction, a new one every 250 to 750 ms. It
 * moves about as often as the real bot (lib/bot.ts) without its path finding,
 * which a thousand bots could not afford: the crowd is the load, not a player.
 */
class RandomWalk {
  private readonly random: Random;
  private input: Input = "NONE";
  private turnAt = -Infinity;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  next(now: number): Input {
    if (now >= this.turnAt) {
      this.input = DIRECTIONS[Math.floor(this.random() * DIRECTIONS.length)]!;
      this.turnAt = now + 250 + this.random() * 500;
    }
    return this.input;
  }
}

/** What one bot has counted: messages and payload bytes both ways, and the states among them. */
export interface Counts {
  messagesUp: number;
  bytesUp: number;
  messagesDown: number;
  bytesDown: number;
  states: number;
  /** states that never came: gaps in the tick numbers, or (step 04) requests never answered */
  lostStates: number;
  /** TCP connections opened */
  connections: number;
}

/** A bot's counters, which its adapter calls as it sends and receives. */
export class Meter {
  readonly counts: Counts = {
    messagesUp: 0,
    bytesUp: 0,
    messagesDown: 0,
    bytesDown: 0,
    states: 0,
    lostStates: 0,
    connections: 0,
  };
  /** the largest message received since the measured window opened */
  largestMessage = 0;
  private newestTick: number | undefined;

  sent(bytes: number): void {
    this.counts.messagesUp++;
    this.counts.bytesUp += bytes;
  }

  received(bytes: number): void {
    this.counts.messagesDown++;
    this.counts.bytesDown += bytes;
    this.largestMessage = Math.max(this.largestMessage, bytes);
  }

  /**
   * A state has come. With its tick number, the ticks skipped since the newest
   * one are lost states; returns false for a state older than the newest (late
   * or twice), which a client does not show.
   */
  state(tick?: number): boolean {
    this.counts.states++;
    if (tick === undefined) return true;
    if (this.newestTick !== undefined && tick <= this.newestTick) return false;
    if (this.newestTick !== undefined) this.counts.lostStates += tick - this.newestTick - 1;
    this.newestTick = tick;
    return true;
  }

  lost(): void {
    this.counts.lostStates++;
  }
}

/** What an adapter gets to play one bot. */
export interface BotContext {
  name: string;
  /** the address this bot's sockets bind to */
  localAddress: string;
  server: { host: string; port: number };
  meter: Meter;
  /**
   * A seated bot cannot play on (its connection closed,
   * say): it leaves the crowd, and the run says why.
   */
  fail(reason: string): void;
}

/**
 * How the server answered a bot's join: a welcome (with
 * the port to talk to from now on), or a refusal.
 */
export type JoinAnswer =
  { seated: true; map: GameMap; port: number } | { seated: false; reason: string };

/**
 * A server's message as a bot reads it through its step's protocol.ts: a welcome, a
 * refusal, a CHALLENGE (step 08 on) or a DELTA (step 10); of any other, only its type.
 */
export type ServerReply =
  | { type: "CONNECTED"; map: GameMap; port: number }
  | { type: "ERROR"; reason: string }
  | { type: "CHALLENGE"; cookie: string }
  | { type: "DELTA"; delta: Delta }
  | { type: "STATE" | "DISCONNECTED" };

/**
 * What a bot needs of its step's protocol.ts (steps.ts hands each adapter its step's): to
 * write the messages it sends (`Message`), and to read the server's.
 */
export interface BotProtocol<Message> {
  encodeClientMessage(message: Message): string;
  parseServerMessage(line: string): { ok: true; message: ServerReply } | { ok: false };
  expectServerMessage(line: string): ServerReply;
}

/**
 * The server's answer to a join, as the step's protocol.ts parses it in full: the one
 * message a bot parses that way, so its adapter parses it once and hands it here.
 */
export function joinAnswerOf(answer: ServerReply): JoinAnswer {
  if (answer.type === "CONNECTED") return { seated: true, map: answer.map, port: answer.port };
  if (answer.type === "ERROR") return { seated: false, reason: answer.reason };
  throw new Error(`the server answered ${answer.type} to CONNECTED`);
}

/** One bot as a step's adapter plays it: the step's protocol, and nothing else. */
export interface ProtocolBot {
  /** Opens the bot's socket or connection and asks to join; rejects if the server never answers. */
  join(): Promise<JoinAnswer>;
  /**
   * One frame of the step's client, holding `input`: send what that client would
   * send now. Returns false when the frame must wait (an answer is still due, and
   * the step's client waits for it), and the crowd calls again on its next tick.
   */
  frame(input: Input, now: number): boolean;
  close(): void;
}

export type BotAdapter = (context: BotContext) => ProtocolBot;

interface Member {
  context: BotContext;
  bot: ProtocolBot;
  walk: RandomWalk;
  status: "joining" | "playing" | "gone";
  nextFrameAt: number;
}

/** How the crowd's joins went, for the run's row. */
interface Seating {
  /** bots that asked to join */
  asked: number;
  seated: number;
  /** the players the map holds (one per floor cell), once a welcome has shown the map */
  mapSeats?: number;
  /** reasons given by the server for refusing, with how many bots got each */
  refused: Map<string, number>;
}

export class Crowd {
  /** reasons bots stopped playing, with how many bots stopped for each */
  readonly failures = new Map<string, number>();
  private readonly members: Member[] = [];
  private readonly playing = new Set<Member>();
  private readonly phase = seededRandom(1);
  private readonly timer = setInterval(() => this.runDueFrames(), TIMER_MS);

  constructor(
    private readonly adapter: BotAdapter,
    private readonly server: { host: string; port: number },
  ) {}

  /**
   * Seats up to `wanted` bots, JOINING_AT_ONCE at a time, and leaves `spare`
   * seats of the map free (for the probes). The first bot joins alone: its
   * welcome shows the map, and so how many players the house holds.
   */
  async join(
    wanted: number,
    spare: number,
    progress: (seated: number, of: number) => void,
  ): Promise<Seating> {
    const seating: Seating = { asked: 0, seated: 0, refused: new Map() };
    let target = wanted;
    const joinNext = async () => {
      const index = seating.asked++;
      const answer = await this.joinOne(index);
      if (answer.seated) {
        seating.seated++;
        seating.mapSeats ??= floorCells(answer.map);
        target = Math.min(wanted, seating.mapSeats - spare);
      } else {
        seating.refused.set(answer.reason, (seating.refused.get(answer.reason) ?? 0) + 1);
      }
    };
    const reporter = setInterval(() => progress(seating.seated, target), 1000);
    try {
      await joinNext();
      // a server that refuses the first bot, or never answers it, would do the same to every other
      if (seating.seated === 0) return seating;
      const worker = async () => {
        while (seating.asked < target) await joinNext();
      };
      await Promise.all(Array.from({ length: JOINING_AT_ONCE }, worker));
    } finally {
      clearInterval(reporter);
    }
    return seating;
  }

  /** Each playing bot's counts now, by name: the run compares two of these. */
  counts(): Map<string, Counts> {
    return new Map(
      [...this.playing].map((member) => [member.context.name, { ...member.context.meter.counts }]),
    );
  }

  /** The largest message any playing bot has received since the last call. */
  takeLargestMessage(): number {
    let largest = 0;
    for (const { context } of this.playing) {
      largest = Math.max(largest, context.meter.largestMessage);
      context.meter.largestMessage = 0;
    }
    return largest;
  }

  close(): void {
    clearInterval(this.timer);
    this.playing.clear();
    for (const member of this.members) {
      if (member.status === "gone") continue; // closed already, when it failed or was refused
      member.status = "gone"; // so that what closing does to its connection is not a failure
      member.bot.close();
    }
  }

  private async joinOne(index: number): Promise<JoinAnswer> {
    const context: BotContext = {
      name: `bot${index + 1}`,
      localAddress: sourceAddress(index),
      server: this.server,
      meter: new Meter(),
      fail: (reason) => this.fail(member, reason),
    };
    const member: Member = {
      context,
      bot: this.adapter(context),
      walk: new RandomWalk(index + 1),
      status: "joining",
      nextFrameAt: 0,
    };
    this.members.push(member);
    let answer: JoinAnswer;
    try {
      answer = await member.bot.join();
    } catch (error) {
      answer = { seated: false, reason: error instanceof Error ? error.message : String(error) };
    }
    if (!answer.seated) {
      member.status = "gone";
      member.bot.close();
      return answer;
    }
    member.status = "playing";
    member.nextFrameAt = performance.now() + this.phase() * FRAME_MS;
    this.playing.add(member);
    return answer;
  }

  /**
   * A seated bot that cannot play on leaves; a failure while joining is the join's answer instead.
   */
  private fail(member: Member, reason: string): void {
    if (member.status !== "playing") return;
    member.status = "gone";
    this.playing.delete(member);
    member.bot.close();
    this.failures.set(reason, (this.failures.get(reason) ?? 0) + 1);
  }

  private runDueFrames(): void {
    const now = performance.now();
    for (const member of this.playing) {
      if (now < member.nextFrameAt) continue;
      if (!member.bot.frame(member.walk.next(now), now)) continue;
      // Like the client's loop: the next frame comes one period after this one was due,
      // or, when this one ran late (it waited for an answer), one period from now.
      member.nextFrameAt =
        now - member.nextFrameAt > TIMER_MS ? now + FRAME_MS : member.nextFrameAt + FRAME_MS;
    }
  }
}

/** Bot `index`'s source address: BOTS_PER_ADDRESS bots to each of 127.0.1.1, 127.0.1.2, … */
function sourceAddress(index: number): string {
  const group = Math.floor(index / BOTS_PER_ADDRESS);
  return `127.0.${1 + Math.floor(group / 254)}.${1 + (group % 254)}`;
}

/** The players a map holds: one on each floor cell. */
export function floorCells(map: GameMap): number {
  return map.rows.reduce(
    (sum, row) => sum + row.split("").filter((cell) => cell === ".").length,
    0,
  );
}
