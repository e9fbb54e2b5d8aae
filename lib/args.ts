/**
 * Command-line options for every script: node:util parseArgs, plus `--help`
 * and one-line errors instead of stack traces.
 */
import { basename, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { type NetworkConditions } from "./netsim.ts";
import { usernameProblem } from "./protocol.ts";

export interface OptionSpec {
  type: "string" | "boolean";
  description: string;
  default?: string | boolean;
  /** the value's name in --help, e.g. PORT */
  placeholder?: string;
}
export type OptionSpecs = Record<string, OptionSpec>;
type Values<S extends OptionSpecs> = {
  [K in keyof S]: S[K]["type"] extends "boolean" ? boolean : string;
};

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
): { values: Values<S>; positionals: string[] } {
  const all = { ...specs, help: { type: "boolean", description: "show this help" } } as OptionSpecs;
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: Object.fromEntries(
        Object.entries(all).map(([name, { type, default: d }]) => [name, { type, default: d }]),
      ),
      allowPositionals: usage.positionals !== undefined,
      strict: true,
    });
  } catch (error) {
    exitWithUsageError((error as Error).message.split("\n")[0]!);
  }
  if (parsed.values.help) {
    console.log(
      `${usage.summary}\n\nusage: ${usage.command} [options]${usage.positionals ? ` ${usage.positionals}` : ""}\n`,
    );
    for (const [name, spec] of Object.entries(all)) {
      const flag =
        spec.type === "string" ? `--${name} ${spec.placeholder ?? "VALUE"}` : `--${name}`;
      const fallback =
        spec.default === undefined || spec.default === false ? "" : ` (default: ${spec.default})`;
      console.log(`  ${flag.padEnd(22)} ${spec.description}${fallback}`);
    }
    process.exit(0);
  }
  return { values: parsed.values as Values<S>, positionals: parsed.positionals };
}

export function portOption(value: string, name = "--port"): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    exitWithUsageError(`${name} must be a whole number from 0 to 65535, not '${value}'`);
  return port;
}

export function numberOption(
  value: string,
  name: string,
  { min = 0, max = Infinity } = {},
): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number) || number < min || number > max) {
    exitWithUsageError(
      `${name} must be a number from ${min}${max === Infinity ? " up" : ` to ${max}`}, not '${value}'`,
    );
  }
  return number;
}

/** "02" for a script in steps/02-tcp-squares/: every client and server knows its step from where it lives. */
export function stepOf(scriptUrl: string): { number: string; folder: string } {
  const folder = basename(dirname(fileURLToPath(scriptUrl)));
  return { number: folder.slice(0, 2), folder };
}

export interface ServerOptions {
  host: string;
  port: number;
}

export function serverOptions<S extends OptionSpecs>(
  scriptUrl: string,
  summary: string,
  defaultPort: number,
  extra: S = {} as S,
): ServerOptions & { values: Values<S> } {
  const { folder } = stepOf(scriptUrl);
  const { values } = parseOptions(
    { command: `npx tsx steps/${folder}/server.ts`, summary },
    {
      host: {
        type: "string",
        default: "0.0.0.0",
        placeholder: "HOST",
        description: "address to listen on (0.0.0.0: every network interface)",
      },
      port: {
        type: "string",
        default: String(defaultPort),
        placeholder: "PORT",
        description: "port to listen on (0: any free port)",
      },
      ...extra,
    },
  );
  return {
    host: values.host as string,
    port: portOption(values.port as string),
    values: values as Values<S>,
  };
}

export interface ClientOptions {
  step: string;
  host: string;
  port: number;
  name: string;
  bot: boolean;
  /** seconds to play before leaving by itself, or undefined to play until the player quits */
  duration: number | undefined;
  /** messages the client sends per second */
  sendRate: number;
}

export function clientOptions<S extends OptionSpecs>(
  scriptUrl: string,
  summary: string,
  defaultPort: number,
  extra: S = {} as S,
): ClientOptions & { values: Values<S> } {
  const { number, folder } = stepOf(scriptUrl);
  const { values } = parseOptions(
    { command: `npx tsx steps/${folder}/client.ts`, summary },
    {
      host: {
        type: "string",
        default: "127.0.0.1",
        placeholder: "HOST",
        description: "the server's address",
      },
      port: {
        type: "string",
        default: String(defaultPort),
        placeholder: "PORT",
        description: "the server's port",
      },
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
          "client frames per second: each sends the held input (steps 02-05) or looks for a change (06-07)",
      },
      ...extra,
    },
  );
  const name = (values.name as string | undefined) ?? `player${Math.floor(Math.random() * 10000)}`;
  const problem = usernameProblem(name);
  if (problem) exitWithUsageError(`--name: ${problem}`);
  return {
    step: number,
    host: values.host as string,
    port: portOption(values.port as string),
    name,
    bot: values.bot as boolean,
    duration:
      values.duration === undefined
        ? undefined
        : numberOption(values.duration as string, "--duration", { min: 0.1 }),
    sendRate: numberOption(values["send-rate"] as string, "--send-rate", { min: 1, max: 1000 }),
    values: values as Values<S>,
  };
}

/** The options of every UDP server and client: a network made worse on purpose (see lib/netsim.ts). */
export const NETWORK_OPTIONS = {
  lag: {
    type: "string",
    default: "0",
    placeholder: "MS",
    description: "simulated one-way delay of every datagram this program sends",
  },
  jitter: {
    type: "string",
    default: "0",
    placeholder: "MS",
    description: "simulated random extra delay, up to this much (reorders datagrams)",
  },
  loss: {
    type: "string",
    default: "0",
    placeholder: "PERCENT",
    description: "simulated share of datagrams lost on the way",
  },
  duplicate: {
    type: "string",
    default: "0",
    placeholder: "PERCENT",
    description: "simulated share of datagrams delivered twice",
  },
} satisfies OptionSpecs;

export function networkConditions(values: {
  lag: string;
  jitter: string;
  loss: string;
  duplicate: string;
}): NetworkConditions {
  return {
    lagMs: numberOption(values.lag, "--lag", { max: 10_000 }),
    jitterMs: numberOption(values.jitter, "--jitter", { max: 10_000 }),
    lossPercent: numberOption(values.loss, "--loss", { max: 100 }),
    duplicatePercent: numberOption(values.duplicate, "--duplicate", { max: 100 }),
  };
}

/**
 * The server's pool of dedicated ports, like the write-up's availablePorts:
 * a range such as `10000-10255`, or a count such as `64` for that many ports
 * chosen by the system (0 means "any free port" to bind), which tests use.
 */
export function portPoolOption(value: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(value);
  if (range) {
    const [first, last] = [portOption(range[1]!, "--ports"), portOption(range[2]!, "--ports")];
    if (first === 0 || last < first)
      exitWithUsageError(`--ports must be a range like 10000-10255, not '${value}'`);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 10_000)
    return Array<number>(Number(value)).fill(0);
  exitWithUsageError(`--ports must be a range like 10000-10255 or a count like 64, not '${value}'`);
}
