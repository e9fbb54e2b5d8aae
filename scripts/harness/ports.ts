/**
 * For the bench and the experiments: a range of ports free on this machine, for the
 * dedicated ports (`--ports`) of a pool server they start.
 */
import dgram from "node:dgram";
import { once } from "node:events";

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
