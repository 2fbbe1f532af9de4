import { CliUsageError, type Command, ExitCode } from "./command";
import type { CliIo } from "./io";

/** One subcommand of a group: a command made with `defineCommand({ name: "dlq peek", ... })`. */
export interface Subcommand {
  /** Its `name` is `<group> <word>`, e.g. `dlq peek`, so its help and errors name it in full. */
  readonly command: Command;
  /**
   * The option a leading positional argument stands for: `dlq peek inventory` is read as
   * `dlq peek --dlq inventory`.
   * @default - no positional argument
   */
  readonly positional?: string;
  /**
   * String options that may be given more than once; their values reach the command joined with
   * commas (`--subscription a --subscription b` as `--subscription a,b`).
   * @default - none
   */
  readonly repeatable?: readonly string[];
}

/** What a command group declares. */
export interface CommandGroupSpec {
  /** The word after `eventrail`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Paragraphs for `--help`. @default - the summary */
  readonly description?: string;
  readonly subcommands: readonly Subcommand[];
  /**
   * The subcommand word run when the first argument is an option (`replay --from 2h` runs `replay
   * start`) or when there is none.
   * @default - none: the group's help is printed, with exit code 2
   */
  readonly defaultSubcommand?: string;
  /** Complete command lines, shown by `--help`. */
  readonly examples: readonly string[];
}

/**
 * A command made of subcommands (`eventrail dlq list|peek|redrive`): dispatches on the first word,
 * reads a leading positional argument as an option, joins repeated options, and gives the group a
 * `--help` listing its subcommands. Each subcommand keeps `defineCommand`'s strict parsing and help.
 */
export function defineCommandGroup(spec: CommandGroupSpec): Command {
  const words = spec.subcommands.map((s) => subcommandWord(spec.name, s.command));
  const help = () => renderGroupHelp(spec, words);
  return {
    name: spec.name,
    summary: spec.summary,
    async run(args: readonly string[], io: CliIo): Promise<number> {
      const [first, ...rest] = args;
      if (first === "--help" || first === "-h" || first === "help") {
        io.stdout.write(`${help()}\n`);
        return ExitCode.ok;
      }
      const explicit = first !== undefined && !first.startsWith("-");
      const word = explicit ? first : spec.defaultSubcommand;
      if (word === undefined) {
        io.stderr.write(`${help()}\n`);
        return ExitCode.usage;
      }
      const index = words.indexOf(word);
      const subcommand = spec.subcommands[index];
      if (subcommand === undefined) {
        throw new CliUsageError(
          `Unknown subcommand "${word}" of ${spec.name}; expected one of: ${words.join(", ")}. Run "eventrail ${spec.name} --help".`,
        );
      }
      const own = explicit ? rest : args;
      return subcommand.command.run(
        joinRepeated(withPositional(own, subcommand.positional), subcommand.repeatable ?? []),
        io,
      );
    },
  };
}

function subcommandWord(group: string, command: Command): string {
  const prefix = `${group} `;
  if (!command.name.startsWith(prefix)) {
    throw new Error(`Subcommand "${command.name}" of group "${group}" must be named "${prefix}<word>".`);
  }
  return command.name.slice(prefix.length);
}

function withPositional(args: readonly string[], option: string | undefined): readonly string[] {
  const [first, ...rest] = args;
  if (option === undefined || first === undefined || first.startsWith("-")) return args;
  return [`--${option}`, first, ...rest];
}

function joinRepeated(args: readonly string[], repeatable: readonly string[]): readonly string[] {
  if (repeatable.length === 0) return args;
  const collected = new Map<string, string[]>();
  const others: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const name = repeatable.find((r) => arg === `--${r}` || arg.startsWith(`--${r}=`));
    if (name === undefined) {
      others.push(arg);
      continue;
    }
    const inline = arg.startsWith(`--${name}=`) ? arg.slice(name.length + 3) : undefined;
    const value = inline ?? args[i + 1];
    // A missing value is left for parseArgs to report in its own words.
    if (value === undefined) {
      others.push(arg);
      continue;
    }
    if (inline === undefined) i++;
    collected.set(name, [...(collected.get(name) ?? []), value]);
  }
  return [...others, ...[...collected].flatMap(([name, values]) => [`--${name}`, values.join(",")])];
}

function renderGroupHelp(spec: CommandGroupSpec, words: readonly string[]): string {
  const width = Math.max(...words.map((w) => w.length), "--debug".length + 4);
  const subcommands = spec.subcommands.map(
    (s, i) => `  ${(words[i] ?? "").padEnd(width)}  ${s.command.summary}`,
  );
  const defaultNote =
    spec.defaultSubcommand === undefined
      ? []
      : [`Without a subcommand, "${spec.defaultSubcommand}" runs.`, ""];
  return [
    `Usage: eventrail ${spec.name} <${words.join("|")}> [options]`,
    "",
    spec.description ?? spec.summary,
    "",
    "Subcommands:",
    ...subcommands,
    "",
    ...defaultNote,
    "Options:",
    `  ${"-h, --help".padEnd(width)}  Show this help (or a subcommand's: eventrail ${spec.name} <subcommand> --help).`,
    `  ${"    --debug".padEnd(width)}  On error, print the stack trace too.`,
    "",
    "Examples:",
    ...spec.examples.map((example) => `  ${example}`),
  ].join("\n");
}
