import { CliUsageError, type Command, ExitCode } from "./command";
import { type CliIo, paint, processIo, writeLine } from "./io";

export * from "./command";
export type { CliIo, CliOutput } from "./io";
export { processIo } from "./io";

/**
 * A command known by its name and summary (all `--help` needs) whose module is imported only when
 * it runs, so that a command's start-up never loads what only other commands use (DuckDB, the CDK,
 * the local pipeline, SDK clients).
 */
export interface LazyCommand extends Command {
  /** Imports the command's module; its command has the same name and summary. */
  load(): Promise<Command>;
}

function lazyCommand(name: string, summary: string, load: () => Promise<Command>): LazyCommand {
  return { name, summary, load, run: async (args, io) => (await load()).run(args, io) };
}

/**
 * Every command, in the order `--help` lists them. Adding a command is one file in `commands/`
 * (`export const xCommand = defineCommand({...})`) and one line here, with its name and summary.
 */
export const commands: readonly LazyCommand[] = [
  lazyCommand(
    "catalog",
    "List the event types: source, detail-type, version, JSON Schema, example data.",
    async () => (await import("./commands/catalog")).catalogCommand,
  ),
  lazyCommand(
    "publish",
    "Publish NDJSON events (a file or stdin) to an event bus through the publisher.",
    async () => (await import("./commands/publish")).publishCommand,
  ),
  lazyCommand(
    "local",
    "Run the whole pipeline on this machine: EventBridge, SQS, DynamoDB, Lambda, archive, audit.",
    async () => (await import("./commands/local")).localCommand,
  ),
  lazyCommand(
    "status",
    "The stack at a glance: bus, rules, queue and DLQ depths, consumers, archive, outbox, audit trail.",
    async () => (await import("./commands/status")).statusCommand,
  ),
  lazyCommand(
    "replay",
    "Replay archived events to every rule or to chosen subscriptions; list and cancel replays.",
    async () => (await import("./commands/replay")).replayCommand,
  ),
  lazyCommand(
    "dlq",
    "List the dead-letter queues, peek at their messages, redrive them to where they failed.",
    async () => (await import("./commands/dlq")).dlqCommand,
  ),
  lazyCommand(
    "audit",
    "Query the audit trail: saved queries or SQL, in Athena or (--local) over the local files.",
    async () => (await import("./commands/audit")).auditCommand,
  ),
  lazyCommand(
    "new",
    "Scaffold a new event type or subscription: declared, registered, with handler and test.",
    async () => (await import("./commands/new")).newCommand,
  ),
  lazyCommand(
    "schemas",
    "Export the catalog's JSON Schemas; check the catalog against the registry for breaking changes.",
    async () => (await import("./commands/schemas")).schemasCommand,
  ),
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
