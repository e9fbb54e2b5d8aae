/**
 * Command-line options for every script: node:util parseArgs, plus `--help`
 * and one-line errors instead of stack traces.
 */
import { basename, dirname, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { usernameProblem } from "./words.ts";

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

/** Help lines are wrapped to fit a terminal of this width. */
const HELP_WIDTH = 80;

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
      args: withNegativeNumbersAttached(argv, all),
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
    exitWithUsageError(parseProblem(error as Error & { code?: string }));
  }
  if (parsed.values.help) {
    console.log(helpText(usage, all));
    process.exit(0);
  }
  // parseArgs types its result for any options; these are the ones `specs` describes.
  return { values: parsed.values as OptionValues<S>, positionals: parsed.positionals };
}

/**
 * `--lag -5` as `--lag=-5`: parseArgs takes a value that starts with a dash for an option
 * and refuses it as ambiguous, when the user meant a number, which the option's check refuses.
 */
function withNegativeNumbersAttached(argv: string[], specs: OptionSpecs): string[] {
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const next = argv[i + 1];
    const spec = arg.startsWith("--") ? specs[arg.slice(2)] : undefined;
    if (spec?.type === "string" && next !== undefined && /^-[\d.]/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  return args;
}

/** What parseArgs refused, in one short line instead of its paragraph. */
function parseProblem(error: Error & { code?: string }): string {
  const quoted = /'([^' ]+)/.exec(error.message)?.[1] ?? "";
  switch (error.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `there is no option ${quoted}`;
    case "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL":
      return `unexpected argument '${quoted}': this command takes only options`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE":
      if (/does not take an argument/.test(error.message)) return `${quoted} takes no value`;
      if (/ambiguous/.test(error.message)) {
        return `${quoted} needs a value (one that starts with '-' is written ${quoted}=VALUE)`;
      }
      return `${quoted} needs a value`;
    default:
      return error.message.split("\n")[0]!;
  }
}

/** The usage, then each option: its flag in a column as wide as the widest, then what it does. */
function helpText(
  usage: { command: string; summary: string; positionals?: string },
  specs: OptionSpecs,
): string {
  const positionals = usage.positionals ? ` ${usage.positionals}` : "";
  const flags = Object.entries(specs).map(([name, spec]) =>
    spec.type === "string" ? `--${name} ${spec.placeholder ?? "VALUE"}` : `--${name}`,
  );
  const column = Math.max(...flags.map((flag) => flag.length)) + 4;
  const lines = Object.values(specs).map((spec, i) => {
    const fallback =
      spec.default === undefined || spec.default === false ? "" : ` (default: ${spec.default})`;
    const [first, ...rest] = wrap(spec.description + fallback, HELP_WIDTH - column);
    const indent = " ".repeat(column);
    return [`  ${flags[i]!.padEnd(column - 2)}${first}`, ...rest.map((line) => indent + line)];
  });
  return [
    `${usage.summary}\n`,
    `usage: ${usage.command} [options]${positionals}\n`,
    ...lines.flat(),
  ].join("\n");
}

/** Words in lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/** A port a server listens on (0: any free port), or with `{ min: 1 }` one a client connects to. */
export function portOption(value: string, name = "--port", { min = 0 } = {}): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port < min || port > 65535) {
    exitWithUsageError(`${name} must be a whole number from ${min} to 65535, not '${value}'`);
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
    const range = max === Infinity ? `≥ ${min}` : `from ${min} to ${max}`;
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

/** How a script is run from here, for its --help: `npx tsx steps/02-tcp-squares/client.ts`. */
const commandOf = (scriptUrl: string) =>
  `npx tsx ${relative(process.cwd(), fileURLToPath(scriptUrl))}`;

/** The step a script belongs to, as its folder's name begins: "02" for steps/02-tcp-squares/. */
const stepOf = (scriptUrl: string) => basename(dirname(fileURLToPath(scriptUrl))).split("-")[0]!;

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
  const specs = { ...addressOptions("server", defaultPort), ...extra };
  const { values }: { values: OptionValues<AddressOptions> & OptionValues<S> } = parseOptions(
    { command: commandOf(scriptUrl), summary },
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
    description: "leave the game this many seconds after joining it",
  },
  "send-rate": {
    type: "string",
    default: "20",
    placeholder: "HZ",
    description:
      "client frames per second: each sends the held input, or (where only changes are sent) looks for a change",
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
  const specs = { ...addressOptions("client", defaultPort), ...CLIENT_OPTIONS, ...extra };
  const {
    values,
  }: { values: OptionValues<AddressOptions & typeof CLIENT_OPTIONS> & OptionValues<S> } =
    parseOptions({ command: commandOf(scriptUrl), summary }, specs);
  const name = values.name ?? `player${Math.floor(Math.random() * 10000)}`;
  const problem = usernameProblem(name);
  if (problem) exitWithUsageError(`--name: ${problem}`);
  return {
    step: stepOf(scriptUrl),
    host: values.host,
    port: portOption(values.port, "--port", { min: 1 }),
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
