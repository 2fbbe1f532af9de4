import { setTimeout as delay } from "node:timers/promises";
import type { AthenaClient, QueryExecution, QueryExecutionState } from "@aws-sdk/client-athena";
import {
  bindSavedQuery,
  DEFAULT_WINDOW_DAYS,
  defaultDateWindow,
  findSavedQuery,
  placeholdersOf,
  type SavedQuery,
  SavedQueryError,
} from "../audit/saved-queries";

/**
 * Queries over the audit trail: a saved query (by name, with its parameter values) or raw SQL, run
 * in Athena through the stack's workgroup. The local twin, over the same files with DuckDB, is in
 * `local-audit.ts`; both answer with an {@link AuditQueryResult}.
 */

/** One column of a result. */
export interface QueryColumn {
  readonly name: string;
  /** The engine's type name, lower-case, e.g. `varchar`, `bigint`. */
  readonly type: string;
}

/** One row of a result: every value as text, as Athena returns it; SQL NULL is `null`. */
export type QueryRow = readonly (string | null)[];

/** What a query over the audit trail answers, from either engine. */
export interface AuditQueryResult {
  readonly columns: readonly QueryColumn[];
  readonly rows: readonly QueryRow[];
  /** Whether rows beyond `maxRows` were left unread. */
  readonly truncated: boolean;
}

/** A query ready to run. */
export interface PreparedAuditQuery {
  /** The saved query's name; absent for raw SQL. */
  readonly savedQuery?: string;
  /** The SQL with every placeholder replaced by a quoted literal. */
  readonly sql: string;
  /**
   * The parameters that were not given and took their default (a saved query's fromDate and toDate:
   * the last 7 days), by name; absent when none did.
   */
  readonly defaultedParameters?: Readonly<Record<string, string>>;
}

/** One line for the user naming the defaulted parameters of `prepared`, or undefined when none were. */
export function describeDefaultedParameters(prepared: PreparedAuditQuery): string | undefined {
  const defaults = prepared.defaultedParameters;
  if (defaults === undefined) return undefined;
  const names = Object.keys(defaults);
  const { fromDate, toDate } = defaults;
  const window =
    fromDate !== undefined && toDate !== undefined
      ? `the last ${DEFAULT_WINDOW_DAYS} days, ${fromDate} to ${toDate} (UTC)`
      : fromDate !== undefined
        ? `the ${DEFAULT_WINDOW_DAYS} days up to toDate, from ${fromDate}`
        : `from fromDate up to today, ${toDate} (UTC)`;
  const flags = names.map((name) => `--param ${name}=yyyy-MM-dd`).join(" ");
  return `No ${names.map((name) => `--param ${name}`).join(" or ")} given: searching ${window}; pass ${flags} for another window.`;
}

/** An Athena query failed, was cancelled, or was stopped. */
export class AuditQueryError extends Error {
  public override readonly name = "AuditQueryError";
}

/** A saved query's name: kebab-case, as every name in `savedQueries` is. */
const SAVED_QUERY_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** Stands in for a raw SQL text, so that {@link bindSavedQuery} quotes its placeholders as text. */
function rawSqlQuery(sql: string): SavedQuery {
  return {
    name: "raw SQL",
    description: "SQL given on the command line",
    sql,
    parameters: placeholdersOf(sql).map((name) => ({
      name,
      type: "text",
      description: name,
      example: "VALUE",
    })),
  };
}

/**
 * Turns what the user typed into SQL: the name of a saved query (bound with `values`, each checked
 * against its parameter's type; a missing fromDate/toDate defaults to the last 7 days, see
 * {@link defaultDateWindow}) or, when it is not a name, raw SQL whose `:name` placeholders are bound
 * from `values` as quoted text.
 *
 * @param now the day the default window ends on (UTC) @default - the current time
 * @throws SavedQueryError for an unknown saved query, or naming every missing or unknown parameter at once
 */
export function prepareAuditQuery(
  nameOrSql: string,
  given: Readonly<Record<string, string>>,
  now: Date = new Date(),
): PreparedAuditQuery {
  const text = nameOrSql.trim();
  const isName = SAVED_QUERY_NAME.test(text);
  const query = isName ? findSavedQuery(text) : rawSqlQuery(text);
  const defaults = isName ? defaultDateWindow(query, given, now) : {};
  const values = { ...given, ...defaults };
  const label = isName ? `Saved query "${query.name}"` : "The SQL";
  const expected = query.parameters.map((p) => p.name);

  const unknown = Object.keys(values).filter((name) => !expected.includes(name));
  if (unknown.length > 0) {
    const hints = unknown.map((name) => {
      const near = expected.find((known) => known.toLowerCase() === name.toLowerCase());
      return near === undefined ? name : `${name} (did you mean ${near}?)`;
    });
    throw new SavedQueryError(
      `${label} has no parameter ${hints.join(", ")}; ${expected.length === 0 ? "it takes none, drop --param" : `its parameters are ${expected.join(", ")}`}.`,
    );
  }
  const missing = query.parameters.filter((p) => values[p.name] === undefined);
  if (missing.length > 0) {
    const flags = missing.map((p) => `--param ${p.name}=${p.example}`).join(" ");
    throw new SavedQueryError(
      `${label} needs ${flags} (missing: ${missing.map((p) => p.name).join(", ")});${isName ? ' "eventrail audit list" describes each.' : " give each :placeholder a value."}`,
    );
  }
  if (!isName) {
    const empty = expected.filter((name) => values[name] === "");
    if (empty.length > 0) {
      throw new SavedQueryError(
        `${label}'s --param ${empty.join(", ")} is empty; give each :placeholder a value.`,
      );
    }
  }
  const sql = bindSavedQuery(query, values);
  if (!isName) return { sql };
  return Object.keys(defaults).length === 0
    ? { savedQuery: query.name, sql }
    : { savedQuery: query.name, sql, defaultedParameters: defaults };
}

/** Where an Athena query stands, as {@link runAthenaQuery} reports it while waiting. */
export interface AthenaQueryProgress {
  readonly queryExecutionId: string;
  readonly state: QueryExecutionState;
  /** Bytes read so far: what the query is billed on. */
  readonly dataScannedInBytes: number;
}

/** How often {@link runAthenaQuery} asks Athena whether the query is done. */
export interface PollingSettings {
  /** Wait before the second GetQueryExecution. @default 200 */
  readonly initialDelayMs?: number;
  /** Each wait is this many times the one before. @default 1.5 */
  readonly factor?: number;
  /** The longest wait. @default 3000 */
  readonly maxDelayMs?: number;
}

/** What {@link runAthenaQuery} runs, where, and how it reports. */
export interface AthenaQueryRequest {
  readonly sql: string;
  /** The audit workgroup (stack output `AthenaWorkGroup`); it enforces the result location and the scan cutoff. */
  readonly workGroup: string;
  /** The audit database (stack output `AthenaDatabase`). */
  readonly database: string;
  /** Rows to read at most; paging stops there. @default - every row */
  readonly maxRows?: number;
  /** Called after every GetQueryExecution. @default - nothing */
  readonly onProgress?: (progress: AthenaQueryProgress) => void;
  /** @default - 200 ms, growing by 1.5 up to 3 s */
  readonly polling?: PollingSettings;
  /** Aborting stops the query in Athena (StopQueryExecution), so it stops scanning and billing. @default - none */
  readonly signal?: AbortSignal;
  /** Waits between polls; tests pass one that does not wait. @default - a timer, cut short by `signal` */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** An Athena query's answer, with what it cost. */
export interface AthenaQueryResult extends AuditQueryResult {
  readonly queryExecutionId: string;
  readonly dataScannedInBytes: number;
  /** Time the engine spent, as Athena reports it. */
  readonly engineExecutionTimeInMillis?: number;
}

/** GetQueryResults returns at most this many rows a page. */
const ATHENA_PAGE_SIZE = 1000;

const TERMINAL_STATES: ReadonlySet<string> = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

async function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal === undefined ? {} : { signal });
  } catch (error) {
    // An abort ends the wait early; the caller checks the signal and stops the query.
    if (!(signal?.aborted ?? false)) throw error;
  }
}

/**
 * Runs SQL in Athena and reads its rows: StartQueryExecution in the workgroup with the database as
 * context, GetQueryExecution with a growing back-off until the query ends, then GetQueryResults
 * page by page (the header row of the first page left out).
 *
 * @throws AuditQueryError when the query fails or is cancelled (with Athena's reason), or is stopped through `signal`
 */
export async function runAthenaQuery(
  client: AthenaClient,
  request: AthenaQueryRequest,
): Promise<AthenaQueryResult> {
  // Loaded here: `audit list` and local queries (this module prepares them too) never need it.
  const athena = await import("@aws-sdk/client-athena");
  const { StartQueryExecutionCommand } = athena;
  const started = await client.send(
    new StartQueryExecutionCommand({
      QueryString: request.sql,
      WorkGroup: request.workGroup,
      QueryExecutionContext: { Database: request.database },
    }),
  );
  const queryExecutionId = started.QueryExecutionId;
  if (queryExecutionId === undefined) {
    throw new AuditQueryError(
      `Athena accepted the query in workgroup "${request.workGroup}" but returned no QueryExecutionId; run it again.`,
    );
  }
  const execution = await waitForQuery(athena, client, queryExecutionId, request);
  const state = execution.Status?.State;
  const scanned = execution.Statistics?.DataScannedInBytes ?? 0;
  if (state !== "SUCCEEDED") {
    const reason = oneLine(
      execution.Status?.AthenaError?.ErrorMessage ?? execution.Status?.StateChangeReason ?? "no reason given",
    );
    const retry =
      execution.Status?.AthenaError?.Retryable === true ? "; Athena says running it again may succeed" : "";
    throw new AuditQueryError(`Athena query ${queryExecutionId} ${state ?? "ended"}: ${reason}${retry}.`);
  }
  const page = await readAllPages(
    athena,
    client,
    queryExecutionId,
    request.maxRows ?? Number.POSITIVE_INFINITY,
  );
  return {
    ...page,
    queryExecutionId,
    dataScannedInBytes: scanned,
    ...(execution.Statistics?.EngineExecutionTimeInMillis === undefined
      ? {}
      : { engineExecutionTimeInMillis: execution.Statistics.EngineExecutionTimeInMillis }),
  };
}

/** The Athena client package, loaded by {@link runAthenaQuery}. */
type AthenaSdk = typeof import("@aws-sdk/client-athena");

async function waitForQuery(
  { GetQueryExecutionCommand, StopQueryExecutionCommand }: AthenaSdk,
  client: AthenaClient,
  queryExecutionId: string,
  request: AthenaQueryRequest,
): Promise<QueryExecution> {
  const sleep = request.sleep ?? defaultSleep;
  const factor = request.polling?.factor ?? 1.5;
  const maxDelayMs = request.polling?.maxDelayMs ?? 3000;
  let wait = request.polling?.initialDelayMs ?? 200;
  for (;;) {
    if (request.signal?.aborted === true)
      return stopQuery(StopQueryExecutionCommand, client, queryExecutionId);
    const { QueryExecution: execution } = await client.send(
      new GetQueryExecutionCommand({ QueryExecutionId: queryExecutionId }),
    );
    const state = execution?.Status?.State;
    if (execution === undefined || state === undefined) {
      throw new AuditQueryError(
        `Athena returned no state for query ${queryExecutionId}; check it in the Athena console.`,
      );
    }
    request.onProgress?.({
      queryExecutionId,
      state,
      dataScannedInBytes: execution.Statistics?.DataScannedInBytes ?? 0,
    });
    if (TERMINAL_STATES.has(state)) return execution;
    await sleep(wait, request.signal);
    wait = Math.min(wait * factor, maxDelayMs);
  }
}

async function stopQuery(
  StopQueryExecutionCommand: AthenaSdk["StopQueryExecutionCommand"],
  client: AthenaClient,
  queryExecutionId: string,
): Promise<never> {
  await client.send(new StopQueryExecutionCommand({ QueryExecutionId: queryExecutionId }));
  throw new AuditQueryError(
    `Athena query ${queryExecutionId} was stopped at your request; run the command again to rerun it.`,
  );
}

async function readAllPages(
  { GetQueryResultsCommand }: AthenaSdk,
  client: AthenaClient,
  queryExecutionId: string,
  maxRows: number,
): Promise<AuditQueryResult> {
  let columns: QueryColumn[] | undefined;
  const rows: QueryRow[] = [];
  let nextToken: string | undefined;
  let firstPage = true;
  do {
    const page = await client.send(
      new GetQueryResultsCommand({
        QueryExecutionId: queryExecutionId,
        NextToken: nextToken,
        MaxResults: ATHENA_PAGE_SIZE,
      }),
    );
    columns ??= (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((info) => ({
      name: info.Label ?? info.Name ?? "",
      type: (info.Type ?? "unknown").toLowerCase(),
    }));
    let pageRows: QueryRow[] = (page.ResultSet?.Rows ?? []).map((row) =>
      (row.Data ?? []).map((datum) => datum.VarCharValue ?? null),
    );
    const header = pageRows[0];
    // SELECT results start with a row of column names; other statements' results do not.
    if (firstPage && header !== undefined && sameNames(header, columns)) pageRows = pageRows.slice(1);
    firstPage = false;
    rows.push(...pageRows);
    nextToken = page.NextToken;
    if (rows.length >= maxRows) break;
  } while (nextToken !== undefined);
  // A token left over after the limit means more pages were never read.
  const truncated = rows.length > maxRows || (rows.length >= maxRows && nextToken !== undefined);
  return { columns: columns ?? [], rows: rows.slice(0, maxRows), truncated };
}

function sameNames(row: QueryRow, columns: readonly QueryColumn[]): boolean {
  return row.length === columns.length && row.every((value, i) => value === columns[i]?.name);
}
