import { CliUsageError, type Command, ExitCode } from "./command";
import { auditCommand } from "./commands/audit";
import { catalogCommand } from "./commands/catalog";
import { dlqCommand } from "./commands/dlq";
import { localCommand } from "./commands/local";
import { publishCommand } from "./commands/publish";
import { replayCommand } from "./commands/replay";
import { schemasCommand } from "./commands/schemas";
import { statusCommand } from "./commands/status";
import { type CliIo, paint, processIo, writeLine } from "./io";

export * from "./command";
export type { CliIo, CliOutput } from "./io";
export { processIo } from "./io";

/**
 * Every command, in the order `--help` lists them. Adding a command is one file in `commands/`
 * (`export const xCommand = defineCommand({...})`) and one line here.
 */
export const commands: readonly Command[] = [
  catalogCommand,
  publishCommand,
  localCommand,
  statusCommand,
  replayCommand,
  dlqCommand,
  auditCommand,
  schemasCommand,
];

/** The text of `eventrail --help`. */
export function mainHelp(registry: readonly Command[] = commands): string {
  const width = Math.max(...registry.map((c) => c.name.length));
  return [
    "Usage: eventrail <command> [options]",
    "",
    "The eventrail command line: the event catalog and publishing (more commands to come).",
    "",
    "Commands:",
    ...registry.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    'Run "eventrail <command> --help" for a command\'s options and examples.',
    "Every command takes --debug (stack traces on error); most take --json (output for scripts).",
  ].join("\n");
}

/**
 * Runs the CLI on `argv` (without `node` and the script) and resolves with the exit code:
 * 0 ok, 1 something failed, 2 the command line is wrong. Errors are one line on stderr; the stack
 * trace only with `--debug`.
 *
 * @param registry the commands to dispatch to; tests pass their own
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo(),
  registry: readonly Command[] = commands,
): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    writeLine(name === undefined ? io.stderr : io.stdout, mainHelp(registry));
    return name === undefined ? ExitCode.usage : ExitCode.ok;
  }
  const command = registry.find((c) => c.name === name);
  try {
    if (command === undefined) {
      throw new CliUsageError(
        `Unknown command "${name}"; expected one of: ${registry.map((c) => c.name).join(", ")}. Run "eventrail --help".`,
      );
    }
    return await command.run(args, io);
  } catch (error) {
    const prefix = paint(io.stderr, "red", `eventrail${command ? ` ${command.name}` : ""}: error:`);
    const message = error instanceof Error ? error.message : String(error);
    writeLine(io.stderr, `${prefix} ${message}`);
    if (args.includes("--debug") && error instanceof Error && error.stack) writeLine(io.stderr, error.stack);
    return error instanceof CliUsageError ? ExitCode.usage : ExitCode.failure;
  }
}
