/**
 * What every step's protocol.ts reads the same way and no step teaches: a message
 * is a line of words, a name is a username, a number is plain digits. Each step's
 * grammar (its messages, their words and fields) is in that step's protocol.ts.
 */

/** The write-up's receive size: the longest message a server accepts, in bytes. */
export const MAX_MESSAGE_BYTES = 1024;
/**
 * The longest message a client accepts from its server. A welcome carries the
 * map and every square, far less than this; a server that sends more is broken
 * or hostile, and must not fill the client's memory.
 */
export const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_USERNAME_LENGTH = 16;

/** A message read, or why it cannot be: a reason fit for `ERROR <reason>`. */
export type Parsed<T> = { ok: true; message: T } | { ok: false; reason: string };

export const ok = <T>(message: T) => ({ ok: true, message }) as const;
export const fail = (reason: string) => ({ ok: false, reason }) as const;

/** A stranger's word quoted in an ERROR is cut short: an answer should never be much bigger than the question. */
export const shorten = (word: string) => word.slice(0, 32);

/** The words of a message: separated by spaces, with none before the first or after the last. */
export function wordsOf(line: string): string[] {
  return line.trim().split(/\s+/);
}

/** Why a username is refused, or undefined when it is fine. */
export function usernameProblem(name: string): string | undefined {
  if (name === "") return "username is empty";
  if (name.length > MAX_USERNAME_LENGTH)
    return `username is longer than ${MAX_USERNAME_LENGTH} characters`;
  if (!/^[A-Za-z0-9_-]+$/.test(name)) return "username may only use letters, digits, _ and -";
  return undefined;
}

/** A whole number written in plain digits, or undefined. */
export function parseCount(word: string): number | undefined {
  return /^\d{1,15}$/.test(word) ? Number(word) : undefined;
}

/**
 * `<name>,<number>,<number>…`, a square as the states write it: the name and the numbers,
 * or undefined when the name is not a username or a number is not plain digits.
 */
export function nameAndNumbers(word: string): { name: string; numbers: number[] } | undefined {
  const [name = "", ...fields] = word.split(",");
  const numbers = fields.map(parseCount);
  if (usernameProblem(name) || numbers.includes(undefined)) return undefined;
  return { name, numbers: numbers as number[] };
}

/**
 * Takes a `<key>=<value>` word off the front of `words` and returns its value, or
 * returns undefined and takes nothing when the first word is not that field.
 */
export function takeField(words: string[], key: string): string | undefined {
  return words[0]?.startsWith(`${key}=`) ? words.shift()!.slice(key.length + 1) : undefined;
}

/** The words of a `<key>=<value>` field: one word, or none when there is no value to write. */
export function fieldWords(key: string, value: string | number | null | undefined): string[] {
  return value === undefined || value === null ? [] : [`${key}=${value}`];
}
