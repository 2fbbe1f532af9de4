import { newEventType, newSubscription, ScaffoldError, type ScaffoldResult } from "../../scaffold/scaffold";
import { CliUsageError, defineCommand, ExitCode } from "../command";
import { defineCommandGroup } from "../command-group";
import { type CliIo, paint, writeLine } from "../io";

const eventTypeCommand = defineCommand({
  name: "new event-type",
  summary: "Declare a new event type: a catalog file with a starter schema and example, registered.",
  description: [
    "Writes lib/catalog/<name>.ts (defineEventType with a starter data schema and an example that matches it)",
    "and registers it in lib/catalog/index.ts. From that declaration come the types, validation, the registry",
    "schema, rule patterns and fixtures. Never overwrites a file; refuses a bad or existing name with the fix.",
  ].join("\n"),
  usage: "NAME --source SOURCE",
  options: {
    name: { type: "string", valueName: "NAME", required: true, description: "The detail-type, PascalCase." },
    source: {
      type: "string",
      valueName: "SOURCE",
      required: true,
      description: "The event source, lower-case reverse DNS, e.g. eventrail.shipping.",
    },
  },
  examples: ["eventrail new event-type OrderShipped --source eventrail.shipping"],
  async run(options, io) {
    return report(io, () => newEventType(process.cwd(), { name: options.name, source: options.source }));
  },
});

const subscriptionCommand = defineCommand({
  name: "new subscription",
  summary: "Declare a new subscription with its handler and the handler's test.",
  description: [
    "Adds the subscription to lib/subscriptions.ts (the pipeline then creates its rule, queue, both DLQs,",
    "function and alarms), writes lambdas/<name>/handler.ts with one typed function per consumed type over the",
    "consumer kit, and its test under test/lambdas/<name>/. Never overwrites a file; refuses a bad or existing",
    "name and event types that are not in the catalog, with the fix.",
  ].join("\n"),
  usage: "NAME --consumes A,B [--publishes C,D]",
  options: {
    name: {
      type: "string",
      valueName: "NAME",
      required: true,
      description: "Lower-case kebab, e.g. shipping.",
    },
    consumes: {
      type: "string",
      valueName: "TYPES",
      required: true,
      description: "The catalog event types it consumes, comma-separated.",
    },
    publishes: {
      type: "string",
      valueName: "TYPES",
      description: "The catalog event types it publishes as follow-ups, comma-separated.",
    },
  },
  examples: ["eventrail new subscription shipping --consumes PaymentProcessed --publishes OrderShipped"],
  async run(options, io) {
    return report(io, () =>
      newSubscription(process.cwd(), {
        name: options.name,
        consumes: list(options.consumes),
        publishes: options.publishes === undefined ? [] : list(options.publishes),
      }),
    );
  },
});

/** `eventrail new`: scaffolds for a new event type or subscription. */
export const newCommand = defineCommandGroup({
  name: "new",
  summary: "Scaffold a new event type or subscription: declared, registered, with handler and test.",
  subcommands: [
    { command: eventTypeCommand, positional: "name" },
    { command: subscriptionCommand, positional: "name", repeatable: ["consumes", "publishes"] },
  ],
  examples: [
    "eventrail new event-type OrderShipped --source eventrail.shipping",
    "eventrail new subscription shipping --consumes PaymentProcessed --publishes OrderShipped",
  ],
});

function list(value: string): string[] {
  return value
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

async function report(io: CliIo, scaffold: () => Promise<ScaffoldResult>): Promise<number> {
  let result: ScaffoldResult;
  try {
    result = await scaffold();
  } catch (error) {
    if (error instanceof ScaffoldError) throw new CliUsageError(error.message);
    throw error;
  }
  const out = io.stdout;
  for (const file of result.created) writeLine(out, `${paint(out, "green", "created")} ${file}`);
  for (const file of result.edited) writeLine(out, `${paint(out, "green", "edited")}  ${file}`);
  writeLine(out);
  writeLine(out, paint(out, "bold", "Next:"));
  for (const step of result.nextSteps) writeLine(out, `  - ${step}`);
  return ExitCode.ok;
}
