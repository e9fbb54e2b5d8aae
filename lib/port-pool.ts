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

/**
 * How many ports of the pool one newcomer's seat may try. A port another program holds (the
 * server of another step, started beside this one) cannot be bound: the seat takes the next,
 * and a pool whose every port is held elsewhere still answers in a bounded time.
 */
export const PORT_TRIES = 16;

/** Whether a bind failed because another socket holds the port. */
export const isPortTaken = (error: Error) => (error as NodeJS.ErrnoException).code === "EADDRINUSE";
