/**
 * The write-up's `availablePorts` (steps 04 to 07): the ports a server hands
 * out, one to each player, and the `--ports` option that says which.
 */
import { type OptionSpecs, exitWithUsageError, portOption } from "./args.ts";

export const PORT_POOL_OPTIONS = {
  ports: {
    type: "string",
    default: "10000-10255",
    placeholder: "FIRST-LAST",
    description: "the dedicated ports players get, one each (a firewall must let them all in)",
  },
} satisfies OptionSpecs;

/** Every port of a range such as `10000-10255`, in order. */
export function portRange(value: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(value);
  const [first, last] = range
    ? [portOption(range[1]!, "--ports"), portOption(range[2]!, "--ports")]
    : [0, -1];
  if (first === 0 || last < first) {
    exitWithUsageError(`--ports must be a range of ports like 10000-10255, not '${value}'`);
  }
  return Array.from({ length: last - first + 1 }, (_, i) => first + i);
}
