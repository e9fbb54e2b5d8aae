/**
 * How many seats one source may take on a UDP server. Without a limit, one
 * program can say CONNECTED with a new name again and again and take every
 * seat. The limit is one player per address and port (one socket is one
 * player), and a few per address, because a family or an office behind one
 * home router shares one public address.
 */
import type { OptionSpecs } from "./args.ts";

export const SOURCE_LIMIT_OPTIONS = {
  "per-address": {
    type: "string",
    default: "8",
    placeholder: "N",
    description: "players one IP address may have at once (a LAN behind one router shares one)",
  },
} satisfies OptionSpecs;

export interface Source {
  address: string;
  port: number;
}

/** One key for an address and port: on a server with one socket, the key of one player. */
export const endpoint = ({ address, port }: Source) => `${address}:${port}`;

export class SourceLimits {
  private readonly endpoints = new Set<string>();
  private readonly perAddress = new Map<string, number>();

  constructor(readonly maxPerAddress: number) {}

  /** Why this source may not take one more seat, or undefined if it may. */
  refusal(source: Source): string | undefined {
    if (this.endpoints.has(endpoint(source))) return "this address and port already play";
    if ((this.perAddress.get(source.address) ?? 0) >= this.maxPerAddress) {
      return `at most ${this.maxPerAddress} players per address`;
    }
    return undefined;
  }

  taken(source: Source): void {
    this.endpoints.add(endpoint(source));
    this.perAddress.set(source.address, (this.perAddress.get(source.address) ?? 0) + 1);
  }

  released(source: Source): void {
    this.endpoints.delete(endpoint(source));
    const left = (this.perAddress.get(source.address) ?? 1) - 1;
    if (left === 0) this.perAddress.delete(source.address);
    else this.perAddress.set(source.address, left);
  }
}
