/**
 * `npm run bench -- --profile DIR`: each run's server records a CPU profile.
 * run.ts loads this file into the server only (NODE_OPTIONS at its spawn, with
 * BENCH_CPU_PROFILE naming the file): it starts V8's sampling profiler when
 * the measured window opens (the bench sends SIGUSR2: the joins are not
 * profiled) and, when the bench stops the server (SIGTERM), writes the profile
 * and exits as SIGTERM would have. Node's own --cpu-prof profiles the whole
 * process and writes only on a normal exit.
 * `npx tsx scripts/bench/profile-shares.ts FILE` summarises one; Chrome's
 * DevTools (Performance, Load profile) shows it whole.
 */
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector";

const file = process.env.BENCH_CPU_PROFILE;
if (file) {
  const session = new Session();
  session.connect();
  session.post("Profiler.enable");
  process.once("SIGUSR2", () => session.post("Profiler.start"));
  process.once("SIGTERM", () => {
    session.post("Profiler.stop", (error, { profile }) => {
      if (!error) writeFileSync(file, JSON.stringify(profile));
      process.exit(143);
    });
  });
}
