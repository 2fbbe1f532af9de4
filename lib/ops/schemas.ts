import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import {
  DescribeSchemaCommand,
  ListSchemasCommand,
  NotFoundException,
  type SchemasClient,
} from "@aws-sdk/client-schemas";
import { eventTypes as catalogEventTypes, type EventType } from "../catalog";
import { type JsonSchemaDocument, REGISTRY_SCHEMA_TYPE, toRegistrySchema } from "../catalog/json-schema";
import { type CompatibilityReport, compareSchemaSets } from "./schema-compatibility";

/**
 * The event schemas as the EventBridge Schema Registry holds them: from the catalog, from the
 * deployed registry, or from a folder exported earlier, each keyed by its registry schema name
 * `${source}@${detailType}` so that any two can be compared with {@link compareSchemaSets}.
 */

/** The registry the stack creates (`EventSchemaRegistry`'s default `registryName`). */
export const DEFAULT_REGISTRY_NAME = "eventrail";

/** Event schemas by registry schema name. */
export type SchemaSet = ReadonlyMap<string, JsonSchemaDocument>;

/** A schema folder or registry cannot be read as a set of event schemas. */
export class SchemaSetError extends Error {
  public override readonly name = "SchemaSetError";
}

/** A file of an export is `eventrail.orders@OrderPlaced.json`: one `@`, no path separator. */
const EXPORT_FILE = /^([^@/\\]+@[^@/\\]+)\.json$/;

/** The registry schema name of an event type, as `EventSchemaRegistry` registers it. */
export function registrySchemaName(eventType: Pick<EventType, "source" | "detailType">): string {
  return `${eventType.source}@${eventType.detailType}`;
}

/** The catalog's schemas, exactly as `EventSchemaRegistry` registers them. */
export function catalogSchemaSet(eventTypes: readonly EventType[] = catalogEventTypes): SchemaSet {
  return new Map(eventTypes.map((eventType) => [registrySchemaName(eventType), toRegistrySchema(eventType)]));
}

/** What {@link exportSchemaSet} did. */
export interface SchemaExport {
  /** The folder, absolute. */
  readonly directory: string;
  /** Files written, by name, sorted. */
  readonly written: readonly string[];
  /** Schema files of event types no longer in the set, deleted so the folder mirrors the set. */
  readonly removed: readonly string[];
}

/**
 * Writes one file per schema, `${schemaName}.json`, the document as JSON (two-space indented, for
 * readable diffs). Schema files already in the folder whose type is not in the set are deleted, so
 * that a later comparison against the folder sees the removal; other files are left alone.
 */
export async function exportSchemaSet(directory: string, schemas: SchemaSet): Promise<SchemaExport> {
  const absolute = path.resolve(directory);
  await mkdir(absolute, { recursive: true });
  const written: string[] = [];
  for (const [name, document] of schemas) {
    const file = `${name}.json`;
    await writeFile(path.join(absolute, file), `${JSON.stringify(document, null, 2)}\n`);
    written.push(file);
  }
  const removed = (await readdir(absolute))
    .filter((file) => EXPORT_FILE.test(file) && !schemas.has(file.slice(0, -".json".length)))
    .sort();
  for (const file of removed) await rm(path.join(absolute, file));
  return { directory: absolute, written: written.sort(), removed };
}

/**
 * Reads a folder written by {@link exportSchemaSet}: every `source@DetailType.json` file.
 *
 * @throws SchemaSetError when the folder is missing, holds no schema file, or a file is not a JSON object
 */
export async function readSchemaExport(directory: string): Promise<SchemaSet> {
  const absolute = path.resolve(directory);
  let files: string[];
  try {
    files = await readdir(absolute);
  } catch (error) {
    throw new SchemaSetError(
      `Schema folder ${absolute} cannot be read (${(error as NodeJS.ErrnoException).code ?? "error"}); pass the folder "eventrail schemas export DIR" wrote.`,
      { cause: error },
    );
  }
  const schemaFiles = files.filter((file) => EXPORT_FILE.test(file)).sort();
  if (schemaFiles.length === 0) {
    throw new SchemaSetError(
      `Schema folder ${absolute} holds no source@DetailType.json file; pass the folder "eventrail schemas export DIR" wrote.`,
    );
  }
  const schemas = new Map<string, JsonSchemaDocument>();
  for (const file of schemaFiles) {
    const text = await readFile(path.join(absolute, file), "utf8");
    schemas.set(
      file.slice(0, -".json".length),
      parseSchemaDocument(
        text,
        path.join(absolute, file),
        'write it again with "eventrail schemas export DIR"',
      ),
    );
  }
  return schemas;
}

/**
 * Reads the latest version of every schema in a registry: ListSchemas (all pages), then
 * DescribeSchema of each (no version: the latest).
 *
 * @throws SchemaSetError when the registry does not exist, or a schema is not a draft-04 JSON Schema
 */
export async function fetchRegistrySchemaSet(
  client: SchemasClient,
  registryName: string,
): Promise<SchemaSet> {
  const names: string[] = [];
  try {
    let nextToken: string | undefined;
    do {
      const page = await client.send(
        new ListSchemasCommand({ RegistryName: registryName, NextToken: nextToken }),
      );
      for (const summary of page.Schemas ?? []) if (summary.SchemaName) names.push(summary.SchemaName);
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
  } catch (error) {
    if (error instanceof NotFoundException) {
      throw new SchemaSetError(
        `Schema registry "${registryName}" does not exist in this account and region; pass --registry NAME and --region R of the deployed stack, or --against DIR.`,
        { cause: error },
      );
    }
    throw error;
  }
  const schemas = new Map<string, JsonSchemaDocument>();
  for (const schemaName of names.sort()) {
    const described = await client.send(
      new DescribeSchemaCommand({ RegistryName: registryName, SchemaName: schemaName }),
    );
    const where = `Schema ${schemaName} (version ${described.SchemaVersion ?? "?"}) of registry "${registryName}"`;
    if (described.Type !== REGISTRY_SCHEMA_TYPE) {
      throw new SchemaSetError(
        `${where} is of type ${described.Type ?? "unknown"}; expected ${REGISTRY_SCHEMA_TYPE}, as the stack registers. Compare it by hand.`,
      );
    }
    schemas.set(
      schemaName,
      parseSchemaDocument(described.Content ?? "", where, "register it again by deploying the stack"),
    );
  }
  return schemas;
}

function parseSchemaDocument(text: string, where: string, fix: string): JsonSchemaDocument {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SchemaSetError(`${where} is not valid JSON (${(error as Error).message}); ${fix}.`, {
      cause: error,
    });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new SchemaSetError(
      `${where} is ${JSON.stringify(parsed)?.slice(0, 40)}; expected a JSON Schema object; ${fix}.`,
    );
  }
  return parsed as JsonSchemaDocument;
}

/** Where the schemas the catalog is checked against come from. */
export type SchemaBaseline =
  | { readonly kind: "registry"; readonly client: SchemasClient; readonly registryName: string }
  | { readonly kind: "export"; readonly directory: string };

/**
 * Compares the catalog with a baseline (the deployed registry, or an earlier export): what the
 * baseline holds is what events and consumers rely on; the catalog is what is about to replace it.
 */
export async function checkCatalogCompatibility(
  baseline: SchemaBaseline,
  catalog: SchemaSet = catalogSchemaSet(),
): Promise<CompatibilityReport> {
  const previous =
    baseline.kind === "registry"
      ? await fetchRegistrySchemaSet(baseline.client, baseline.registryName)
      : await readSchemaExport(baseline.directory);
  return compareSchemaSets(previous, catalog);
}
