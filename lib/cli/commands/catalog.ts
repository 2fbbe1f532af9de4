import { z } from "zod";
import { type EventType, eventTypes, findEventType } from "../../catalog";
import { toRegistrySchema } from "../../catalog/json-schema";
import { CliUsageError, defineCommand, ExitCode } from "../command";
import { type CliIo, paint, writeLine } from "../io";

/** One event type as `catalog --json` prints it. */
export interface CatalogEntry {
  readonly detailType: string;
  readonly source: string;
  readonly version: string;
  readonly description: string;
  /** Draft-04 JSON Schema of `detail.data`: what a publish line's `data` must match. */
  readonly dataSchema: Record<string, unknown>;
  /** The document registered in the EventBridge Schema Registry: the whole event. */
  readonly eventSchema: Record<string, unknown>;
  /** Valid example data. */
  readonly example: unknown;
}

/** The catalog entry of an event type, as `catalog --json` prints it. */
export function describeEventType(eventType: EventType): CatalogEntry {
  const dataSchema = z.toJSONSchema(eventType.data, { target: "draft-04", io: "input" }) as Record<
    string,
    unknown
  >;
  return {
    detailType: eventType.detailType,
    source: eventType.source,
    version: eventType.version,
    description: eventType.description,
    dataSchema,
    eventSchema: toRegistrySchema(eventType),
    example: eventType.example,
  };
}

/** `eventrail catalog`: every event type with its source, version, schema and example. */
export const catalogCommand = defineCommand({
  name: "catalog",
  summary: "List the event types: source, detail-type, version, JSON Schema, example data.",
  description:
    "Lists every event type of the catalog with its source, detail-type, version, the JSON Schema of its\n" +
    "data and an example. --json prints them for scripts, with the Schema Registry document of each.",
  usage: "[--type NAME] [--json]",
  options: {
    type: { type: "string", valueName: "NAME", description: "Show one detail-type only, e.g. OrderPlaced." },
    json: { type: "boolean", description: "Print JSON: { eventTypes: [...] }." },
  },
  examples: [
    "eventrail catalog",
    "eventrail catalog --type OrderPlaced",
    "eventrail catalog --json | jq '.eventTypes[].detailType'",
  ],
  async run(options, io) {
    const selected = selectTypes(options.type);
    const entries = selected.map(describeEventType);
    if (options.json) {
      writeLine(io.stdout, JSON.stringify({ eventTypes: entries }, null, 2));
      return ExitCode.ok;
    }
    entries.forEach((entry, i) => {
      if (i > 0) writeLine(io.stdout);
      printEntry(entry, io);
    });
    return ExitCode.ok;
  },
});

function selectTypes(type: string | undefined): readonly EventType[] {
  if (type === undefined) return eventTypes;
  const eventType = findEventType(type);
  if (eventType === undefined) {
    throw new CliUsageError(
      `--type "${type}" is not in the catalog; expected one of: ${eventTypes.map((t) => t.detailType).join(", ")}.`,
    );
  }
  return [eventType];
}

function printEntry(entry: CatalogEntry, io: CliIo): void {
  const out = io.stdout;
  writeLine(out, `${paint(out, "bold", entry.detailType)}  v${entry.version}  source ${entry.source}`);
  writeLine(out, `  ${entry.description}`);
  writeLine(out, `  ${paint(out, "dim", "example data:")} ${JSON.stringify(entry.example)}`);
  writeLine(out, `  ${paint(out, "dim", "data schema (JSON Schema draft-04):")}`);
  for (const line of JSON.stringify(entry.dataSchema, null, 2).split("\n")) writeLine(out, `    ${line}`);
}
