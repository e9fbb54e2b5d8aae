/**
 * What Linux tells about any running process, from /proc: the CPU time it has
 * used, the most memory it has held, and the memory it holds now. The bench reads the server's figures
 * from outside, so the server runs exactly as a learner runs it.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

export interface ProcessSample {
  /** when the sample was taken, in performance.now() milliseconds */
  at: number;
  /** CPU time used so far, user and system, in seconds (every thread of the process) */
  cpuSeconds: number;
  /** the most resident memory the process has held so far (VmHWM), in bytes */
  peakMemoryBytes: number;
}

/** /proc counts CPU time in clock ticks: CLK_TCK of them a second, almost always 100. */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" })) || 100;
  } catch {
    return 100;
  }
})();

/** The process's figures now, or undefined if it has gone (or this is not Linux). */
export function sampleProcess(pid: number): ProcessSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Field 2, the command name, is in parentheses and may hold spaces:
    // split what comes after it. That rest starts at field 3, so utime
    // (field 14) and stime (field 15) are its 12th and 13th words.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]);
    return {
      at: performance.now(),
      cpuSeconds: ticks / TICKS_PER_SECOND,
      peakMemoryBytes: memoryBytes(pid, "VmHWM"),
    };
  } catch {
    return undefined;
  }
}

/** The process's resident memory now (VmRSS), or undefined if it has gone (or this is not Linux). */
export function residentBytes(pid: number): number | undefined {
  try {
    return memoryBytes(pid, "VmRSS");
  } catch {
    return undefined;
  }
}

/** A memory figure of /proc/<pid>/status, which gives it in kB, in bytes. */
function memoryBytes(pid: number, field: "VmHWM" | "VmRSS"): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status)?.[1];
  return Number(kb ?? 0) * 1024;
}
