import { SchemasClient, type SchemasClientConfig } from "@aws-sdk/client-schemas";
import type {
  ChangeSeverity,
  CompatibilityReport,
  EventTypeComparison,
} from "../../ops/schema-compatibility";
import {
  catalogSchemaSet,
  checkCatalogCompatibility,
  DEFAULT_REGISTRY_NAME,
  exportSchemaSet,
  type SchemaBaseline,
} from "../../ops/schemas";
import { awsClientConfig, requireRegion } from "../aws-client-config";
import { CliUsageError, defineCommand, ExitCode } from "../command";
import { defineCommandGroup } from "../command-group";
import { type CliIo, paint, type Style, writeLine } from "../io";

/** What `schemas check --json` prints. */
export interface SchemaCheckOutput extends CompatibilityReport {
  /** What the catalog was compared with, e.g. `schema registry "eventrail" (eu-west-1)`. */
  readonly against: string;
}

const exportCommand = defineCommand({
  name: "schemas export",
  summary: "Write the catalog's JSON Schemas, one file per event type, as the registry holds them.",
  description: [
    "Writes one file per event type, DIR/<source>@<DetailType>.json (the registry's schema name), holding the",
    "draft-04 JSON Schema the stack registers in the EventBridge Schema Registry (toRegistrySchema), indented.",
    "Schema files of event types no longer in the catalog are deleted, so the folder mirrors the catalog and",
    'a later "eventrail schemas check --against DIR" sees every removal. Other files are left alone.',
  ].join("\n"),
  usage: "DIR [--json]",
  options: {
    dir: {
      type: "string",
      valueName: "DIR",
      description: "The folder to write (or give it first, without --dir).",
    },
    json: { type: "boolean", description: "Print { directory, written, removed } as JSON." },
  },
  examples: ["eventrail schemas export schemas/", "eventrail schemas export build/schemas --json"],
  async run(options, io) {
    if (options.dir === undefined || options.dir.trim() === "") {
      throw new CliUsageError('Give the folder to write, e.g. "eventrail schemas export schemas/".');
    }
    const written = await exportSchemaSet(options.dir, catalogSchemaSet());
    if (options.json) {
      writeLine(io.stdout, JSON.stringify(written, null, 2));
      return ExitCode.ok;
    }
    for (const file of written.written) writeLine(io.stdout, `wrote    ${file}`);
    for (const file of written.removed) writeLine(io.stdout, `removed  ${file} (no longer in the catalog)`);
    writeLine(io.stdout, `${written.written.length} schema(s) in ${written.directory}.`);
    return ExitCode.ok;
  },
});

const checkCommand = defineCommand({
  name: "schemas check",
  summary: "Compare the catalog with the deployed registry (or an export); exit 1 on breaking changes.",
  description: [
    "Compares each event type's schema in the catalog with the latest version in the deployed EventBridge",
    `Schema Registry (ListSchemas and DescribeSchema on --registry, default "${DEFAULT_REGISTRY_NAME}"), or with a folder`,
    'written earlier by "eventrail schemas export" (--against DIR). Each change is named with its event type',
    "and the JSON path of the value in the event.",
    "Breaking (exit code 1): a removed event type; a removed or renamed field; a changed type; a new required",
    "field, or an optional field made required, or a required one made optional; a narrowed enum; a new or",
    "changed pattern or format; a raised minimum or minLength/minItems, a lowered maximum or maxLength/maxItems;",
    "additionalProperties closed; any other keyword changed (flagged for review).",
    "Compatible (exit code 0, listed): a new event type, a new optional field, a widened enum, a relaxed",
    "constraint. Descriptions and titles are ignored.",
  ].join("\n"),
  usage: "[--against DIR | --registry NAME --region R [--profile NAME] [--endpoint URL]] [--json]",
  options: {
    against: {
      type: "string",
      valueName: "DIR",
      description: 'Compare with a folder "eventrail schemas export" wrote instead of the registry.',
    },
    registry: {
      type: "string",
      valueName: "NAME",
      description: `The schema registry (default "${DEFAULT_REGISTRY_NAME}", the stack's).`,
    },
    region: { type: "string", valueName: "R", description: "AWS region (default: AWS_REGION / profile)." },
    profile: { type: "string", valueName: "NAME", description: "AWS profile of the shared config files." },
    endpoint: {
      type: "string",
      valueName: "URL",
      description: "An EventBridge Schemas-compatible endpoint.",
    },
    json: { type: "boolean", description: "Print { against, breaking, eventTypes: [...] } as JSON." },
  },
  examples: [
    "eventrail schemas check --region eu-west-1",
    "eventrail schemas check --against schemas/",
    "eventrail schemas check --against schemas/ --json | jq '.eventTypes[].changes[]'",
  ],
  async run(options, io) {
    let report: CompatibilityReport;
    let against: string;
    if (options.against !== undefined) {
      for (const registryOnly of ["registry", "region", "profile", "endpoint"] as const) {
        if (options[registryOnly] !== undefined) {
          throw new CliUsageError(
            `--${registryOnly} "${options[registryOnly]}" applies to the registry, not to --against DIR; drop one of them.`,
          );
        }
      }
      against = `the export in ${options.against}`;
      report = await checkCatalogCompatibility({ kind: "export", directory: options.against });
    } else {
      const registryName = options.registry ?? DEFAULT_REGISTRY_NAME;
      const client = new SchemasClient(clientConfig(options, io));
      try {
        const region = await requireRegion(client);
        const baseline: SchemaBaseline = { kind: "registry", client, registryName };
        against = `schema registry "${registryName}" (${region})`;
        report = await checkCatalogCompatibility(baseline);
      } finally {
        client.destroy();
      }
    }
    if (options.json) {
      const output: SchemaCheckOutput = { against, ...report };
      writeLine(io.stdout, JSON.stringify(output, null, 2));
    } else {
      printReport(io, against, report);
    }
    return report.breaking ? ExitCode.failure : ExitCode.ok;
  },
});

/** `eventrail schemas`: export the catalog's schemas and check changes for compatibility. */
export const schemasCommand = defineCommandGroup({
  name: "schemas",
  summary: "Export the catalog's JSON Schemas; check the catalog against the registry for breaking changes.",
  description:
    "The catalog's event types as the EventBridge Schema Registry holds them (draft-04 JSON Schema, one per\n" +
    '<source>@<DetailType>). "schemas export DIR" writes them; "schemas check" compares the catalog with the\n' +
    "deployed registry or an earlier export and fails on breaking changes, for CI.",
  subcommands: [{ command: exportCommand, positional: "dir" }, { command: checkCommand }],
  examples: [
    "eventrail schemas export schemas/",
    "eventrail schemas check --against schemas/",
    "eventrail schemas check --region eu-west-1",
  ],
});

function clientConfig(
  options: { readonly region?: string; readonly endpoint?: string; readonly profile?: string },
  io: CliIo,
): SchemasClientConfig {
  const base = awsClientConfig({ endpoint: options.endpoint, region: options.region }, io.env);
  if (options.profile === undefined) return { ...base };
  // A named profile brings its own credentials: never replace them with the loopback placeholders.
  const { credentials: _placeholders, ...rest } = base;
  return { ...rest, profile: options.profile };
}

const SEVERITY_STYLE: Record<ChangeSeverity, Style> = { breaking: "red", compatible: "green" };

function printReport(io: CliIo, against: string, report: CompatibilityReport): void {
  const out = io.stdout;
  const changed = report.eventTypes.filter((t) => t.status !== "unchanged");
  for (const eventType of changed) printEventType(io, eventType);
  const count = (severity: ChangeSeverity) =>
    report.eventTypes.reduce((sum, t) => sum + t.changes.filter((c) => c.severity === severity).length, 0);
  const unchanged = report.eventTypes.length - changed.length;
  const tally = `${count("breaking")} breaking, ${count("compatible")} compatible change(s); ${unchanged} event type(s) unchanged`;
  if (changed.length > 0) writeLine(out);
  if (report.breaking) {
    writeLine(
      out,
      `${paint(out, "red", "Breaking changes")} against ${against}: ${tally}. Keep the old contract, or declare a new event type (MAJOR version) beside it.`,
    );
  } else {
    writeLine(out, `${paint(out, "green", "Compatible")} with ${against}: ${tally}.`);
  }
}

function printEventType(io: CliIo, eventType: EventTypeComparison): void {
  const out = io.stdout;
  writeLine(out, `${paint(out, "bold", eventType.schemaName)} (${eventType.status})`);
  const width = Math.max(...eventType.changes.map((c) => c.path.length));
  for (const change of eventType.changes) {
    const label = paint(out, SEVERITY_STYLE[change.severity], change.severity.padEnd("compatible".length));
    writeLine(out, `  ${label}  ${change.path.padEnd(width)}  ${change.message} [${change.kind}]`);
  }
}
