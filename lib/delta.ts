/**
 * Deltas against the acknowledged state (step 10), the Quake 3 model: the server
 * sends each client only what changed since a state that client has said it holds.
 *
 * Every INPUT carries <held>, the newest tick whose whole state the client holds
 * (its protocol.ts). The server keeps the last KEPT_STATES states it sent each
 * client (SentStates) and writes each new one as a DELTA against the newest state
 * the client has acknowledged: the squares that moved, that came into the light
 * (with their name) and that left it. With no such state (a new client, or its
 * acknowledged state fell out of the ring) it sends a full state: a DELTA without base.
 *
 *     DELTA tick=1834 ghost=bot412 0=bot17,96,43,12,1830 1=bot530,97,41 2=bot88,93,45 END
 *     DELTA tick=1838 base=1834 ghost=bot412 0,97,43,13,1837 1,98,41 -2 3=bot61,103,40 END
 *
 * The second reads: against the state of tick 1834, your square (id 0) is at 97,43 with
 * your input 13 first applied in tick 1837; bot530 (id 1) moved to 98,41; bot88 left the
 * light; bot61 came into it, and is id 3 from now on. Squares not written did not move.
 *
 * Why against the acknowledged state, and not the last one sent: the last one sent
 * may be lost. A client that applied changes to another state than the one they were
 * written against would leave squares in wrong places, and every later delta would
 * build on the mistake. So the client (ReceivedStates) keeps the states it holds by
 * tick, applies a delta only to the very state it names, and drops it otherwise. It
 * never has to drop one newer than all it holds: the server only names a state the
 * client said it holds, and both keep the last KEPT_STATES ticks, so that state is
 * still in the client's ring. A lost DELTA costs the client that tick, never a wrong
 * square; a lost acknowledgement costs a few bytes, written against an older state.
 *
 * A square's id is short, and kept as long as the square stays in the light of
 * this client: the lowest id free when it came. A state holds at most
 * MOST_SQUARES_LIT squares (lib/lantern.ts), so every id is below it, and a
 * DELTA's squares with names plus those that left are at most that many too:
 * with names of 16 characters, the largest DELTA is under 1,000 bytes.
 */
import { MOST_SQUARES_LIT } from "./lantern.ts";
import type { Position } from "./map.ts";
import { type Place, type PlayerState, type TickedState, placeOf } from "./state.ts";
import type { Parsed } from "./words.ts";

/**
 * One square's change in a delta. `enter` is a square that came into the light, with
 * its name; `move` a square of the base state that moved (or your own, written every
 * time); `leave` a square of the base state that left the light.
 */
export type SquareChange =
  | ({ kind: "enter"; id: number } & PlayerState)
  | ({ kind: "move"; id: number } & Place)
  | { kind: "leave"; id: number };

/** The state of one tick, as its changes from the state of an older one. */
export interface Delta {
  tick: number;
  /** the tick of the state these changes apply to; undefined: they apply to nothing, a full state */
  base?: number;
  ghost: string | null;
  changes: SquareChange[];
}

/**
 * How many ticks of states the server keeps for each client, and each client keeps:
 * 1.6 s at 20 ticks a second, far more than the time an acknowledgement takes to come.
 */
export const KEPT_STATES = 32;

/** A state of one client: its squares by id (an id is an index below MOST_SQUARES_LIT). */
interface NumberedState {
  tick: number;
  squares: readonly (PlayerState | undefined)[];
}

/**
 * The newest states, one for each tick modulo KEPT_STATES: a state is kept until a
 * newer tick takes its place, and a late state never takes the place of a newer one.
 */
class Ring {
  private readonly states: (NumberedState | undefined)[] = new Array(KEPT_STATES);

  keep(state: NumberedState): void {
    const slot = state.tick % KEPT_STATES;
    if ((this.states[slot]?.tick ?? -1) < state.tick) this.states[slot] = state;
  }

  get(tick: number): NumberedState | undefined {
    const state = this.states[tick % KEPT_STATES];
    return state?.tick === tick ? state : undefined;
  }
}

/**
 * The state SentStates is writing, until it is kept: its squares by id, and one past its highest
 * id. One object that every SentStates shares: next() fills and empties it in one call.
 */
const writing = {
  squares: new Array<PlayerState | undefined>(MOST_SQUARES_LIT).fill(undefined),
  end: 0,
};
/** The squares of that state without an id yet, and their places in its list. */
const newcomers: PlayerState[] = [];
const newcomerPlaces: number[] = [];
/** The id of each square of that state, in the order of its list. */
const idsInOrder = new Uint8Array(MOST_SQUARES_LIT);

/**
 * The server's side, one for each client: the states it sent, and which of them the client holds.
 *
 * Its ring of states is flat arrays, written in place. States kept for 1.6 s outlive V8's young
 * generation: kept as arrays of squares, 20,000 a second at 1,000 players, they were copied to the
 * old one and collected there, and a server sending deltas peaked at 185 to 245 MB (one sending
 * whole states: 130 MB); written in place, at 143 to 185 MB (ten runs, the machine shared).
 *
 * Each kept state can be read back (holds, ghostOf, cellOf): a binary DELTA writes a square's walk
 * since the base, from the base's cell. Read here, where next() has just been, and not from a second
 * copy of each state, step 13's server took 29.2 and 28.4 % of a core at 1,000 players instead of
 * 31.0 and 31.4, and peaked 10 MB lower (npm run bench -- --steps 13 --players 1000 --seconds 5
 * --probes 0, twice each). next() keeps the new state first, so a base KEPT_STATES ticks back,
 * whose slot the new state takes, is no longer held: that DELTA is written whole.
 */
export class SentStates {
  /** the tick of the state in each slot (one for each tick modulo KEPT_STATES), -1 for none */
  private readonly ticks = new Float64Array(KEPT_STATES).fill(-1);
  /**
   * Each slot's squares by id, MOST_SQUARES_LIT to a slot: which square (its serial, 0 for none)
   * and its cell. A serial is this client's count of the squares that took an id, and a square
   * keeps its serial as long as its id: a slot's id holds the same square as now if it holds
   * the same serial. Numbers, not names: the names were an array of 8 KB of pointers a client, far
   * from the cells in memory and written every tick, and every client's ring is cold by its turn in
   * the tick. With serials, three A/B runs at 1,000 players: step 13's server, which reads the cells
   * back, 27.8, 27.6 and 27.8 % of a core, then 26.4, 25.4 and 25.6; step 10's within its noise
   * (27.2, 27.0 and 27.4, then 27.6, 27.2 and 25.6); both 6 to 8 MB less at the peak. 16 bits: two
   * squares on one id share a serial only 65,535 newcomers apart, and a base held is at most
   * KEPT_STATES ticks old, each tick's next() bringing at most MOST_SQUARES_LIT: 1,024 serials.
   */
  private readonly serials = new Uint16Array(KEPT_STATES * MOST_SQUARES_LIT);
  // 16 bits, not 32: every client's ring is cold by its turn in the tick, and half the bytes made
  // next() 5-10 % faster in a benchmark of 1,000 clients. A cell past 65,535 only costs its square
  // a move written every tick, and cellOf would answer it wrapped: no map is that big (step 13 writes
  // x in 8 bits).
  private readonly xs = new Uint16Array(KEPT_STATES * MOST_SQUARES_LIT);
  private readonly ys = new Uint16Array(KEPT_STATES * MOST_SQUARES_LIT);
  /** one past each slot's highest id: the ids above it are empty (most states light fewer than MOST_SQUARES_LIT) */
  private readonly ends = new Uint8Array(KEPT_STATES);
  private readonly ghosts = new Array<string | null>(KEPT_STATES).fill(null);
  /** the name of each id in the last state sent: a square keeps its id from one state to the next */
  private readonly lastNames = new Array<string | undefined>(MOST_SQUARES_LIT).fill(undefined);
  /** the serial of each id's square in the state being written */
  private readonly serialOf = new Uint16Array(MOST_SQUARES_LIT);
  /** the serial the last newcomer took */
  private serial = 0;
  /** one past the highest id of the last state sent: the ids above it have no name */
  private lastEnd = 0;
  /**
   * The ids of the last state sent in the order of its list, how many, and each id's place in
   * that order. The lantern lists the squares in much the same order every tick, so number()
   * looks for a square first right after the one it found before: 88 % are there (1,000 players
   * on the mansion), one comparison instead of a search through every name. Searching, step 10's
   * server took 27.0 % of a core at 1,000 players, and step 13's 28.0 and 27.6; looking there first,
   * 25.6 and 25.4, and 27.2 and 27.0 (npm run bench -- --steps 10,13 --players 1000 --seconds 5
   * --probes 0, twice each).
   */
  private readonly lastOrder = new Uint8Array(MOST_SQUARES_LIT);
  private lastCount = 0;
  private readonly lastPlaceOf = new Uint8Array(MOST_SQUARES_LIT);
  /** the newest tick the client says it holds, if it is one this client was sent */
  private acknowledged: number | undefined;

  /** `you`: the client's own square, written in every DELTA (with its acks, if its square has them). */
  constructor(private readonly you: string) {}

  /**
   * The client says it holds the state of `tick`. A tick never sent to it (a lie, or a
   * mistake) is ignored, and so is an acknowledgement that comes after a newer one.
   */
  acknowledge(tick: number): void {
    if (!this.holds(tick)) return;
    if (this.acknowledged === undefined || tick > this.acknowledged) this.acknowledged = tick;
  }

  /**
   * `state` (what the client sees in tick `state.tick`, at most MOST_SQUARES_LIT squares) as
   * its changes from the newest state the client holds, or whole; kept, as the client will be sent it.
   */
  next(state: TickedState): Delta {
    if (state.players.length > MOST_SQUARES_LIT)
      throw new Error(
        `a state holds at most ${MOST_SQUARES_LIT} squares, not ${state.players.length}`,
      );
    const baseline =
      this.acknowledged !== undefined && this.holds(this.acknowledged)
        ? this.acknowledged
        : undefined;
    this.number(state.players);
    const changes = this.changesFrom(baseline === undefined ? -1 : baseline % KEPT_STATES);
    this.keep(state.tick, state.ghost);
    const { tick, ghost } = state;
    // Written out, not spread from a { base }: that spread was 3 % of a profile of SentStates.
    if (baseline === undefined) return { tick, ghost, changes };
    return { tick, base: baseline, ghost, changes };
  }

  /** Whether the state of `tick` was sent to the client and is still kept. */
  holds(tick: number): boolean {
    return this.ticks[tick % KEPT_STATES] === tick;
  }

  /** The ghost in the state of `tick`, a tick held. */
  ghostOf(tick: number): string | null {
    return this.ghosts[tick % KEPT_STATES]!;
  }

  /** Where the square of `id` stood in the state of `tick`, a tick held; undefined if it had none. */
  cellOf(tick: number, id: number): Position | undefined {
    const slot = tick % KEPT_STATES;
    const cell = slot * MOST_SQUARES_LIT + id;
    // The ids from the slot's end up hold what an older state left there.
    if (id >= this.ends[slot]! || this.serials[cell] === 0) return undefined;
    return { x: this.xs[cell]!, y: this.ys[cell]! };
  }

  /**
   * Puts `players` in `writing` by id: a square keeps the id it had in the last state sent, a new
   * one takes the lowest free.
   */
  private number(players: readonly PlayerState[]): void {
    const { squares } = writing;
    const { lastNames, lastOrder, lastCount, lastPlaceOf } = this;
    let end = 0;
    // the place in the last state's order right after the square found last
    let next = 0;
    for (let place = 0; place < players.length; place++) {
      const { name } = players[place]!;
      const likely = next < lastCount && lastNames[lastOrder[next]!] === name;
      const id = likely ? lastOrder[next]! : lastNames.indexOf(name);
      if (id === -1) {
        newcomers.push(players[place]!);
        newcomerPlaces.push(place);
        continue;
      }
      squares[id] = players[place];
      idsInOrder[place] = id;
      next = lastPlaceOf[id]! + 1;
      if (id >= end) end = id + 1;
    }
    let free = 0;
    for (let index = 0; index < newcomers.length; index++) {
      while (squares[free]) free++;
      squares[free] = newcomers[index];
      this.serial = (this.serial % 65535) + 1;
      this.serialOf[free] = this.serial;
      idsInOrder[newcomerPlaces[index]!] = free;
      if (free >= end) end = free + 1;
    }
    newcomers.length = 0;
    newcomerPlaces.length = 0;
    for (let place = 0; place < players.length; place++) {
      lastOrder[place] = idsInOrder[place]!;
      lastPlaceOf[idsInOrder[place]!] = place;
    }
    this.lastCount = players.length;
    // Only the ids that either state holds (the others have no name in either, keep() having
    // emptied `writing`): all MOST_SQUARES_LIT of them were 15 % of next().
    const heldByEither = Math.max(end, this.lastEnd);
    for (let id = 0; id < heldByEither; id++) lastNames[id] = squares[id]?.name;
    this.lastEnd = end;
    writing.end = end;
  }

  /**
   * What turns the state in `slot` (-1: none) into `writing`, id by id. A square whose id held
   * another square before comes with its name; so does one whose id changed, or that left and came
   * back to it (a new serial). `you` is always written.
   */
  private changesFrom(slot: number): SquareChange[] {
    const { serials, serialOf, xs, ys, you } = this;
    const { squares } = writing;
    const changes: SquareChange[] = [];
    const first = slot * MOST_SQUARES_LIT;
    const before = slot === -1 ? 0 : this.ends[slot]!;
    const end = Math.max(before, writing.end);
    for (let id = 0; id < end; id++) {
      const was = id < before ? serials[first + id]! : 0;
      const square = squares[id];
      if (!square) {
        if (was !== 0) changes.push({ kind: "leave", id });
      } else if (was !== serialOf[id]) changes.push(enterOf(id, square));
      // your name last: most squares in sight move every tick, and names are compared by their letters
      else if (square.x !== xs[first + id] || square.y !== ys[first + id] || square.name === you)
        changes.push(moveOf(id, square));
    }
    return changes;
  }

  /**
   * `writing`, kept in the slot of `tick` (the client will be sent it), unless the slot holds a
   * newer tick; and emptied.
   */
  private keep(tick: number, ghost: string | null): void {
    const slot = tick % KEPT_STATES;
    const { squares, end } = writing;
    const newer = this.ticks[slot]! >= tick;
    if (!newer) {
      this.ticks[slot] = tick;
      this.ends[slot] = end;
      this.ghosts[slot] = ghost;
    }
    const first = slot * MOST_SQUARES_LIT;
    for (let id = 0; id < end; id++) {
      const square = squares[id];
      squares[id] = undefined;
      if (newer) continue;
      this.serials[first + id] = square ? this.serialOf[id]! : 0;
      this.xs[first + id] = square?.x ?? 0;
      this.ys[first + id] = square?.y ?? 0;
    }
  }
}

/**
 * A square's move, or its coming into the light. Only your own square carries acks: the others,
 * most of a DELTA, are written as one object instead of placeOf's two and a spread (placeOf was
 * 6 % of step 10's deltas; the spread into an enter, 1.5 % of step 12's server).
 */
function moveOf(id: number, square: PlayerState): SquareChange {
  if (square.ack === undefined && square.ackTick === undefined)
    return { kind: "move", id, x: square.x, y: square.y };
  return { kind: "move", id, ...placeOf(square) };
}

function enterOf(id: number, square: PlayerState): SquareChange {
  const { name, x, y } = square;
  if (square.ack === undefined && square.ackTick === undefined)
    return { kind: "enter", id, name, x, y };
  return { kind: "enter", id, name, ...placeOf(square) };
}

/** The client's side: the states it holds, by tick, and the newest of them, which it acknowledges. */
export class ReceivedStates {
  private readonly held = new Ring();
  /** the newest tick whose state this client holds: <held> in every INPUT */
  newestTick: number | undefined;

  /**
   * `you`: this client's own square, which every DELTA must write, with its acks unless `acks` is
   * false (a client whose inputs carry their tick needs none: the state's tick says what it holds).
   */
  constructor(
    private readonly you: string,
    private readonly options: { acks: boolean } = { acks: true },
  ) {}

  /**
   * The state a DELTA describes, kept, or why not: the state it changes is not held
   * (lost, or too old: drop the DELTA and wait for the next), or the DELTA does not
   * fit that state (a broken or hostile server).
   */
  apply(delta: Delta): Parsed<TickedState> {
    let squares: (PlayerState | undefined)[] = [];
    if (delta.base !== undefined) {
      const baseline = this.held.get(delta.base);
      if (!baseline) return { ok: false, reason: `the state of tick ${delta.base} is not held` };
      squares = [...baseline.squares];
    }
    let ownWritten = false;
    const put = (id: number, square: PlayerState) => {
      squares[id] = square;
      const acked = square.ack !== undefined && square.ackTick !== undefined;
      if (square.name === this.you && (acked || !this.options.acks)) ownWritten = true;
    };
    for (const change of delta.changes) {
      if (change.kind === "enter") {
        put(change.id, { name: change.name, ...placeOf(change) });
        continue;
      }
      const was = squares[change.id];
      if (!was)
        return { ok: false, reason: `DELTA changes id ${change.id}, which the state has not` };
      if (change.kind === "leave") squares[change.id] = undefined;
      else put(change.id, { name: was.name, ...placeOf(change) });
    }
    const players = squares.filter((square) => square !== undefined);
    if (new Set(players.map(({ name }) => name)).size !== players.length)
      return { ok: false, reason: "DELTA leaves two squares with one name" };
    if (!ownWritten) {
      const reason = `DELTA does not write your square${this.options.acks ? " with its acks" : ""}`;
      return { ok: false, reason };
    }
    this.held.keep({ tick: delta.tick, squares });
    if (this.newestTick === undefined || delta.tick > this.newestTick) this.newestTick = delta.tick;
    return { ok: true, message: { tick: delta.tick, ghost: delta.ghost, players } };
  }
}
