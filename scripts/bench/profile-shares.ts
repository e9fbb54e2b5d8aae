/**
 * The shares of a profile that `npm run bench -- --profile DIR` wrote (server-profiles.ts), the
 * largest first, by file and by function (what each did itself, not what it called; a function
 * without a file is V8's or Node's own):
 * - a `.cpuprofile`: the share of the time the process was idle, then of the busy time. `send`
 *   is the system call, `(garbage collector)` the collector.
 * - a `.heapprofile`: how many bytes the server allocated, in the window, that outlived V8's young
 *   generation, and the share of them each made (sampled: a few hundred KB is noise).
 *
 *     npx tsx scripts/bench/profile-shares.ts bench-profile/10-1000.cpuprofile [TOP]
 *     npx tsx scripts/bench/profile-shares.ts bench-profile/10-1000.heapprofile [TOP]
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { ROOT } from "../harness/steps.ts";

interface CallFrame {
  functionName: string;
  url: string;
}
interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
}
interface HeapNode {
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const [file, top = "25"] = process.argv.slice(2);
if (!file || !/\.(cpu|heap)profile$/.test(file)) {
  console.error(
    "usage: npx tsx scripts/bench/profile-shares.ts FILE.cpuprofile|FILE.heapprofile [TOP]",
  );
  process.exit(2);
}
const profile: unknown = JSON.parse(readFileSync(file, "utf8"));
const weightOf = { file: new Map<string, number>(), function: new Map<string, number>() };

function count(map: Map<string, number>, key: string, weight: number): void {
  map.set(key, (map.get(key) ?? 0) + weight);
}

/** Adds `weight` (samples, or bytes) to the frame's file and function. */
function add({ functionName, url }: CallFrame, weight: number): void {
  const file = url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url;
  const name = functionName || "(anonymous)";
  count(weightOf.file, file || name, weight);
  count(weightOf.function, file ? `${name} ${file}` : name, weight);
}

function printShares(of: string, total: number, skip = ""): void {
  if (total === 0) return;
  for (const [by, weights] of Object.entries(weightOf)) {
    console.log(`\n${of} by ${by}:`);
    const shares = [...weights].filter(([name]) => name !== skip).sort((a, b) => b[1] - a[1]);
    for (const [name, weight] of shares.slice(0, Number(top)))
      console.log(`${((weight / total) * 100).toFixed(1).padStart(5)} %  ${name}`);
  }
}

if (file.endsWith(".cpuprofile")) {
  const { nodes, samples } = profile as CpuProfile;
  const frameOf = new Map(nodes.map((node) => [node.id, node.callFrame]));
  for (const id of samples) add(frameOf.get(id)!, 1);
  const idle = weightOf.function.get("(idle)") ?? 0;
  console.log(`${samples.length} samples, ${((idle / samples.length) * 100).toFixed(1)} % idle`);
  printShares("the busy time", samples.length - idle, "(idle)");
} else {
  let bytes = 0;
  const walk = (node: HeapNode) => {
    if (node.selfSize > 0) add(node.callFrame, node.selfSize);
    bytes += node.selfSize;
    node.children.forEach(walk);
  };
  walk((profile as { head: HeapNode }).head);
  console.log(`${(bytes / 1e6).toFixed(1)} MB outlived the young generation`);
  printShares("those bytes", bytes);
}
