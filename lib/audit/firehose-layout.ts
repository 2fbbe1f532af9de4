import { gzipSync } from "node:zlib";

/**
 * The S3 layout of the audit trail, in one place: the delivery stream's prefixes, the Glue table's
 * location template and partition projection, and the local Firehose emulation all derive from
 * these values, so they cannot drift apart.
 *
 * Partitions are daily and keyed on **arrival time**: Firehose's `!{timestamp:...}` namespace is
 * the approximate arrival time of the oldest record in the object. Event time would need dynamic
 * partitioning (a jq pass over every record, billed per GB, a 64 MiB minimum buffer and a limit of
 * active partitions) for no gain here: an event arrives seconds after its `time`, so its partition
 * is its event date, give or take one day (a buffer straddling midnight, or EventBridge retrying
 * for up to 24 h). Queries that select on event time widen their partition filter by that day.
 * Daily rather than hourly: a day of the example domain is a few MB of gzip, below Athena's 10 MB
 * billing minimum, so finer partitions would not make any query cheaper.
 */

/** Partition column of the audit table. */
export const PARTITION_COLUMN = "dt";

/** Date pattern of the partition value, in Java `DateTimeFormatter` syntax (Firehose and Athena). */
export const PARTITION_DATE_FORMAT = "yyyy-MM-dd";

/** Where delivered events land, under the bucket root. @see dataOutputPrefix */
export const DEFAULT_EVENTS_PREFIX = "events/";

/** Where Firehose writes records it failed to deliver, under the bucket root. */
export const DEFAULT_ERRORS_PREFIX = "delivery-errors/";

/** Firehose appends this to every object name when it compresses with GZIP. */
const GZIP_OBJECT_SUFFIX = ".gz";

/** Firehose `Prefix`: `events/dt=2026-03-01/`, by arrival date (UTC). */
export function dataOutputPrefix(eventsPrefix: string = DEFAULT_EVENTS_PREFIX): string {
  return `${eventsPrefix}${PARTITION_COLUMN}=!{timestamp:${PARTITION_DATE_FORMAT}}/`;
}

/**
 * Firehose `ErrorOutputPrefix`. Firehose requires `!{firehose:error-output-type}` in it whenever
 * the data prefix uses expressions.
 */
export function errorOutputPrefix(errorsPrefix: string = DEFAULT_ERRORS_PREFIX): string {
  return `${errorsPrefix}!{firehose:error-output-type}/${PARTITION_COLUMN}=!{timestamp:${PARTITION_DATE_FORMAT}}/`;
}

/** Athena partition projection's `storage.location.template` for the events under `eventsPrefix`. */
export function partitionLocationTemplate(bucketName: string, eventsPrefix: string): string {
  return `s3://${bucketName}/${eventsPrefix}${PARTITION_COLUMN}=\${${PARTITION_COLUMN}}/`;
}

/** Raised when a Firehose prefix uses an expression this emulation does not know. */
export class FirehosePrefixError extends Error {
  public override readonly name = "FirehosePrefixError";
}

const DATE_FIELDS: Record<string, (d: Date) => string> = {
  yyyy: (d) => String(d.getUTCFullYear()).padStart(4, "0"),
  MM: (d) => String(d.getUTCMonth() + 1).padStart(2, "0"),
  dd: (d) => String(d.getUTCDate()).padStart(2, "0"),
  HH: (d) => String(d.getUTCHours()).padStart(2, "0"),
  mm: (d) => String(d.getUTCMinutes()).padStart(2, "0"),
  ss: (d) => String(d.getUTCSeconds()).padStart(2, "0"),
};

function formatTimestamp(pattern: string, arrival: Date): string {
  return pattern.replace(/[A-Za-z]+/g, (field) => {
    const format = DATE_FIELDS[field];
    if (format === undefined) {
      throw new FirehosePrefixError(
        `Timestamp field "${field}" in "${pattern}" is not supported; expected ${Object.keys(DATE_FIELDS).join(", ")}`,
      );
    }
    return format(arrival);
  });
}

/** What a Firehose prefix expression is evaluated with. */
export interface PrefixContext {
  /** Arrival time of the oldest record of the object. */
  readonly arrival: Date;
  /** For `!{firehose:error-output-type}`, e.g. `processing-failed`. @default "processing-failed" */
  readonly errorOutputType?: string;
  /** For `!{firehose:random-string}`. @default "0000000000" */
  readonly randomString?: string;
}

/**
 * Evaluates a Firehose S3 prefix as Firehose does (in UTC, the default time zone), for the
 * expressions this project uses: `!{timestamp:<yyyy MM dd HH mm ss>}`,
 * `!{firehose:error-output-type}` and `!{firehose:random-string}`. The local pipeline reads the
 * prefix from the synthesized template and writes its files where Firehose would.
 */
export function renderFirehosePrefix(prefix: string, context: PrefixContext): string {
  return prefix.replace(/!\{([^:}]*):?([^}]*)\}/g, (expression, namespace: string, argument: string) => {
    if (namespace === "timestamp") return formatTimestamp(argument, context.arrival);
    if (namespace === "firehose" && argument === "error-output-type") {
      return context.errorOutputType ?? "processing-failed";
    }
    if (namespace === "firehose" && argument === "random-string") return context.randomString ?? "0000000000";
    throw new FirehosePrefixError(
      `Prefix expression ${expression} is not supported; expected !{timestamp:...}, !{firehose:error-output-type} or !{firehose:random-string}`,
    );
  });
}

/** What names one object that Firehose delivers. */
export interface DeliveredObjectName {
  /** The delivery stream's `Prefix`, expressions unevaluated, e.g. `events/dt=!{timestamp:yyyy-MM-dd}/`. */
  readonly prefix: string;
  readonly deliveryStreamName: string;
  /** Arrival time of the oldest record in the object. */
  readonly arrival: Date;
  /** A random string Firehose adds to make the name unique. */
  readonly uniqueSuffix: string;
  /** @default 1 */
  readonly deliveryStreamVersion?: number;
}

/**
 * The key Firehose gives a GZIP object:
 * `events/dt=2026-03-01/<stream>-1-2026-03-01-08-30-00-<random>.gz`.
 */
export function deliveredObjectKey(name: DeliveredObjectName): string {
  const stamp = formatTimestamp("yyyy-MM-dd-HH-mm-ss", name.arrival);
  const version = name.deliveryStreamVersion ?? 1;
  const prefix = renderFirehosePrefix(name.prefix, { arrival: name.arrival });
  return `${prefix}${name.deliveryStreamName}-${version}-${stamp}-${name.uniqueSuffix}${GZIP_OBJECT_SUFFIX}`;
}

/**
 * The body of one delivered object: each event as compact JSON followed by `\n` (the
 * `AppendDelimiterToRecord` processor), the whole buffer gzip-compressed.
 */
export function encodeDeliveredObject(events: readonly unknown[]): Buffer {
  return gzipSync(events.map((event) => `${JSON.stringify(event)}\n`).join(""));
}
