/**
 * Command-line options for every script: node:util parseArgs, plus `--help`
 * and one-line errors instead of stack traces.
 */
import { parseArgs } from "node:util";
import { usernameProblem } from "./words.ts";
import { findStep, stepFolders, stepOf } from "./steps.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  description: string;
  default?: string | boolean;
  /** the value's name in --help, e.g. PORT */
  placeholder?: string;
}
export type OptionSpecs = Record<string, OptionSpec>;

/**
 * What parsing gives each option: a boolean (false when
 * absent), or a string, possibly absent when it has no default.
 */
export type OptionValues<S extends OptionSpecs> = {
  [K in keyof S]: S[K]["type"] extends "boolean"
    ? boolean
    : S[K] extends { default: string }
      ? string
      : string | undefined;
};

const HELP: OptionSpec = { type: "boolean", default: false, description: "show this help" };

/** Prints the error and the way to --help, then exits: what a user needs, without a stack trace. */
export function exitWithUsageError(message: string): never {
  console.error(`error: ${message}\n(run with --help to see every option)`);
  process.exit(2);
}

/**
 * Parses `argv` against `specs`. `--help` prints the usage and exits 0; an
 * unknown option or a missing value exits 2 with one line saying which.
 */
export function parseOptions<S extends OptionSpecs>(
  usage: { command: string; summary: string; positionals?: string },
  specs: S,
  argv = process.argv.slice(2),
): { values: OptionValues<S>; positionals: string[] } {
  const all: OptionSpecs = { ...specs, help: HELP };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(all).map(([name, { type, default: fallback }]) => [
          name,
          { type, default: fallback },
        ]),
      ),
      allowPositionals: usage.positionals !== undefined,
      strict: true,
    });
  } catch (error) {
    exitWithUsageError((error as Error).message.split("\n")[0]!);
  }
  if (parsed.values.help) {
    const positionals = usage.positionals ? ` ${usage.positionals}` : "";
    console.log(`${usage.summary}\n\nusage: ${usage.command} [options]${positionals}\n`);
    for (const [name, spec] of Object.entries(all)) {
      const flag =
        spec.type === "string" ? `--${name} ${spec.placeholder ?? "VALUE"}` : `--${name}`;
      const fallback =
        spec.default === undefined || spec.default === false ? "" : ` (default: ${spec.default})`;
      console.log(`  ${flag.padEnd(22)} ${spec.description}${fallback}`);
    }
    process.exit(0);
  }
  // parseArgs types its result for any options; these are the ones `specs` describes.
  return { values: parsed.values as OptionValues<S>, positionals: parsed.positionals };
}

/**
 * The folder of the step a command line names ("03", "3" or "03-tcp-persistent"), or a usage
 * error that lists the steps there are. `option` says where the name was given, e.g. --steps.
 */
export function stepArgument(name: string, option?: string): string {
  const folder = findStep(name);
  if (folder !== undefined) return folder;
  const where = option === undefined ? "" : `${option}: `;
  exitWithUsageError(`${where}there is no step ${name} (steps: ${stepFolders().join(", ")})`);
}

export function portOption(value: string, name = "--port"): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) {
    exitWithUsageError(`${name} must be a whole number from 0 to 65535, not '${value}'`);
  }
  return port;
}

export function numberOption(
  value: string,
  name: string,
  { min = 0, max = Infinity } = {},
): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < min || number > max) {
    const range = `from ${min}${max === Infinity ? " up" : ` to ${max}`}`;
    exitWithUsageError(`${name} must be a number ${range}, not '${value}'`);
  }
  return number;
}

/**
 * `--host` and `--port`, the two options every server
 * and client has, with their meaning on each side.
 */
export function addressOptions(side: "server" | "client", defaultPort: number) {
  return {
    host: {
      type: "string",
      default: side === "server" ? "0.0.0.0" : "127.0.0.1",
      placeholder: "HOST",
      description:
        side === "server"
          ? "address to listen on (0.0.0.0: every network interface)"
          : "the server's address",
    },
    port: {
      type: "string",
      default: String(defaultPort),
      placeholder: "PORT",
      description: side === "server" ? "port to listen on (0: any free port)" : "the server's port",
    },
  } satisfies OptionSpecs;
}

export interface ServerOptions {
  host: string;
  port: number;
}

type AddressOptions = ReturnType<typeof addressOptions>;

/** The options of a step's server: --host, --port and the step's own `extra` ones. */
export function serverOptions<S extends OptionSpecs>(
  scriptUrl: string,
  summary: string,
  defaultPort: number,
  extra: S,
): ServerOptions & { values: OptionValues<S> } {
  const { folder } = stepOf(scriptUrl);
  const command = `npx tsx steps/${folder}/server.ts`;
  const specs = { ...addressOptions("server", defaultPort), ...extra };
  const { values }: { values: OptionValues<AddressOptions> & OptionValues<S> } = parseOptions(
    { command, summary },
    specs,
  );
  return { host: values.host, port: portOption(values.port), values };
}

export interface ClientOptions {
  step: string;
  host: string;
  port: number;
  name: string;
  bot: boolean;
  /** seconds to play before leaving by itself, or undefined to play until the player quits */
  duration: number | undefined;
  /** client frames per second */
  sendRate: number;
}

const CLIENT_OPTIONS = {
  name: {
    type: "string",
    placeholder: "NAME",
    description: "your username: 1 to 16 of A-Z a-z 0-9 _ - (default: a random one)",
  },
  bot: {
    type: "boolean",
    default: false,
    description: "play headless: move by itself and print a JSON summary at the end",
  },
  duration: {
    type: "string",
    placeholder: "SECONDS",
    description: "leave the game after this many seconds",
  },
  "send-rate": {
    type: "string",
    default: "20",
    placeholder: "HZ",
    description:
      "client frames per second: each sends the held input (steps 02-05) or looks for a change (06 on)",
  },
} satisfies OptionSpecs;

/**
 * The options of a step's client: --host, --port, who
 * plays and how, and the step's own `extra` ones.
 */
export function clientOptions<S extends OptionSpecs>(
  scriptUrl: string,
  summary: string,
  defaultPort: number,
  extra: S,
): ClientOptions & { values: OptionValues<S> } {
  const { number, folder } = stepOf(scriptUrl);
  const command = `npx tsx steps/${folder}/client.ts`;
  const specs = { ...addressOptions("client", defaultPort), ...CLIENT_OPTIONS, ...extra };
  const {
    values,
  }: { values: OptionValues<AddressOptions & typeof CLIENT_OPTIONS> & OptionValues<S> } =
    parseOptions({ command, summary }, specs);
  const name = values.name ?? `player${Math.floor(Math.random() * 10000)}`;
  const problem = usernameProblem(name);
  if (problem) exitWithUsageError(`--name: ${problem}`);
  return {
    step: number,
    host: values.host,
    port: portOption(values.port),
    name,
    bot: values.bot,
    duration:
      values.duration === undefined
        ? undefined
        : numberOption(values.duration, "--duration", { min: 0.1 }),
    sendRate: numberOption(values["send-rate"], "--send-rate", { min: 1, max: 1000 }),
    values,
  };
}
