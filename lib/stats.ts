/**
 * What a client counts while it plays: the messages each way, the states it
 * showed, how far its own square moved, and its ping. The status line and the
 * bot's JSON summary are made of these counts.
 */
import type { GameState } from "./state.ts";

/**
 * The value below which `share` (0..1) of the samples fall,
 * by the nearest-rank method; undefined for no samples.
 */
export function percentile(samples: readonly number[], share: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}

/**
 * Rounds to one decimal, the precision a millisecond figure deserves on a screen or in a summary.
 */
export const round1 = (value: number) => Math.round(value * 10) / 10;

export interface Counts {
  /** cells the own square moved, as the states showed it: 0 for a player who pressed nothing */
  moves: number;
  /** every message sent, inputs and heartbeats alike */
  sent: number;
  /** the states shown (a state that came late or twice is not shown) */
  states: number;
  /** the most players one state showed */
  players: number;
  /** the ping's median and 99th percentile; null when there was no sample to measure */
  rttMs: { p50: number | null; p99: number | null };
}

export class ClientStats {
  private moves = 0;
  private sent = 0;
  private states = 0;
  private mostPlayers = 0;
  private readonly rtts: number[] = [];
  private lastPosition: { x: number; y: number } | undefined;
  private thisSecond = { sent: 0, received: 0 };
  /** the messages of the last whole second, for the status line */
  private lastSecond = { sent: 0, received: 0 };

  messageSent(): void {
    this.sent++;
    this.thisSecond.sent++;
  }

  messageReceived(): void {
    this.thisSecond.received++;
  }

  stateShown(state: GameState, you: string): void {
    this.states++;
    this.mostPlayers = Math.max(this.mostPlayers, state.players.length);
    const own = state.players.find((square) => square.name === you);
    if (own && this.lastPosition) {
      this.moves += Math.abs(own.x - this.lastPosition.x) + Math.abs(own.y - this.lastPosition.y);
    }
    this.lastPosition = own;
  }

  ping(ms: number): void {
    this.rtts.push(ms);
  }

  /** Call once a second: the status line shows the rates of the last whole second. */
  secondPassed(): void {
    this.lastSecond = this.thisSecond;
    this.thisSecond = { sent: 0, received: 0 };
  }

  /** `players`: how many players the last state showed, in words ("4 online"). */
  statusLine(players: string, server: string): string {
    const ping = this.rtts.length > 0 ? `${Math.round(this.rtts.at(-1)!)} ms` : "–";
    const { sent, received } = this.lastSecond;
    return ` ping ${ping} · ${players} · sent ${sent}/s · received ${received}/s · ${server}`;
  }

  counts(): Counts {
    const rtt = (share: number) => {
      const value = percentile(this.rtts, share);
      return value === undefined ? null : round1(value);
    };
    return {
      moves: this.moves,
      sent: this.sent,
      states: this.states,
      players: this.mostPlayers,
      rttMs: { p50: rtt(0.5), p99: rtt(0.99) },
    };
  }
}
