/**
 * The shares of a CPU profile (a .cpuprofile, see cpu-profile.ts): each
 * function's own time as a percentage of the samples, the largest first, and
 * the share of the time the process was idle.
 *
 *     npx tsx scripts/bench/profile-shares.ts bench-profile/10-1000.cpuprofile [TOP]
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { ROOT } from "../../lib/steps.ts";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
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
const samplesOf = new Map<string, number>();
for (const id of profile.samples) {
  const { functionName, url, lineNumber } = frameOf.get(id)!;
  const where = url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url;
  const name = `${functionName || "(anonymous)"}${where ? ` ${where}:${lineNumber + 1}` : ""}`;
  samplesOf.set(name, (samplesOf.get(name) ?? 0) + 1);
}
const total = profile.samples.length;
const idle = samplesOf.get("(idle)") ?? 0;
console.log(
  `${total} samples, ${((idle / total) * 100).toFixed(1)} % idle; shares of the busy time:`,
);
const busy = [...samplesOf].filter(([name]) => name !== "(idle)").sort((a, b) => b[1] - a[1]);
for (const [name, samples] of busy.slice(0, Number(top)))
  console.log(`${((samples / (total - idle)) * 100).toFixed(1).padStart(5)} %  ${name}`);
