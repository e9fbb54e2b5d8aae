/**
 * `npm start`: play the newest step at once. Starts its server and a few bots
 * in the background, then your own client in this terminal; when you quit,
 * everything stops.
 *
 * It is a game from the first second: from step 09 every newcomer starts by the
 * mansion's entrance (lib/room.ts says why), so you join beside the bots, and
 * you join last, so that a bot is the ghost and the hunt starts without you.
 */
import { type ChildProcess } from "node:child_process";
import { exitWithUsageError, numberOption, parseOptions } from "../lib/args.ts";
import { LINES_PER_WINDOW } from "../lib/serve.ts";
import { runScript, startServer } from "./harness/launch.ts";
import { hasSourceLimits, stepArgument, stepFolders, stepNumber } from "./harness/steps.ts";

const { values } = parseOptions(
  {
    command: "npm start --",
    summary:
      "Plays a step on this machine in one command: starts its server on a free port of 127.0.0.1, " +
      "the bots, and once they are in, your client in this terminal; q stops everything.\n" +
      "The newest step is the dark mansion: everyone starts by its entrance, so you see the bots " +
      "at once, and a bot is the ghost (the first player in is), so a tag comes within a minute.",
  },
  {
    step: {
      type: "string",
      placeholder: "NN",
      description: "the step to play (default: the newest game step)",
    },
    bots: {
      type: "string",
      default: "3",
      placeholder: "N",
      description: "how many bots play with you",
    },
    name: { type: "string", default: "you", placeholder: "NAME", description: "your username" },
  },
);
const folder = values.step === undefined ? stepFolders().at(-1)! : stepArgument(values.step);
if (folder.startsWith("01"))
  exitWithUsageError("step 01 is an echo server, not a game: run its two commands from its README");
const botCount = numberOption(values.bots, "--bots", { min: 0, max: 50 });

// Every bot and you play from 127.0.0.1: the UDP servers' limit of players per address (04 on;
// 8 by default, a defence against one machine taking the house) must let all of you in.
const perAddress = hasSourceLimits(stepNumber(folder))
  ? ["--per-address", String(botCount + 1)]
  : [];
const server = await startServer(folder, perAddress).catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
const where = ["--host", server.host, "--port", String(server.port)];
/** How long to wait for the bots to be seated before you join all the same. */
const BOTS_JOIN_MS = 10_000;
const bots: ChildProcess[] = Array.from({ length: botCount }, (_, i) =>
  runScript(folder, "client", [...where, "--bot", "--name", `bot${i + 1}`], { stdio: "ignore" }),
);
// You join last, so that a bot is the ghost: the first player in is, and a ghost that waits for
// its player's first key would tag nobody. Each seat is a line of the server's log, but a log
// writes only its first lines of a burst: past those, the last line written is the sign.
const seatsLogged = Math.min(botCount, LINES_PER_WINDOW);
if (botCount > 0) await server.line(new RegExp(`joined \\(${seatsLogged} online\\)`), BOTS_JOIN_MS);
const you = runScript(folder, "client", [...where, "--name", values.name], { stdio: "inherit" });

// The client owns the keyboard (Ctrl-C arrives there
// as a key press); this process only waits for it.
process.on("SIGINT", () => {});
you.on("exit", async (code) => {
  for (const bot of bots) bot.kill("SIGTERM");
  await server.stop();
  process.exit(code ?? 1);
});
