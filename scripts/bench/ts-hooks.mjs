/**
 * Module loading hooks for a bot thread (see bot-thread.mjs).
 *
 * Node 20 cannot run TypeScript. tsx teaches it how, but loading tsx in each
 * bot thread costs about 0.3 s of CPU a bot, so the swarm turns every .ts file
 * of lib/ and steps/ into JavaScript once, and these hooks hand Node that
 * JavaScript whenever a bot thread loads one of those files. The URL stays the
 * .ts file's own, so `import.meta.url` and stack traces name the real file.
 *
 * This file is JavaScript because it is what teaches Node TypeScript.
 */

/** JavaScript by the file URL of the .ts file it was made from */
let javascript = {};

export function initialize(data) {
  javascript = data.javascript;
}

export async function load(url, context, nextLoad) {
  const source = javascript[url];
  if (source !== undefined) return { format: "module", source, shortCircuit: true };
  return nextLoad(url, context);
}
