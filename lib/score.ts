/**
 * The score as one client sees it: who tagged whom, how long each player has
 * been a human, and whether the new ghost is still resting after a tag.
 *
 * It is worked out on the client from the states the client receives, not
 * sent by the server. Everything it needs is already in every state (the
 * ghost's name and who is present), and putting the score into the state
 * would make every state of every step bigger and change every step's
 * protocol for figures each client can count itself. The price is that a
 * client counts what it has seen: from the moment it joined, in the states
 * that reached it, timed by its own clock. Two clients may differ by a state
 * or two, and a state lost on the way hides nothing but a few milliseconds.
 *
 * From step 09 a client sees only the squares its lantern lights (lib/lantern.ts),
 * so a player missing from a state may have left or may only be in the dark: the
 * scoreboard is of the players in sight, and a change of ghost whose old ghost is
 * out of sight is told as just that, since it may be a tag or a departure.
 */
import { TAG_GRACE_MS } from "./game.ts";
import type { GameState } from "./state.ts";

/** How long the status line tells of a tag. */
export const EVENT_MS = 4000;

/** The ghost changed: by a tag, or because the ghost left and the oldest player inherited the curse. */
export type GhostChange =
  | { kind: "tag"; by: string; tagged: string; at: number }
  | { kind: "inherit"; left: string; heir: string; at: number }
  /** with a lantern, the old ghost was out of sight: a tag or a departure, this client cannot tell */
  | { kind: "unseen"; ghost: string; at: number };

export interface PlayerScore {
  name: string;
  /** how long the player has been a human while this client watched */
  humanMs: number;
  /** how many players this one has tagged while this client watched */
  tags: number;
}

/** This player's own score, for the summary a client prints when it ends. */
export interface OwnScore {
  /** players this one tagged, as its client saw the states */
  tags: number;
  /** how long this player was the ghost, as its client saw the states */
  ghostSeconds: number;
}

export class Score {
  /** the players in the last state, with the number of the last state each was in */
  private readonly scores = new Map<string, PlayerScore & { seenIn: number }>();
  private last: { ghost: string | null; at: number } | undefined;
  private stateCount = 0;
  private change: GhostChange | undefined;
  private restingUntil = -Infinity;
  private ownGhostMs = 0;
  private ownTags = 0;

  /**
   * `lantern`: the states hold only the squares in this player's light (step 09 on),
   * not everyone in the game (steps 02 to 08).
   */
  constructor(
    private readonly you: string,
    private readonly options: { lantern: boolean } = { lantern: false },
  ) {}

  /** Counts what happened between the last state seen and this one, which arrived at `now`. */
  observe(state: GameState, now: number): void {
    const before = this.last;
    this.last = { ghost: state.ghost, at: now };
    this.stateCount++;
    // One pass over the players: this runs for every state, with up to a thousand players in it.
    for (const { name } of state.players) {
      const score = this.scores.get(name);
      if (!score) {
        this.scores.set(name, { name, humanMs: 0, tags: 0, seenIn: this.stateCount });
        continue;
      }
      score.seenIn = this.stateCount;
      // between two states, a player is taken to have been what the older one said
      if (before && name !== before.ghost) score.humanMs += now - before.at;
    }
    // there are more scores than players only when someone has left
    if (this.scores.size > state.players.length) {
      for (const [name, score] of this.scores)
        if (score.seenIn !== this.stateCount) this.scores.delete(name);
    }
    if (!before) return;
    const ghostBefore = before.ghost;
    if (ghostBefore === this.you && this.scores.has(this.you)) this.ownGhostMs += now - before.at;
    if (ghostBefore === null || state.ghost === null || ghostBefore === state.ghost) return;
    const tag = tagBetween(ghostBefore, state);
    if (tag) return this.tagSeen(tag, now);
    // No tag, and so no rest for the new ghost: the old ghost left and the oldest player
    // inherited the curse. With a lantern, an old ghost out of sight may have done either:
    // no tag is counted and no rest shown, since neither is known to have happened.
    this.change = this.options.lantern
      ? { kind: "unseen", ghost: state.ghost, at: now }
      : { kind: "inherit", left: ghostBefore, heir: state.ghost, at: now };
  }

  /** The last change of ghost, while the status line should still tell of it. */
  latestChange(now: number): GhostChange | undefined {
    return this.change && now - this.change.at < EVENT_MS ? this.change : undefined;
  }

  /** Whether the ghost cannot tag yet: a tag was seen less than TAG_GRACE_MS ago. */
  ghostResting(now: number): boolean {
    return now < this.restingUntil;
  }

  /** How long until the resting ghost can tag, in milliseconds: 0 when it can. */
  restLeftMs(now: number): number {
    return Math.max(0, this.restingUntil - now);
  }

  /** Every player present (with a lantern: in sight), the longest human first. */
  board(): PlayerScore[] {
    return [...this.scores.values()]
      .map(({ name, humanMs, tags }) => ({ name, humanMs, tags }))
      .sort((a, b) => b.humanMs - a.humanMs || b.tags - a.tags || (a.name < b.name ? -1 : 1));
  }

  /** The own figures for a bot's summary: tags made, and seconds spent as the ghost. */
  summary(): OwnScore {
    return {
      tags: this.ownTags,
      ghostSeconds: Math.round(this.ownGhostMs / 100) / 10,
    };
  }

  /** A ghost change told from this player's side: "you were tagged by X", "you tagged X", "X tagged Y". */
  describe(change: GhostChange): string {
    const who = (name: string) => (name === this.you ? "you" : name);
    const isTheGhost = (name: string) =>
      `${who(name)} ${name === this.you ? "are" : "is"} the ghost`;
    if (change.kind === "inherit") return `${change.left} left: ${isTheGhost(change.heir)}`;
    if (change.kind === "unseen") return `${isTheGhost(change.ghost)} now`;
    if (change.tagged === this.you) return `you were tagged by ${change.by}`;
    return `${who(change.by)} tagged ${change.tagged}`;
  }

  /** Counts a tag to the tagger, and starts the rest the server gives the one it tagged. */
  private tagSeen({ by, tagged }: Tag, now: number): void {
    this.change = { kind: "tag", by, tagged, at: now };
    // the tagger is in this state (that is what made it a tag), so it has a score
    this.scores.get(by)!.tags++;
    if (by === this.you) this.ownTags++;
    // The server's grace began when it applied the tag, a little before this state reached us.
    this.restingUntil = now + TAG_GRACE_MS;
  }
}

/** One player tagging another: `by` was the ghost, `tagged` is the ghost now. */
export interface Tag {
  by: string;
  tagged: string;
}

/**
 * The tag that changed the ghost between a state whose ghost was `ghostBefore` and
 * `state`, or undefined when the ghost did not change by a tag. The old ghost still
 * in `state` was there to tag the new one; gone from it, it left and the oldest player
 * inherited the curse (or, with a lantern, it is out of sight and may have done either).
 */
export function tagBetween(ghostBefore: string | null, state: GameState): Tag | undefined {
  const ghostAfter = state.ghost;
  if (ghostBefore === null || ghostAfter === null || ghostBefore === ghostAfter) return undefined;
  const oldGhostStayed = state.players.some(({ name }) => name === ghostBefore);
  return oldGhostStayed ? { by: ghostBefore, tagged: ghostAfter } : undefined;
}
