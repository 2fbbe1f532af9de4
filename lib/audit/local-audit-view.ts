import { AUDIT_TABLE_NAME, type AuditColumn, auditColumns } from "./audit-table";
import { PARTITION_COLUMN } from "./firehose-layout";

/**
 * DuckDB statements that make local audit files (the same gzip JSON lines and `dt=` folders
 * Firehose writes) answer the saved queries unchanged: a view named like the Glue table, with the
 * same columns and key mapping, and a `json_extract_scalar` macro standing in for Athena's.
 */

const DUCKDB_TYPES: Record<AuditColumn["type"], string> = {
  string: "VARCHAR",
  "array<string>": "VARCHAR[]",
};

function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function text(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/**
 * The statements to run, in order, before a saved query.
 *
 * @param eventsRoot the folder that holds the `dt=yyyy-MM-dd/` partitions
 */
export function localAuditViewStatements(eventsRoot: string): string[] {
  const glob = `${eventsRoot.replace(/\/+$/, "")}/${PARTITION_COLUMN}=*/*.gz`;
  // `detail` is read as JSON so objects stay objects; the view turns it back into text, as the SerDe does.
  const readTypes = auditColumns
    .map((c) => `${text(c.jsonKey)}: ${text(c.name === "detail" ? "JSON" : DUCKDB_TYPES[c.type])}`)
    .join(", ");
  const projection = auditColumns
    .map((c) =>
      c.name === "detail"
        ? `CAST(${identifier(c.jsonKey)} AS VARCHAR) AS ${c.name}`
        : `${identifier(c.jsonKey)} AS ${c.name}`,
    )
    .join(",\n  ");
  return [
    "CREATE OR REPLACE MACRO json_extract_scalar(doc, path) AS json_extract_string(doc, path)",
    `CREATE OR REPLACE VIEW ${AUDIT_TABLE_NAME} AS
SELECT
  ${projection},
  CAST(${PARTITION_COLUMN} AS VARCHAR) AS ${PARTITION_COLUMN}
FROM read_json(${text(glob)},
  format = 'newline_delimited',
  compression = 'gzip',
  hive_partitioning = true,
  hive_types = {${text(PARTITION_COLUMN)}: 'VARCHAR'},
  columns = {${readTypes}})`,
  ];
}
