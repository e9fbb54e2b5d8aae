/**
 * The shares of a CPU profile (a .cpuprofile, see cpu-profile.ts): the share
 * of the time the process was idle, then of the busy time each file took and
 * each function, their own time (not what they call), the largest first. A
 * function without a file is V8's or Node's own: `send` is the system call,
 * `(garbage collector)` the collector.
 *
 *     npx tsx scripts/bench/profile-shares.ts bench-profile/10-1000.cpuprofile [TOP]
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { ROOT } from "../harness/steps.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
}

const [file, top = "25"] = process.argv.slice(2);
if (!file) {
  console.error("usage: npx tsx scripts/bench/profile-shares.ts FILE.cpuprofile [TOP]");
  process.exit(2);
}
const profile: Profile = JSON.parse(readFileSync(file, "utf8"));
const frameOf = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
const samplesOf = { file: new Map<string, number>(), function: new Map<string, number>() };
const count = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
for (const id of profile.samples) {
  const { functionName, url } = frameOf.get(id)!;
  const file = url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url;
  const name = functionName || "(anonymous)";
  count(samplesOf.file, file || name);
  count(samplesOf.function, file ? `${name} ${file}` : name);
}
const total = profile.samples.length;
const idle = samplesOf.function.get("(idle)") ?? 0;
console.log(`${total} samples, ${((idle / total) * 100).toFixed(1)} % idle`);
for (const [by, samples] of Object.entries(samplesOf)) {
  console.log(`\nthe busy time by ${by}:`);
  const busy = [...samples].filter(([name]) => name !== "(idle)").sort((a, b) => b[1] - a[1]);
  for (const [name, count] of busy.slice(0, Number(top)))
    console.log(`${((count / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${name}`);
}
