import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import type { AthenaClient } from "@aws-sdk/client-athena";
import { AUDIT_TABLE_NAME } from "../audit/audit-table";
import { PARTITION_COLUMN } from "../audit/firehose-layout";
import type { TimeWindow } from "./time-window";

/**
 * Counts the events of a time window in the audit trail: what a replay of the window would send
 * (the archive and the audit trail both see every event the bus accepts). Replays are left out, as
 * the archive leaves them out.
 */
export interface AuditEventCounter {
  /** How the count is made, for output, e.g. `Athena (workgroup eventrail-audit)`. */
  readonly method: string;
  /** Events whose `time` lies in the window and that carry no `replay-name`. */
  countEvents(window: TimeWindow): Promise<number>;
}

/** The audit query failed or returned something unexpected. */
export class AuditCountError extends Error {
  public override readonly name = "AuditCountError";
}

const DAY_MS = 86_400_000;

/**
 * The `dt=` partitions that can hold events of the window. Partitions are keyed on arrival at
 * Firehose, which follows the event's `time` by seconds, or up to a day when EventBridge retries;
 * a day each side covers both and clock skew.
 */
export function candidatePartitions(window: TimeWindow): string[] {
  const first = Date.UTC(
    window.start.getUTCFullYear(),
    window.start.getUTCMonth(),
    window.start.getUTCDate(),
  );
  const days: string[] = [];
  for (let day = first - DAY_MS; day <= window.end.getTime() + DAY_MS; day += DAY_MS) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}

/** Where the local pipeline's Firehose writes the audit objects. */
export interface LocalAuditLocation {
  /** The local pipeline's state folder: objects are under `<stateDir>/s3/<bucket>/<key>`. */
  readonly stateDir: string;
  readonly bucketName: string;
  /** The events' key prefix, e.g. `events/`. */
  readonly eventsPrefix: string;
}

/** The folder holding the `dt=` partitions of the local audit trail. */
export function localAuditEventsRoot(location: LocalAuditLocation): string {
  return path.join(location.stateDir, "s3", location.bucketName, location.eventsPrefix);
}

/**
 * Counts from the local pipeline's audit files (`<stateDir>/s3/<bucket>/<prefix>dt=.../*.gz`, gzip
 * JSON lines), reading them as streams. Events still in the delivery stream's buffer (its buffering
 * interval) are not on disk yet and are not counted.
 */
export function localAuditEventCounter(location: LocalAuditLocation): AuditEventCounter {
  const root = localAuditEventsRoot(location);
  return {
    method: `local audit files under ${root}`,
    async countEvents(window) {
      const from = window.start.getTime();
      const to = window.end.getTime();
      let count = 0;
      for (const day of candidatePartitions(window)) {
        const folder = path.join(root, `${PARTITION_COLUMN}=${day}`);
        const files = await readdir(folder).catch((error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return [];
          throw error;
        });
        for (const file of files.filter((f) => f.endsWith(".gz")).sort()) {
          for await (const event of readAuditObject(path.join(folder, file))) {
            const time = Date.parse(typeof event.time === "string" ? event.time : "");
            if (event["replay-name"] === undefined && time >= from && time < to) count++;
          }
        }
      }
      return count;
    },
  };
}

/** Where the Athena counter queries. */
export interface AthenaAuditSettings {
  readonly athena: AthenaClient;
  /** The stack's workgroup (it sets the result location and the scan limit). */
  readonly workGroup: string;
  /** The Glue database of the audit table. */
  readonly database: string;
  /** Time between GetQueryExecution calls. @default 1000 */
  readonly pollIntervalMs?: number;
  /** @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Counts with one Athena query on the audit table through the stack's workgroup, scanning only the
 * candidate `dt=` partitions (a few MB a day in the example domain: Athena's 10 MB minimum).
 */
export function athenaAuditEventCounter(settings: AthenaAuditSettings): AuditEventCounter {
  const sleep = settings.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    method: `Athena (workgroup ${settings.workGroup}, table ${settings.database}.${AUDIT_TABLE_NAME})`,
    async countEvents(window) {
      // Loaded here: the local counter (and `eventrail status`, which reads this module) never needs it.
      const { GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } = await import(
        "@aws-sdk/client-athena"
      );
      const started = await settings.athena.send(
        new StartQueryExecutionCommand({
          QueryString: auditCountQuery(settings.database, window),
          WorkGroup: settings.workGroup,
          QueryExecutionContext: { Database: settings.database },
        }),
      );
      const id = started.QueryExecutionId;
      if (id === undefined)
        throw new AuditCountError("Athena StartQueryExecution returned no QueryExecutionId.");
      for (;;) {
        const execution = await settings.athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
        const state = execution.QueryExecution?.Status?.State;
        if (state === "SUCCEEDED") break;
        if (state === "FAILED" || state === "CANCELLED") {
          const reason = execution.QueryExecution?.Status?.StateChangeReason ?? "no reason given";
          throw new AuditCountError(
            `Athena query ${id} in workgroup ${settings.workGroup} ${state.toLowerCase()}: ${reason}; check the workgroup's result location and the audit table.`,
          );
        }
        await sleep(settings.pollIntervalMs ?? 1_000);
      }
      const results = await settings.athena.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
      const value = results.ResultSet?.Rows?.[1]?.Data?.[0]?.VarCharValue;
      const count = Number(value);
      if (value === undefined || !Number.isInteger(count)) {
        throw new AuditCountError(
          `Athena query ${id} returned "${String(value)}"; expected a count of events.`,
        );
      }
      return count;
    },
  };
}

/**
 * The count query. `event_time` is `yyyy-MM-ddTHH:mm:ssZ` text, which sorts as time when the bounds
 * are written the same way; bounds are rounded up to the second because event times are whole
 * seconds (an event at second s is in [start, end) exactly when s >= ceil(start) and s < ceil(end)).
 */
export function auditCountQuery(database: string, window: TimeWindow): string {
  if (!/^[A-Za-z0-9_]+$/.test(database)) {
    throw new AuditCountError(
      `Athena database "${database}" is not a plain identifier; expected letters, digits and _ as the stack names it.`,
    );
  }
  const partitions = candidatePartitions(window);
  return [
    `SELECT count(*) AS events FROM "${database}"."${AUDIT_TABLE_NAME}"`,
    `WHERE ${PARTITION_COLUMN} BETWEEN '${partitions[0]}' AND '${partitions.at(-1)}'`,
    `  AND event_time >= '${secondsIso(window.start)}' AND event_time < '${secondsIso(window.end)}'`,
    "  AND replay_name IS NULL",
  ].join("\n");
}

function secondsIso(date: Date): string {
  const seconds = Math.ceil(date.getTime() / 1000) * 1000;
  return new Date(seconds).toISOString().replace(/\.\d{3}Z$/, "Z");
}

async function* readAuditObject(file: string): AsyncGenerator<Record<string, unknown>> {
  const lines = createInterface({
    input: createReadStream(file).pipe(createGunzip()),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of lines) {
    if (line.trim().length === 0) continue;
    try {
      yield JSON.parse(line) as Record<string, unknown>;
    } catch (error) {
      throw new AuditCountError(
        `Audit object ${file} has a line that is not JSON (${(error as Error).message}); expected one event per line as Firehose writes them.`,
        { cause: error },
      );
    }
  }
}
