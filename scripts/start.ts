/**
 * `npm start`: play the newest step at once. Starts its server and a few bots
 * in the background, then your own client in this terminal; when you quit,
 * everything stops.
 */
import { type ChildProcess } from "node:child_process";
import { exitWithUsageError, numberOption, parseOptions } from "../lib/args.ts";
import { runScript, startServer } from "./harness/launch.ts";
import { stepArgument, stepFolders } from "./harness/steps.ts";

const { values } = parseOptions(
  {
    command: "npm start --",
    summary:
      "Plays a step on this machine: its server, some bots, and your client, in one command.",
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

const server = await startServer(folder).catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(1);
});
const where = ["--host", server.host, "--port", String(server.port)];
const bots: ChildProcess[] = Array.from({ length: botCount }, (_, i) =>
  runScript(folder, "client", [...where, "--bot", "--name", `bot${i + 1}`], { stdio: "ignore" }),
);
const you = runScript(folder, "client", [...where, "--name", values.name], { stdio: "inherit" });

// The client owns the keyboard (Ctrl-C arrives there
// as a key press); this process only waits for it.
process.on("SIGINT", () => {});
you.on("exit", async (code) => {
  for (const bot of bots) bot.kill("SIGTERM");
  await server.stop();
  process.exit(code ?? 1);
});
