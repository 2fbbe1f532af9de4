import { AUDIT_TABLE_NAME } from "./audit-table";

/**
 * The audit trail's saved queries, in one place: the stack saves each as an Athena named query,
 * and the CLI runs the same SQL in Athena or, locally, in DuckDB over the same files.
 *
 * The SQL is Athena (Trino) dialect and keeps to what DuckDB shares or can emulate with one macro
 * (`json_extract_scalar`): text comparison, `CAST`, `substr`, date ± `INTERVAL`, window functions.
 * Parameters are named placeholders (`:orderId`) that {@link bindSavedQuery} replaces with quoted
 * literals. Every query filters on the `dt` partition, so none scans more than the days it names.
 */

/** How a parameter's value is checked and written into the SQL. */
export type SavedQueryParameterType = "date" | "timestamp" | "text";

/** One named placeholder of a saved query. */
export interface SavedQueryParameter {
  /** Placeholder name, written `:name` in the SQL. */
  readonly name: string;
  readonly type: SavedQueryParameterType;
  readonly description: string;
  /** A valid value, for help texts and tests. */
  readonly example: string;
}

/** A query over the audit table, runnable in Athena and DuckDB. */
export interface SavedQuery {
  /** kebab-case; the CLI's `eventrail audit query NAME` and the Athena named query use it. */
  readonly name: string;
  readonly description: string;
  /** Athena (Trino) SQL over {@link AUDIT_TABLE_NAME}, with `:name` placeholders. */
  readonly sql: string;
  readonly parameters: readonly SavedQueryParameter[];
}

/** Days a saved query searches when its fromDate and toDate are not given: today (UTC) and the days before. */
export const DEFAULT_WINDOW_DAYS = 7;

const fromDate: SavedQueryParameter = {
  name: "fromDate",
  type: "date",
  description: `First arrival day to search, UTC, yyyy-MM-dd (default: ${DEFAULT_WINDOW_DAYS - 1} days before toDate)`,
  example: "2026-03-01",
};
const toDate: SavedQueryParameter = {
  name: "toDate",
  type: "date",
  description: "Last arrival day to search (inclusive), UTC, yyyy-MM-dd (default: today)",
  example: "2026-03-07",
};

const eventId = "json_extract_scalar(detail, '$.metadata.eventId')";
const correlationId = "json_extract_scalar(detail, '$.metadata.correlationId')";
const occurredAt = "json_extract_scalar(detail, '$.metadata.occurredAt')";
const producer = "json_extract_scalar(detail, '$.metadata.producer')";

/** The columns a query that lists events returns, with the metadata most searches need. */
const eventColumns = `dt, event_time, detail_type, source, ${eventId} AS event_id, ${correlationId} AS correlation_id,
  ${producer} AS producer, replay_name, id, detail`;
/**
 * The same columns read back from a subquery that selected {@link eventColumns}. A fact recorded
 * more than once (a consumer retried after a crash re-publishes its follow-ups under the same
 * eventId; Firehose delivers at least once) is one row in the story queries.
 */
const outerColumns =
  "dt, event_time, detail_type, source, event_id, correlation_id, producer, replay_name, id, detail";
/**
 * Time order: EventBridge's time has whole seconds, so the producer's occurredAt breaks ties; copies
 * of one event (a replay, a redelivery) follow the original, in arrival-day order.
 */
const timeOrder = `event_time, ${occurredAt}, ${eventId}, dt, coalesce(replay_name, '')`;
const inDays = "dt BETWEEN :fromDate AND :toDate";

/**
 * A partition filter for an event-time window: partitions are arrival dates, and an event lands in
 * the partition of its own day, the day before (a Firehose buffer opened before midnight) or the
 * day after (EventBridge retried delivery for up to 24 h).
 */
const aroundWindow = `dt BETWEEN CAST(CAST(CAST(substr(:fromTime, 1, 10) AS date) - INTERVAL '1' DAY AS date) AS varchar)
    AND CAST(CAST(CAST(substr(:toTime, 1, 10) AS date) + INTERVAL '1' DAY AS date) AS varchar)`;

export const savedQueries: readonly SavedQuery[] = [
  {
    name: "events-per-type-per-day",
    description: "How many events of each type were recorded on each day.",
    sql: `SELECT dt, detail_type, count(*) AS events
FROM ${AUDIT_TABLE_NAME}
WHERE ${inDays}
GROUP BY dt, detail_type
ORDER BY dt, detail_type`,
    parameters: [fromDate, toDate],
  },
  {
    name: "order-story",
    description:
      "The full story of one order: every event whose data carries the order id, or whose metadata carries it as correlation id, in time order, each fact once (its first recording; by-event-id shows copies).",
    sql: `SELECT ${outerColumns}
FROM (
  SELECT ${eventColumns},
    row_number() OVER (PARTITION BY ${eventId} ORDER BY ${timeOrder}) AS sighting
  FROM ${AUDIT_TABLE_NAME}
  WHERE ${inDays}
    AND (json_extract_scalar(detail, '$.data.orderId') = :orderId OR ${correlationId} = :orderId)
) AS recorded
WHERE sighting = 1
ORDER BY ${timeOrder}`,
    parameters: [
      { name: "orderId", type: "text", description: "The order id, ORD-...", example: "ORD-1234" },
      fromDate,
      toDate,
    ],
  },
  {
    name: "by-correlation-id",
    description: "Every event of one business flow: all that share a correlationId, in time order.",
    sql: `SELECT ${eventColumns}
FROM ${AUDIT_TABLE_NAME}
WHERE ${inDays}
  AND ${correlationId} = :correlationId
ORDER BY ${timeOrder}`,
    parameters: [
      {
        name: "correlationId",
        type: "text",
        description: "detail.metadata.correlationId",
        example: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D0",
      },
      fromDate,
      toDate,
    ],
  },
  {
    name: "by-event-id",
    description:
      "One event by its eventId (detail.metadata.eventId). More than one row means it was recorded again: replayed, redriven or re-published.",
    sql: `SELECT ${eventColumns}
FROM ${AUDIT_TABLE_NAME}
WHERE ${inDays}
  AND ${eventId} = :eventId
ORDER BY dt, event_time, id`,
    parameters: [
      {
        name: "eventId",
        type: "text",
        description: "detail.metadata.eventId, the idempotency key",
        example: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D7",
      },
      fromDate,
      toDate,
    ],
  },
  {
    name: "producer-window",
    description:
      "What one producer published in a time window (EventBridge time, UTC; from inclusive, to exclusive).",
    sql: `SELECT ${eventColumns}
FROM ${AUDIT_TABLE_NAME}
WHERE ${aroundWindow}
  AND ${producer} = :producer
  AND event_time >= :fromTime AND event_time < :toTime
ORDER BY ${timeOrder}`,
    parameters: [
      {
        name: "producer",
        type: "text",
        description: "detail.metadata.producer, the publishing service",
        example: "checkout",
      },
      {
        name: "fromTime",
        type: "timestamp",
        description: "Window start, ISO 8601 (inclusive)",
        example: "2026-03-01T08:00:00Z",
      },
      {
        name: "toTime",
        type: "timestamp",
        description: "Window end, ISO 8601 (exclusive)",
        example: "2026-03-01T09:00:00Z",
      },
    ],
  },
  {
    name: "replayed-or-redriven",
    description:
      "Events recorded more than once: those carrying a replay-name (recorded only when the audit rule includes replays) and any eventId seen more than once (a redrive or re-publish), with how often each was seen.",
    sql: `WITH sightings AS (
  SELECT dt, event_time, detail_type, ${eventId} AS event_id, replay_name, id
  FROM ${AUDIT_TABLE_NAME}
  WHERE ${inDays}
),
repeated AS (
  SELECT event_id FROM sightings GROUP BY event_id HAVING count(*) > 1
)
SELECT dt, event_time, detail_type, event_id, replay_name, id,
  count(*) OVER (PARTITION BY event_id) AS sightings
FROM sightings
WHERE replay_name IS NOT NULL OR event_id IN (SELECT event_id FROM repeated)
ORDER BY event_id, dt, event_time, id`,
    parameters: [fromDate, toDate],
  },
];

/** Raised when a saved query is unknown or its parameter values are missing or malformed. */
export class SavedQueryError extends Error {
  public override readonly name = "SavedQueryError";
}

/** The saved query called `name`. */
export function findSavedQuery(name: string): SavedQuery {
  const query = savedQueries.find((q) => q.name === name);
  if (query === undefined) {
    throw new SavedQueryError(
      `Saved query "${name}" does not exist; expected one of: ${savedQueries.map((q) => q.name).join(", ")}`,
    );
  }
  return query;
}

const PLACEHOLDER = /:([A-Za-z][A-Za-z0-9]*)/g;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The placeholder names a SQL text uses, in order of first use. */
export function placeholdersOf(sql: string): string[] {
  return [...new Set([...sql.matchAll(PLACEHOLDER)].map((match) => match[1] ?? ""))];
}

function quote(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function literal(query: SavedQuery, parameter: SavedQueryParameter, value: string): string {
  const where = `Saved query "${query.name}": parameter ${parameter.name}`;
  switch (parameter.type) {
    case "date": {
      if (!isDate(value)) {
        throw new SavedQueryError(
          `${where} is "${value}"; expected a date yyyy-MM-dd such as ${parameter.example}`,
        );
      }
      return quote(value);
    }
    case "timestamp": {
      const instant = new Date(value);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(instant.getTime())) {
        throw new SavedQueryError(
          `${where} is "${value}"; expected an ISO 8601 date-time such as ${parameter.example}`,
        );
      }
      // EventBridge writes `time` as UTC with whole seconds; the same shape compares as text.
      return quote(`${instant.toISOString().slice(0, 19)}Z`);
    }
    case "text":
      if (value.length === 0) {
        throw new SavedQueryError(`${where} is empty; expected text such as ${parameter.example}`);
      }
      return quote(value);
  }
}

/**
 * The values of `query`'s day window (fromDate, toDate) that `values` lacks: toDate today (UTC) and
 * fromDate {@link DEFAULT_WINDOW_DAYS} - 1 days before toDate, so that a query given neither searches
 * the last 7 days, today included. Empty when the query has no such parameter or both are given.
 */
export function defaultDateWindow(
  query: SavedQuery,
  values: Readonly<Record<string, string>>,
  now: Date = new Date(),
): Record<string, string> {
  const names = new Set(query.parameters.map((p) => p.name));
  const defaults: Record<string, string> = {};
  const today = now.toISOString().slice(0, 10);
  const givenEnd = values[toDate.name];
  if (names.has(fromDate.name) && values[fromDate.name] === undefined) {
    // A malformed toDate is refused by its type when bound; the window then ends today.
    const end = givenEnd !== undefined && isDate(givenEnd) ? givenEnd : today;
    const start = new Date(`${end}T00:00:00Z`);
    start.setUTCDate(start.getUTCDate() - (DEFAULT_WINDOW_DAYS - 1));
    defaults[fromDate.name] = start.toISOString().slice(0, 10);
  }
  if (names.has(toDate.name) && givenEnd === undefined) defaults[toDate.name] = today;
  return defaults;
}

function isDate(value: string): boolean {
  if (!DATE.test(value)) return false;
  const day = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(value);
}

/**
 * The query's SQL with every placeholder replaced by a quoted literal. Each value is checked
 * against its parameter's type first; missing and unknown parameters are refused by name.
 */
export function bindSavedQuery(query: SavedQuery, values: Readonly<Record<string, string>>): string {
  const known = new Set(query.parameters.map((p) => p.name));
  const unknown = Object.keys(values).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new SavedQueryError(
      `Saved query "${query.name}" has no parameter ${unknown.join(", ")}; expected ${[...known].join(", ")}`,
    );
  }
  const literals = new Map<string, string>();
  for (const parameter of query.parameters) {
    const value = values[parameter.name];
    if (value === undefined) {
      throw new SavedQueryError(
        `Saved query "${query.name}" needs parameter ${parameter.name} (${parameter.description}), e.g. --param ${parameter.name}=${parameter.example}`,
      );
    }
    literals.set(parameter.name, literal(query, parameter, value));
  }
  return query.sql.replace(PLACEHOLDER, (_match, name: string) => literals.get(name) ?? `:${name}`);
}
