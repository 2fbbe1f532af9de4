import { PARTITION_COLUMN } from "./firehose-layout";

/**
 * The Glue table over the audit trail, declared once. The construct renders it into
 * `AWS::Glue::Table`; the JSON-lines reader below and the local DuckDB view read files through the
 * same columns and key mapping, so what the tests and the local pipeline see is what Athena sees.
 */

/** Name of the table in the audit database; the saved queries use it. */
export const AUDIT_TABLE_NAME = "audit_events";

/** Hive types the audit table uses. */
export type AuditColumnType = "string" | "array<string>";

/** One column of the audit table. */
export interface AuditColumn {
  /** Column name: lower-case letters, digits and `_`, legal in Athena without quoting. */
  readonly name: string;
  readonly type: AuditColumnType;
  /** The top-level key of the EventBridge event that fills the column. */
  readonly jsonKey: string;
  readonly comment: string;
}

/** The EventBridge envelope as columns; `detail` stays JSON text for `json_extract_scalar`. */
export const auditColumns: readonly AuditColumn[] = [
  { name: "version", type: "string", jsonKey: "version", comment: "Envelope version, always 0" },
  {
    name: "id",
    type: "string",
    jsonKey: "id",
    comment: "EventBridge event id; a replayed event gets a new one, so join on detail.metadata.eventId",
  },
  {
    name: "detail_type",
    type: "string",
    jsonKey: "detail-type",
    comment: "Event type: the EventBridge detail-type",
  },
  { name: "source", type: "string", jsonKey: "source", comment: "Producing domain: the EventBridge source" },
  { name: "account", type: "string", jsonKey: "account", comment: "Account the event was published in" },
  {
    name: "event_time",
    type: "string",
    jsonKey: "time",
    comment: "EventBridge time, UTC, yyyy-MM-ddTHH:mm:ssZ; compares correctly as text",
  },
  { name: "region", type: "string", jsonKey: "region", comment: "Region the event was published in" },
  { name: "resources", type: "array<string>", jsonKey: "resources", comment: "ARNs the event names" },
  {
    name: "detail",
    type: "string",
    jsonKey: "detail",
    comment: "The detail object as JSON text: json_extract_scalar(detail, '$.metadata.eventId')",
  },
  {
    name: "replay_name",
    type: "string",
    jsonKey: "replay-name",
    comment: "Name of the replay that re-sent the event; null for events seen the first time",
  },
];

/** The partition column: the arrival date, `yyyy-MM-dd`. */
export const auditPartitionColumn = {
  name: PARTITION_COLUMN,
  type: "string",
  comment: "Arrival date (UTC) of the event at Firehose, yyyy-MM-dd",
} as const;

/**
 * SerDe parameters: a `mapping.<column>` for every column whose key is not its name, and
 * `case.insensitive` off. The older OpenX SerDe lower-cases every key of the row while parsing, which
 * would turn `detail`'s `eventId` into `eventid` and break every JSON path; all the top-level keys
 * are lower-case already, so exact matching loses nothing.
 */
export function auditSerdeParameters(columns: readonly AuditColumn[] = auditColumns): Record<string, string> {
  const mappings = columns
    .filter((column) => column.jsonKey !== column.name)
    .map((column) => [`mapping.${column.name}`, column.jsonKey] as const);
  return { "case.insensitive": "FALSE", ...Object.fromEntries(mappings) };
}

/** The parts of a Glue table definition that decide how a line of JSON becomes a row. */
export interface JsonTableDefinition {
  readonly columns: readonly { readonly name: string; readonly type: string }[];
  readonly serdeParameters: Readonly<Record<string, string>>;
}

/** One row as Athena returns it: strings, arrays of strings, or null. */
export type TableRow = Readonly<Record<string, string | readonly string[] | null>>;

/** Raised when a line cannot be read as a row of the table. */
export class JsonRowError extends Error {
  public override readonly name = "JsonRowError";
}

function renderText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  // The SerDe renders numbers, booleans, objects and arrays back to compact JSON.
  return JSON.stringify(value);
}

function findKey(record: Record<string, unknown>, key: string, caseInsensitive: boolean): unknown {
  if (Object.hasOwn(record, key)) return record[key];
  if (!caseInsensitive) return undefined;
  const match = Object.keys(record).find((k) => k.toLowerCase() === key.toLowerCase());
  return match === undefined ? undefined : record[match];
}

/**
 * Reads one line of JSON as a row of `table`, following the OpenX SerDe's rules for the types the
 * audit table uses: a column takes the key named by its `mapping.<column>` parameter (else its own
 * name); a `string` column renders objects and arrays as compact JSON; an `array<string>` column
 * wraps a single value in an array.
 */
export function readJsonRow(line: string, table: JsonTableDefinition): TableRow {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (error) {
    throw new JsonRowError(`Line is not valid JSON: ${line.slice(0, 80)}`, { cause: error });
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new JsonRowError(`Line is not a JSON object: ${line.slice(0, 80)}`);
  }
  const record = parsed as Record<string, unknown>;
  const caseInsensitive = table.serdeParameters["case.insensitive"]?.toUpperCase() !== "FALSE";
  const row: Record<string, string | readonly string[] | null> = {};
  for (const column of table.columns) {
    const key = table.serdeParameters[`mapping.${column.name}`] ?? column.name;
    const value = findKey(record, key, caseInsensitive);
    switch (column.type) {
      case "string":
        row[column.name] = renderText(value);
        break;
      case "array<string>":
        row[column.name] =
          value === null || value === undefined
            ? null
            : (Array.isArray(value) ? value : [value]).map((item) => renderText(item) ?? "null");
        break;
      default:
        throw new JsonRowError(
          `Column ${column.name} has type ${column.type}; this reader supports string and array<string>`,
        );
    }
  }
  return row;
}

/** Reads a JSON-lines document (one object per line, blank lines skipped) as rows of `table`. */
export function readJsonLines(text: string, table: JsonTableDefinition): TableRow[] {
  return text
    .split("\n")
    .filter((line) => line.trim().length > 0)
    .map((line) => readJsonRow(line, table));
}
