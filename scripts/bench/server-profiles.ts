/**
 * `npm run bench -- --profile DIR`: each run's server records two profiles of the measured
 * window. run.ts loads this file into the server only (NODE_OPTIONS at its spawn, with
 * BENCH_PROFILE naming both files but for their extension). The bench sends SIGUSR2 when the
 * window opens (the joins are not profiled), and this starts V8's two sampling profilers:
 * - `.cpuprofile`: where the time went;
 * - `.heapprofile`: what the server allocated that outlived V8's young generation. An object
 *   still alive at its second collection there is moved to the old generation, which only a
 *   full collection empties: such objects are what makes a server's memory grow between those.
 *   The profiler forgets what the young generation collects, and one last young collection
 *   before the profile is written (run.ts gives the server --expose-gc for it) forgets the
 *   garbage still waiting there.
 * When the bench stops the server (SIGTERM), it writes both and exits as SIGTERM would have.
 * Node's own --cpu-prof and --heap-prof profile the whole process and write only on a normal
 * exit. `npx tsx scripts/bench/profile-shares.ts FILE` summarises either; Chrome's DevTools
 * (Performance, or Memory, then Load profile) shows it whole.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/** Bytes between two samples on average: at 16 KB, a server at 1,000 players takes a few thousand a second. */
const HEAP_SAMPLE_BYTES = 16 * 1024;

const files = process.env.BENCH_PROFILE;
if (files) {
  const session = new Session();
  session.connect();
  // The two fields after the first are V8's, and not yet in @types/node's list.
  const survivorsOnly = {
    samplingInterval: HEAP_SAMPLE_BYTES,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: false,
  };
  /** A profile the server could not start or write: said on stderr, the bench's log of the server. */
  const failed = (error: unknown) => {
    console.error(`server-profiles: ${files}: ${error instanceof Error ? error.message : error}`);
    process.exitCode = 1;
  };
  process.once("SIGUSR2", async () => {
    try {
      await session.post("Profiler.enable");
      await session.post("Profiler.start");
      await session.post("HeapProfiler.startSampling", survivorsOnly);
    } catch (error) {
      failed(error);
    }
  });
  process.once("SIGTERM", async () => {
    try {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(`${files}.cpuprofile`, JSON.stringify(profile));
      globalThis.gc?.({ type: "minor" });
      const { profile: survivors } = await session.post("HeapProfiler.stopSampling");
      writeFileSync(`${files}.heapprofile`, JSON.stringify(survivors));
    } catch (error) {
      failed(error);
    } finally {
      process.exit(process.exitCode ?? 143);
    }
  });
}
