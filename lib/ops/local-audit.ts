import { readdir, stat } from "node:fs/promises";
import * as path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { AUDIT_TABLE_NAME } from "../audit/audit-table";
import { DEFAULT_EVENTS_PREFIX, PARTITION_COLUMN } from "../audit/firehose-layout";
import { localAuditViewStatements } from "../audit/local-audit-view";
import { LocalModelError, loadLocalModel } from "../local/assembly";
import { stackOutputs } from "../stack-outputs";
import type { AuditQueryResult, QueryRow } from "./audit-query";

/**
 * The audit trail of the local pipeline: the gzip JSON-lines files its Firehose emulation writes
 * under `<state-dir>/s3/<bucket>/<prefix>dt=YYYY-MM-DD/`, queried with DuckDB in this process
 * through the view of `lib/audit/local-audit-view.ts`, so the saved queries run unchanged. The
 * pipeline need not be running: only its files are read.
 */

/** The local audit files cannot be found, or DuckDB cannot run the query over them. */
export class LocalAuditError extends Error {
  public override readonly name = "LocalAuditError";
}

/** Where the local audit events are. */
export interface LocalAuditLocation {
  readonly bucketName: string;
  /** Key prefix of the events, e.g. `events/`. */
  readonly eventsPrefix: string;
  /** The folder holding the `dt=` partitions, absolute. */
  readonly eventsRoot: string;
  /** How the bucket was found: from the assembly's stack outputs, or as the only bucket folder with events. */
  readonly foundBy: "stack-outputs" | "state-folder";
}

/** Where to look for the local audit events. */
export interface LocateLocalAuditOptions {
  /** The local pipeline's state folder (`.eventrail/`); buckets are folders of `<stateDir>/s3/`. */
  readonly stateDir: string;
  /** The cloud assembly whose stack outputs name the audit bucket and prefix. */
  readonly cdkOutDir: string;
  /** @default - the assembly's only stack */
  readonly stackName?: string;
}

/**
 * Finds the local audit events: the bucket and prefix the stack outputs `AuditBucketName` and
 * `AuditEventsPrefix` of the local assembly name or, when the assembly cannot be read, the only
 * bucket folder under `<stateDir>/s3/` that has an `events/` folder.
 *
 * @throws LocalAuditError when neither way finds exactly one bucket folder
 */
export async function locateLocalAuditEvents(options: LocateLocalAuditOptions): Promise<LocalAuditLocation> {
  const bucketsDir = path.resolve(options.stateDir, "s3");
  let assemblyProblem: string;
  try {
    const model = await loadLocalModel({ cdkOutDir: options.cdkOutDir, stackName: options.stackName });
    const bucketName = model.outputs[stackOutputs.auditBucketName];
    const eventsPrefix = model.outputs[stackOutputs.auditEventsPrefix];
    if (bucketName !== undefined && eventsPrefix !== undefined) {
      return {
        bucketName,
        eventsPrefix,
        eventsRoot: path.join(bucketsDir, bucketName, eventsPrefix),
        foundBy: "stack-outputs",
      };
    }
    assemblyProblem = `stack "${model.stackName}" has no ${stackOutputs.auditBucketName}/${stackOutputs.auditEventsPrefix} output`;
  } catch (error) {
    if (!(error instanceof LocalModelError)) throw error;
    assemblyProblem = `the assembly in ${path.resolve(options.cdkOutDir)} cannot be read`;
  }

  const candidates = await bucketsWithEvents(bucketsDir);
  const [only] = candidates;
  if (only === undefined || candidates.length > 1) {
    const found =
      candidates.length === 0
        ? `no bucket folder under ${bucketsDir} has ${DEFAULT_EVENTS_PREFIX}`
        : `${candidates.length} bucket folders under ${bucketsDir} have ${DEFAULT_EVENTS_PREFIX} (${candidates.join(", ")})`;
    throw new LocalAuditError(
      `Cannot tell where the local audit events are: ${found}, and ${assemblyProblem}; run "npx eventrail local" and publish events, or pass --state-dir DIR / --cdk-out DIR.`,
    );
  }
  return {
    bucketName: only,
    eventsPrefix: DEFAULT_EVENTS_PREFIX,
    eventsRoot: path.join(bucketsDir, only, DEFAULT_EVENTS_PREFIX),
    foundBy: "state-folder",
  };
}

async function bucketsWithEvents(bucketsDir: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(bucketsDir);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const entry of entries.sort()) {
    if (await isDirectory(path.join(bucketsDir, entry, DEFAULT_EVENTS_PREFIX))) found.push(entry);
  }
  return found;
}

async function isDirectory(target: string): Promise<boolean> {
  try {
    return (await stat(target)).isDirectory();
  } catch {
    return false;
  }
}

/** How many audit objects (`dt=*` folders' `.gz` files) are under the events root. */
async function countAuditObjects(eventsRoot: string): Promise<number> {
  let partitions: string[];
  try {
    partitions = await readdir(eventsRoot);
  } catch {
    return 0;
  }
  let count = 0;
  for (const partition of partitions) {
    if (!partition.startsWith(`${PARTITION_COLUMN}=`)) continue;
    const files = await readdir(path.join(eventsRoot, partition)).catch(() => []);
    count += files.filter((file) => file.endsWith(".gz")).length;
  }
  return count;
}

/** What {@link runLocalAuditQuery} runs, and over which files. */
export interface LocalAuditQueryRequest {
  /** The folder holding the `dt=` partitions ({@link LocalAuditLocation.eventsRoot}). */
  readonly eventsRoot: string;
  /** Athena SQL over `audit_events`, placeholders bound. */
  readonly sql: string;
  /** Rows to read at most. @default - every row */
  readonly maxRows?: number;
  /**
   * For SQL that arrives over HTTP (a console), not from the user's own terminal: the audit files
   * are loaded into memory first, then DuckDB's file system access is switched off and its
   * configuration locked, so the SQL can read the audit events and nothing else on the machine
   * (no `read_text('/etc/passwd')`, no `COPY ... TO`, no `ATTACH`, no extension installs).
   * @default false (the CLI's `audit query --local` keeps DuckDB's full power: it is the user's own SQL)
   */
  readonly sandboxed?: boolean;
}

/**
 * Runs a query over the local audit files with DuckDB (in memory, in this process): the view of
 * `localAuditViewStatements` first, then the SQL. Values come back as text, as Athena returns them.
 *
 * @throws LocalAuditError when there is no audit file yet, or DuckDB refuses the SQL
 */
export async function runLocalAuditQuery(request: LocalAuditQueryRequest): Promise<AuditQueryResult> {
  // DuckDB would fail the whole view on an empty glob with a message that names neither the folder nor the fix.
  if ((await countAuditObjects(request.eventsRoot)) === 0) {
    throw new LocalAuditError(
      `No audit files under ${request.eventsRoot} (expected ${PARTITION_COLUMN}=YYYY-MM-DD/*.gz); publish events to the local pipeline and wait for its "audit: wrote" line, or pass --state-dir DIR.`,
    );
  }
  const maxRows = request.maxRows ?? Number.POSITIVE_INFINITY;
  const instance = await DuckDBInstance.create(":memory:");
  const connection = await instance.connect();
  try {
    for (const statement of localAuditViewStatements(request.eventsRoot)) await connection.run(statement);
    if (request.sandboxed === true) {
      await connection.run(`CREATE TABLE audit_events_loaded AS SELECT * FROM ${AUDIT_TABLE_NAME}`);
      await connection.run(`DROP VIEW ${AUDIT_TABLE_NAME}`);
      await connection.run(`ALTER TABLE audit_events_loaded RENAME TO ${AUDIT_TABLE_NAME}`);
      await connection.run("SET enable_external_access = false");
      await connection.run("SET lock_configuration = true");
    }
    let reader: Awaited<ReturnType<typeof connection.streamAndReadUntil>>;
    try {
      // One row past the limit tells whether the limit cut the result.
      reader = await connection.streamAndReadUntil(
        request.sql,
        Number.isFinite(maxRows) ? maxRows + 1 : Number.MAX_SAFE_INTEGER,
      );
    } catch (error) {
      // DuckDB explains over several lines (the SQL, a caret); the first says what is wrong.
      const [first = ""] = (error as Error).message.split("\n");
      const reason = first.replace(/^Failed to extract statements: /, "");
      throw new LocalAuditError(
        `DuckDB refused the query: ${reason}; fix the SQL (Athena dialect, over audit_events).`,
        {
          cause: error,
        },
      );
    }
    const types = reader.columnTypes();
    const columns = reader
      .columnNames()
      .map((name, i) => ({ name, type: String(types[i] ?? "unknown").toLowerCase() }));
    const rows = reader.getRowsJson().map((row): QueryRow => row.map(asAthenaText));
    return { columns, rows: rows.slice(0, maxRows), truncated: rows.length > maxRows };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A DuckDB value as Athena prints it: text as is, arrays as `[a, b]`, anything else as JSON. */
function asAthenaText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === "string") return value;
  if (Array.isArray(value)) return `[${value.map((item) => asAthenaText(item) ?? "null").join(", ")}]`;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}
