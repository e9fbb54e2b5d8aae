/**
 * What a crowd bot reads from a server's message, read straight from its bytes.
 *
 * A real client parses every state in full (its step's protocol.ts). A crowd of 1000
 * cannot: each state lists every player, so parsing all of them costs the crowd
 * O(N²) a second, and the crowd, not the server, would be the limit. A bot needs
 * only the message's type, the state's tick and its own ack, which sit at known
 * places: the start of the message, and after ` <name>,`. tests/bench.test.ts
 * checks that these readings agree with step 06's protocol.ts.
 */

/** The message's first word, e.g. "STATE": a bot's answer is a state, a welcome or an error. */
export function messageType(message: Buffer): string {
  const space = message.indexOf(" ");
  return message.toString("latin1", 0, space === -1 ? Math.min(message.length, 16) : space);
}

const TICK = Buffer.from("STATE tick=");

/** The tick number of a STATE (steps 05 on), or undefined if it has none. */
export function tickOf(state: Buffer): number | undefined {
  if (state.compare(TICK, 0, TICK.length, 0, TICK.length) !== 0) return undefined;
  return numberAt(state, TICK.length);
}

/** The ack of player `name` in a STATE (steps 06 on): the last of `<name>,<x>,<y>,<ack>`. */
export function ackOf(state: Buffer, name: string): number | undefined {
  // the space before and the comma after the name: "bot1," is never found inside " bot12,"
  const at = state.indexOf(` ${name},`);
  if (at === -1) return undefined;
  const afterX = state.indexOf(",", at + name.length + 2);
  const afterY = afterX === -1 ? -1 : state.indexOf(",", afterX + 1);
  const nextWord = state.indexOf(" ", at + 1);
  if (afterY === -1 || (nextWord !== -1 && afterY > nextWord)) return undefined;
  return numberAt(state, afterY + 1);
}

/** The whole number written in plain digits from byte `start` on, or undefined if there is none. */
function numberAt(bytes: Buffer, start: number): number | undefined {
  let value = 0;
  let end = start;
  for (; end < bytes.length && bytes[end]! >= 0x30 && bytes[end]! <= 0x39; end++)
    value = value * 10 + bytes[end]! - 0x30;
  return end === start ? undefined : value;
}
