/**
 * The write-up's `availablePorts` (steps 04 to 07): the ports a server hands
 * out, one to each player, and the `--ports` option that says which. Also,
 * for the bench and the experiments, a range of ports free on this machine.
 */
import dgram from "node:dgram";
import { once } from "node:events";
import { type OptionSpecs, exitWithUsageError, portOption } from "./args.ts";

/** Whether a step's server takes `--ports`: 04 to 07 do (08 on have one socket for all players). */
export const hasPortPool = (step: string) => Number(step) >= 4 && Number(step) <= 7;

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

/** Linux hands out ports by itself from here on (its ephemeral range): a pool stays below. */
const FIRST_EPHEMERAL_PORT = 32768;

/**
 * The first range of `count` ports, from port `first` on and below the ephemeral ports, that
 * are all free for UDP on 127.0.0.1 now. Another program (a bench, a test) may hold some
 * ports: the range skips them. Nothing holds the range after the check: start its server next.
 */
export async function freePortRange(
  count: number,
  first: number,
): Promise<{ first: number; last: number }> {
  for (let start = first; start + count <= FIRST_EPHEMERAL_PORT; start += count) {
    if (await allFree(start, count)) return { first: start, last: start + count - 1 };
  }
  throw new Error(
    `no ${count} free UDP ports in a row from ${first} to ${FIRST_EPHEMERAL_PORT - 1}`,
  );
}

/** Whether every port of a range can be bound now: each is bound, then let go. */
async function allFree(first: number, count: number): Promise<boolean> {
  const sockets: dgram.Socket[] = [];
  try {
    for (let port = first; port < first + count; port++) {
      const socket = dgram.createSocket("udp4");
      sockets.push(socket);
      socket.bind(port, "127.0.0.1");
      await once(socket, "listening");
    }
    return true;
  } catch {
    return false;
  } finally {
    for (const socket of sockets) socket.close();
  }
}
