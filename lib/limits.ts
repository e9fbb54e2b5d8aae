/**
 * How many seats one source may take on a UDP server. Without a limit, one
 * program can say CONNECTED with a new name again and again and take every
 * seat. The limit is one player per address and port (one socket is one
 * player), and a few per address, because a family or an office behind one
 * home router shares one public address.
 */
import { type OptionSpecs, numberOption } from "./args.ts";

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

export class SourceLimits {
  private readonly endpoints = new Set<string>();
  private readonly perAddress = new Map<string, number>();
  readonly maxPerAddress: number;

  constructor(maxPerAddressOption: string) {
    this.maxPerAddress = numberOption(maxPerAddressOption, "--per-address", { min: 1 });
  }

  /** Why this source may not take one more seat, or undefined if it may. */
  refusal({ address, port }: Source): string | undefined {
    if (this.endpoints.has(`${address}:${port}`)) return "this address and port already play";
    if ((this.perAddress.get(address) ?? 0) >= this.maxPerAddress) {
      return `at most ${this.maxPerAddress} players per address`;
    }
    return undefined;
  }

  taken({ address, port }: Source): void {
    this.endpoints.add(`${address}:${port}`);
    this.perAddress.set(address, (this.perAddress.get(address) ?? 0) + 1);
  }

  released({ address, port }: Source): void {
    this.endpoints.delete(`${address}:${port}`);
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left === 0) this.perAddress.delete(address);
    else this.perAddress.set(address, left);
  }
}
