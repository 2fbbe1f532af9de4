import { parseArgs } from "node:util";
import type { CliIo } from "./io";

/** Exit codes of every command. */
export const ExitCode = {
  /** Everything worked. */
  ok: 0,
  /** The command ran but something failed (an event not published, a call refused). */
  failure: 1,
  /** The command line itself is wrong; nothing was done. */
  usage: 2,
} as const;

/** The command line is wrong: unknown option, missing or malformed value. Exits with 2. */
export class CliUsageError extends Error {
  public override readonly name = "CliUsageError";
}

/** One option of a command, with what `--help` says about it. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  /** One line for `--help`. */
  readonly description: string;
  /** A one-letter alias, e.g. `f` for `-f`. @default - none */
  readonly short?: string;
  /** The placeholder shown in `--help`, e.g. `NAME`. @default VALUE */
  readonly valueName?: string;
  /** The command refuses to run without it. @default false */
  readonly required?: boolean;
}

/** A command's options, by long name. */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

/** The parsed values of a command's options, typed from their specs. */
export type OptionValues<O extends OptionSpecs> = {
  readonly [K in keyof O]: O[K]["type"] extends "boolean"
    ? boolean
    : O[K]["required"] extends true
      ? string
      : string | undefined;
};

/** What a command file declares. */
export interface CommandSpec<O extends OptionSpecs> {
  /** The word after `eventrail`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraphs for `--help`, after the usage line. @default - the summary */
  readonly description?: string;
  /** The usage line's arguments, e.g. `--bus NAME [--file F.ndjson]`. */
  readonly usage: string;
  readonly options: O;
  /** Complete command lines, shown by `--help`. */
  readonly examples: readonly string[];
  /** Does the work; resolves with the exit code. Throw `CliUsageError` for a bad command line. */
  run(options: OptionValues<O>, io: CliIo): Promise<number>;
}

/** A command as the dispatcher sees it, whatever its options. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Parses `args` (what follows the command name) and runs; resolves with the exit code. */
  run(args: readonly string[], io: CliIo): Promise<number>;
}

/** Options every command takes. */
const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h", description: "Show this help and exit." },
  debug: { type: "boolean", description: "On error, print the stack trace too." },
} as const satisfies OptionSpecs;

/**
 * Declares a command: `--help` (with usage, options and examples) and `--debug` come for free,
 * arguments are parsed strictly with node:util `parseArgs`, required options are checked, and
 * `run` receives typed values.
 */
export function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): Command {
  const options: OptionSpecs = { ...spec.options, ...COMMON_OPTIONS };
  const help = () => renderHelp(spec, options);
  return {
    name: spec.name,
    summary: spec.summary,
    async run(args, io) {
      const values = parseOptions(spec.name, options, args);
      if (values.help === true) {
        io.stdout.write(`${help()}\n`);
        return ExitCode.ok;
      }
      for (const [name, option] of Object.entries(spec.options)) {
        if (option.required === true && values[name] === undefined) {
          throw new CliUsageError(
            `--${name} is required: ${option.description} Run "eventrail ${spec.name} --help" for examples.`,
          );
        }
      }
      return spec.run(values as OptionValues<O>, io);
    },
  };
}

function parseOptions(
  command: string,
  options: OptionSpecs,
  args: readonly string[],
): Record<string, string | boolean | undefined> {
  const config = Object.fromEntries(
    Object.entries(options).map(([name, option]) => [
      name,
      option.short === undefined ? { type: option.type } : { type: option.type, short: option.short },
    ]),
  );
  try {
    const { values } = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: false });
    const booleans = Object.entries(options).filter(([, option]) => option.type === "boolean");
    return {
      ...Object.fromEntries(booleans.map(([name]) => [name, false])),
      ...(values as Record<string, string | boolean>),
    };
  } catch (error) {
    // parseArgs explains precisely (unknown option, missing value); add where to look.
    throw new CliUsageError(
      `${(error as Error).message.replace(/\.?$/, ".")} Run "eventrail ${command} --help" for the options.`,
      { cause: error },
    );
  }
}

function renderHelp(spec: CommandSpec<OptionSpecs>, options: OptionSpecs): string {
  const rows = Object.entries(options).map(([name, option]) => {
    const flag = `${option.short === undefined ? "    " : `-${option.short}, `}--${name}`;
    const value = option.type === "string" ? ` ${option.valueName ?? "VALUE"}` : "";
    return [
      `${flag}${value}`,
      `${option.description}${option.required === true ? " (required)" : ""}`,
    ] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length));
  return [
    `Usage: eventrail ${spec.name} ${spec.usage}`,
    "",
    spec.description ?? spec.summary,
    "",
    "Options:",
    ...rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`),
    "",
    "Examples:",
    ...spec.examples.map((example) => `  ${example}`),
  ].join("\n");
}
