import * as path from "node:path";
import {
  DEFAULT_WINDOW_DAYS,
  type SavedQuery,
  SavedQueryError,
  savedQueries,
} from "../../audit/saved-queries";
import {
  type AthenaQueryProgress,
  type AuditQueryResult,
  describeDefaultedParameters,
  type PreparedAuditQuery,
  prepareAuditQuery,
  type QueryColumn,
  runAthenaQuery,
} from "../../ops/audit-query";
import { CliUsageError, defineCommand, ExitCode } from "../command";
import { defineCommandGroup } from "../command-group";
import { type CliIo, type CliOutput, paint, writeLine } from "../io";
import { localPipelineEndpoint, locateLocalState, opsTargetOptions, resolveOpsTarget } from "../ops-target";
import { renderTable } from "../table";

/** Rows printed unless `--max-rows` says otherwise: a terminal's worth, and a bound on what Athena pages. */
const DEFAULT_MAX_ROWS = 1000;
/** Table cells are cut to this many characters; `detail` JSON would otherwise make every row wrap. */
const MAX_CELL_WIDTH = 60;

const OUTPUT_FORMATS = ["table", "csv", "json"] as const;
type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** One saved query as `audit list --json` prints it. */
export interface SavedQueryEntry {
  readonly name: string;
  readonly description: string;
  readonly parameters: SavedQuery["parameters"];
  /** Athena SQL with `:name` placeholders. */
  readonly sql: string;
}

/** What `audit query --format json` prints. */
export interface AuditQueryOutput {
  /** `athena` in AWS, `duckdb` over the local audit files. */
  readonly engine: "athena" | "duckdb";
  /** The saved query run, or `null` for raw SQL. */
  readonly savedQuery: string | null;
  /** The SQL as run, placeholders bound. */
  readonly sql: string;
  /** Parameters not given that took their default (fromDate/toDate: the last 7 days), by name. */
  readonly defaultedParameters?: Readonly<Record<string, string>>;
  readonly columns: readonly QueryColumn[];
  /** Each row as an object keyed by column name; every value is text or `null`. */
  readonly rows: readonly Readonly<Record<string, string | null>>[];
  readonly rowCount: number;
  /** Whether more rows than `--max-rows` exist and were not read. */
  readonly truncated: boolean;
  /** Athena only. */
  readonly queryExecutionId?: string;
  /** Athena only: what the query is billed on. */
  readonly dataScannedInBytes?: number;
  /** Local only: the folder holding the `dt=` partitions that were read. */
  readonly eventsRoot?: string;
}

const listCommand = defineCommand({
  name: "audit list",
  summary: "List the saved queries: name, description, parameters.",
  description:
    "Lists the saved queries of the audit trail (lib/audit/saved-queries.ts), each with its parameters and a\n" +
    "command line that runs it. The stack saves the same queries as Athena named queries in its workgroup.",
  usage: "[--json]",
  options: {
    json: { type: "boolean", description: "Print { savedQueries: [...] } as JSON, with each query's SQL." },
  },
  examples: ["eventrail audit list", "eventrail audit list --json | jq -r '.savedQueries[].name'"],
  async run(options, io) {
    if (options.json) {
      const entries: SavedQueryEntry[] = savedQueries.map(({ name, description, parameters, sql }) => ({
        name,
        description,
        parameters,
        sql,
      }));
      writeLine(io.stdout, JSON.stringify({ savedQueries: entries }, null, 2));
      return ExitCode.ok;
    }
    savedQueries.forEach((query, i) => {
      if (i > 0) writeLine(io.stdout);
      printSavedQuery(io.stdout, query);
    });
    return ExitCode.ok;
  },
});

const queryCommand = defineCommand({
  name: "audit query",
  summary: "Run a saved query (or SQL) in Athena, or with --local over the local audit files.",
  description: [
    "Runs a saved query by name, its :placeholders bound from --param NAME=VALUE (each value checked against",
    "its type), or raw SQL in Athena's dialect over the table audit_events (raw SQL is allowed; its :name",
    "placeholders are bound from --param as quoted text; write casts as CAST(x AS type)).",
    "In AWS the query runs in the stack's Athena workgroup and database (stack outputs AthenaWorkGroup and",
    "AthenaDatabase), its state and data scanned shown while it runs; Ctrl-C stops it in Athena.",
    "With --local, DuckDB runs the same SQL in this process over the gzip JSON-lines files the local pipeline",
    "wrote under <state-dir>/s3/<audit bucket>/events/; the pipeline need not be running. The bucket comes",
    "from the stack outputs in --cdk-out, else it is the only bucket folder with events/. It is your own SQL in",
    "your own terminal, so DuckDB keeps its full power (it can read and write any file you can); SQL that",
    "arrives over HTTP runs sandboxed instead, reading the audit events and nothing else.",
    `Table output cuts cells at ${MAX_CELL_WIDTH} characters; csv and json keep them whole. "eventrail audit list"`,
    `names the saved queries and their parameters; a saved query's fromDate and toDate default to the last ${DEFAULT_WINDOW_DAYS}`,
    "days (UTC, today included), as the output says. Without --state-dir, --local reads the state folder of the",
    "local pipeline running on AWS_ENDPOINT_URL (else http://127.0.0.1:4010), else ./.eventrail.",
  ].join("\n"),
  usage:
    "NAME|SQL [--param NAME=VALUE]... [--format table|csv|json] [--max-rows N] [--local [--state-dir DIR] [--cdk-out DIR] | --region R [--profile NAME] [--stack NAME]]",
  options: {
    query: {
      type: "string",
      valueName: "NAME|SQL",
      description: "The saved query or the SQL (or give it first, without --query).",
    },
    param: {
      type: "string",
      valueName: "NAME=VALUE",
      description: "A parameter value; repeat for each, e.g. --param orderId=ORD-1234.",
    },
    format: { type: "string", valueName: "FORMAT", description: "table (default), csv or json." },
    json: { type: "boolean", description: "Same as --format json: rows, columns, SQL and data scanned." },
    "max-rows": {
      type: "string",
      valueName: "N",
      description: `Read at most N rows (default ${DEFAULT_MAX_ROWS}); the output says when more exist.`,
    },
    ...opsTargetOptions,
    local: {
      type: "boolean",
      description: "Query the local pipeline's audit files with DuckDB instead of Athena.",
    },
    endpoint: {
      type: "string",
      valueName: "URL",
      description: "An AWS-compatible endpoint (outputs from its CloudFormation); not with --local.",
    },
  },
  examples: [
    "eventrail audit query order-story --param orderId=ORD-1234 --param fromDate=2026-03-01 --param toDate=2026-03-07 --region eu-west-1",
    "eventrail audit query events-per-type-per-day --local",
    "eventrail audit query events-per-type-per-day --param fromDate=2026-03-01 --param toDate=2026-03-01 --local",
    `eventrail audit query "SELECT detail_type, count(*) AS events FROM audit_events WHERE dt = '2026-03-01' GROUP BY 1" --format csv`,
    "eventrail audit query by-event-id --param eventId=01K2HZ3V1Q6Y0WJ8T7N4B5C6D7 --param fromDate=2026-03-01 --param toDate=2026-03-02 --json",
  ],
  async run(options, io) {
    const format = outputFormat(options.format, options.json);
    const maxRows = wholeNumber("max-rows", options["max-rows"]) ?? DEFAULT_MAX_ROWS;
    if (options.query === undefined || options.query.trim() === "") {
      throw new CliUsageError(
        'Give a saved query name or SQL, e.g. "eventrail audit query order-story --param orderId=ORD-1234 ..."; "eventrail audit list" names them.',
      );
    }
    const prepared = prepare(options.query, parseParams(options.param));
    if (options.local) {
      for (const remote of ["endpoint", "profile", "region"] as const) {
        if (options[remote] !== undefined) {
          throw new CliUsageError(
            `--${remote} "${options[remote]}" does not apply to --local: the local audit files are read directly; drop --${remote}.`,
          );
        }
      }
      const cwd = process.cwd();
      const state = locateLocalState({
        stateDir: options["state-dir"],
        endpoint: localPipelineEndpoint(undefined, io.env),
        env: io.env,
        cwd,
      });
      if (state.note !== undefined) writeLine(io.stderr, paint(io.stderr, "yellow", state.note));
      // Loaded here: DuckDB (native) only for a local query.
      const { locateLocalAuditEvents, runLocalAuditQuery } = await import("../../ops/local-audit");
      const location = await locateLocalAuditEvents({
        stateDir: state.stateDir,
        cdkOutDir: path.resolve(cwd, options["cdk-out"] ?? state.running?.cdkOutDir ?? "cdk.out"),
        stackName: options.stack,
      });
      const result = await runLocalAuditQuery({
        eventsRoot: location.eventsRoot,
        sql: prepared.sql,
        maxRows,
      });
      printResult(io, format, prepared, result, {
        engine: "duckdb",
        eventsRoot: location.eventsRoot,
        origin: `the local audit files under ${location.eventsRoot} (DuckDB)`,
      });
      return ExitCode.ok;
    }

    const target = await resolveOpsTarget(options, { env: io.env });
    const { AthenaClient } = await import("@aws-sdk/client-athena");
    const athena = new AthenaClient(target.clientConfig);
    const status = statusLine(io.stderr);
    // Ctrl-C stops the query in Athena too, or it would go on scanning (and billing) unseen.
    const stop = new AbortController();
    const onInterrupt = () => stop.abort();
    process.once("SIGINT", onInterrupt);
    try {
      const result = await runAthenaQuery(athena, {
        sql: prepared.sql,
        workGroup: target.resources.athenaWorkGroup,
        database: target.resources.athenaDatabase,
        maxRows,
        signal: stop.signal,
        onProgress: (progress) => status.update(describeProgress(progress)),
      });
      status.clear();
      printResult(io, format, prepared, result, {
        engine: "athena",
        queryExecutionId: result.queryExecutionId,
        dataScannedInBytes: result.dataScannedInBytes,
        origin: `Athena query ${result.queryExecutionId} (workgroup ${target.resources.athenaWorkGroup}, ${formatBytes(result.dataScannedInBytes)} scanned)`,
      });
      return ExitCode.ok;
    } finally {
      status.clear();
      process.off("SIGINT", onInterrupt);
      athena.destroy();
    }
  },
});

/** `eventrail audit`: the saved queries of the audit trail, run in Athena or locally. */
export const auditCommand = defineCommandGroup({
  name: "audit",
  summary: "Query the audit trail: saved queries or SQL, in Athena or (--local) over the local files.",
  description:
    "Every event on the bus is recorded in the audit trail (gzip JSON lines in S3, table audit_events).\n" +
    '"audit list" names the saved queries; "audit query" runs one (or SQL) in the stack\'s Athena workgroup,\n' +
    "or with --local in DuckDB over the local pipeline's audit files.",
  subcommands: [
    { command: listCommand },
    { command: queryCommand, positional: "query", repeatable: ["param"] },
  ],
  examples: [
    "eventrail audit list",
    "eventrail audit query order-story --param orderId=ORD-1234 --param fromDate=2026-03-01 --param toDate=2026-03-07",
    "eventrail audit query replayed-or-redriven --param fromDate=2026-03-01 --param toDate=2026-03-07 --local",
  ],
});

function printSavedQuery(out: CliOutput, query: SavedQuery): void {
  writeLine(out, paint(out, "bold", query.name));
  writeLine(out, `  ${query.description}`);
  const width = Math.max(...query.parameters.map((p) => `${p.name} (${p.type})`.length));
  query.parameters.forEach((p, i) => {
    const label = i === 0 ? "parameters:" : "";
    writeLine(out, `  ${label.padEnd(11)} ${`${p.name} (${p.type})`.padEnd(width)}  ${p.description}`);
  });
  const flags = query.parameters.map((p) => `--param ${p.name}=${p.example}`).join(" ");
  writeLine(out, `  ${paint(out, "dim", `eventrail audit query ${query.name} ${flags}`)}`);
}

function outputFormat(format: string | undefined, json: boolean): OutputFormat {
  if (format === undefined) return json ? "json" : "table";
  const known = OUTPUT_FORMATS.find((f) => f === format);
  if (known === undefined) {
    throw new CliUsageError(
      `--format "${format}" is not a format; expected one of: ${OUTPUT_FORMATS.join(", ")}.`,
    );
  }
  if (json && known !== "json") {
    throw new CliUsageError(`--json contradicts --format ${known}; drop one of them.`);
  }
  return known;
}

function wholeNumber(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new CliUsageError(
      `--${option} "${value}" is not a whole number of at least 1; e.g. --${option} 100.`,
    );
  }
  return Number(value);
}

/**
 * Reads `--param` values. The group hands repeated options over joined with commas, so the text is
 * split only before `name=`, which keeps commas inside a value.
 */
function parseParams(joined: string | undefined): Record<string, string> {
  const values: Record<string, string> = {};
  if (joined === undefined) return values;
  for (const pair of joined.split(/,(?=[A-Za-z][A-Za-z0-9]*=)/)) {
    const match = /^([A-Za-z][A-Za-z0-9]*)=(.*)$/s.exec(pair);
    if (match === null) {
      throw new CliUsageError(`--param "${pair}" is not NAME=VALUE; e.g. --param orderId=ORD-1234.`);
    }
    const [, name = "", value = ""] = match;
    if (Object.hasOwn(values, name)) {
      throw new CliUsageError(
        `--param ${name} is given twice ("${values[name]}" and "${value}"); give it once.`,
      );
    }
    values[name] = value;
  }
  return values;
}

function prepare(nameOrSql: string, values: Record<string, string>): PreparedAuditQuery {
  try {
    return prepareAuditQuery(nameOrSql, values);
  } catch (error) {
    // An unknown query or a missing parameter is a wrong command line: exit code 2, nothing was run.
    if (error instanceof SavedQueryError) throw new CliUsageError(error.message, { cause: error });
    throw error;
  }
}

/** Where a result came from, for the summary line and the JSON. */
interface ResultOrigin {
  readonly engine: AuditQueryOutput["engine"];
  readonly origin: string;
  readonly queryExecutionId?: string;
  readonly dataScannedInBytes?: number;
  readonly eventsRoot?: string;
}

function printResult(
  io: CliIo,
  format: OutputFormat,
  prepared: PreparedAuditQuery,
  result: AuditQueryResult,
  from: ResultOrigin,
): void {
  if (format === "json") {
    const { origin: _origin, ...source } = from;
    const output: AuditQueryOutput = {
      ...source,
      savedQuery: prepared.savedQuery ?? null,
      sql: prepared.sql,
      ...(prepared.defaultedParameters === undefined
        ? {}
        : { defaultedParameters: prepared.defaultedParameters }),
      columns: result.columns,
      rows: result.rows.map((row) =>
        Object.fromEntries(result.columns.map((c, i) => [c.name, row[i] ?? null])),
      ),
      rowCount: result.rows.length,
      truncated: result.truncated,
    };
    writeLine(io.stdout, JSON.stringify(output, null, 2));
    return;
  }
  const names = result.columns.map((c) => c.name);
  if (format === "csv") {
    for (const row of [names, ...result.rows]) writeLine(io.stdout, row.map(csvField).join(","));
  } else if (result.rows.length === 0) {
    writeLine(io.stdout, "(no rows)");
  } else {
    const cells = result.rows.map((row) =>
      row.map((value) => (value === null ? { text: "NULL", style: "dim" as const } : cellText(value))),
    );
    writeLine(io.stdout, renderTable(io.stdout, names, cells));
  }
  writeLine(io.stderr, `${result.rows.length} row(s) from ${from.origin}.`);
  const defaulted = describeDefaultedParameters(prepared);
  if (defaulted !== undefined) writeLine(io.stderr, defaulted);
  if (result.truncated) {
    writeLine(
      io.stderr,
      paint(
        io.stderr,
        "yellow",
        `More rows exist: only the first ${result.rows.length} were read; pass --max-rows N.`,
      ),
    );
  }
}

function cellText(value: string): string {
  const flat = value.replace(/\r?\n/g, "\\n");
  return flat.length > MAX_CELL_WIDTH ? `${flat.slice(0, MAX_CELL_WIDTH - 1)}…` : flat;
}

/** RFC 4180: quoted when it holds a comma, a quote or a line break; NULL is an empty field. */
function csvField(value: string | null): string {
  if (value === null) return "";
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

function describeProgress(progress: AthenaQueryProgress): string {
  return `Athena query ${progress.queryExecutionId}: ${progress.state}, ${formatBytes(progress.dataScannedInBytes)} scanned`;
}

/** Bytes as Athena's console shows them: decimal units, two decimals. */
function formatBytes(bytes: number): string {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(2)} ${units[unit]}`;
}

/**
 * A status line redrawn in place on a terminal while a query runs. Pipes and files get nothing: the
 * summary line that follows names the query and what it scanned.
 */
function statusLine(stream: CliOutput): { update(text: string): void; clear(): void } {
  let drawn = false;
  return {
    update(text) {
      if (stream.isTTY !== true) return;
      stream.write(`\r\x1b[2K${text}`);
      drawn = true;
    },
    clear() {
      if (drawn) stream.write("\r\x1b[2K");
      drawn = false;
    },
  };
}
