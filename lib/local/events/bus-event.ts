import { randomUUID } from "node:crypto";
import { DEFAULT_MAX_ENTRY_BYTES, putEventsEntrySize } from "../../producer/entry-size";
import { AwsServiceError } from "../aws-error";
import { exceedsJsonDepth, MAX_DETAIL_NESTING_DEPTH } from "../untrusted-text";

/** An event as EventBridge delivers it to targets (and as the archive and the audit trail keep it). */
export interface BusEvent {
  readonly version: "0";
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
  /** Present on events a replay re-injected: the replay's name. */
  readonly "replay-name"?: string;
}

/** One `PutEvents` request entry, as the wire carries it. */
export interface PutEventsRequestEntry {
  readonly Time?: number | string | null;
  readonly Source?: string;
  readonly Resources?: readonly string[];
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly EventBusName?: string;
  readonly TraceHeader?: string;
}

/** A rejected entry: the error code and message EventBridge reports for it. */
export interface EntryRejection {
  readonly ErrorCode: string;
  readonly ErrorMessage: string;
}

/** Where entries are evaluated: the account, region and the entry-size limit. */
export interface EntryContext {
  readonly accountId: string;
  readonly region: string;
  /** @default 1 MiB */
  readonly maxEntryBytes?: number;
  /** @default - the current time */
  readonly now?: Date;
}

/**
 * Checks the wire shape of PutEvents' `Entries` before anything else happens: a list of objects
 * whose members have the types the API declares. Anything else is the whole request's
 * `SerializationException`, as the JSON protocol answers a body it cannot read, so nothing is
 * routed. Returns the entries, typed.
 */
export function readPutEventsEntries(entries: unknown): PutEventsRequestEntry[] {
  const refuse = (what: string): never => {
    throw new AwsServiceError(
      "SerializationException",
      `PutEvents cannot read its request: ${what}. Entries must be a list of 1 to 10 objects with the string members Source, DetailType, Detail, EventBusName, TraceHeader, a list of strings Resources and a timestamp Time.`,
    );
  };
  if (entries === undefined) return [];
  if (!Array.isArray(entries)) refuse(`Entries is ${describe(entries)}, not a list`);
  const list = entries as unknown[];
  list.forEach((entry, index) => {
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      refuse(`Entries[${index}] is ${describe(entry)}, not an object`);
    }
    const members = entry as Record<string, unknown>;
    for (const field of ["Source", "DetailType", "Detail", "EventBusName", "TraceHeader"]) {
      const value = members[field];
      if (value !== undefined && value !== null && typeof value !== "string") {
        refuse(`Entries[${index}].${field} is ${describe(value)}, not a string`);
      }
    }
    const resources = members.Resources;
    if (
      resources !== undefined &&
      resources !== null &&
      (!Array.isArray(resources) || resources.some((resource) => typeof resource !== "string"))
    ) {
      refuse(`Entries[${index}].Resources is not a list of strings`);
    }
    const time = members.Time;
    if (time !== undefined && time !== null && typeof time !== "number" && typeof time !== "string") {
      refuse(`Entries[${index}].Time is ${describe(time)}, not a timestamp`);
    }
  });
  return list as PutEventsRequestEntry[];
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object"
    ? "an object"
    : `the ${typeof value} ${JSON.stringify(value)?.slice(0, 40)}`;
}

/** Whether {@link toBusEvent} rejected the entry. */
export function isRejection(value: BusEvent | EntryRejection): value is EntryRejection {
  return "ErrorCode" in value;
}

/**
 * Turns one PutEvents entry into the event EventBridge would route, or the per-entry error it would
 * report: the same checks in the same order as the service (required fields, Detail a JSON object,
 * the entry-size limit computed with AWS's formula).
 */
export function toBusEvent(entry: PutEventsRequestEntry, context: EntryContext): BusEvent | EntryRejection {
  for (const field of ["Source", "DetailType", "Detail"] as const) {
    const value = entry[field];
    if (typeof value !== "string" || value.length === 0) {
      return {
        ErrorCode: "InvalidArgument",
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      };
    }
  }
  // Deeper than EventBridge's reader accepts: refused before any recursive code (the parser, the
  // pattern matcher, the archive's serializer) sees it.
  if (exceedsJsonDepth(entry.Detail as string, MAX_DETAIL_NESTING_DEPTH)) {
    return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
  }
  let detail: unknown;
  try {
    detail = JSON.parse(entry.Detail as string);
  } catch {
    return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
  }
  if (detail === null || typeof detail !== "object" || Array.isArray(detail)) {
    return { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." };
  }
  // A null member is an absent one on the JSON protocol: the event takes the time it arrives.
  const time = entry.Time === undefined || entry.Time === null ? undefined : toDate(entry.Time);
  if (time === null) {
    return {
      ErrorCode: "InvalidArgument",
      ErrorMessage: `Parameter Time is not valid. Reason: ${String(entry.Time)} is not a timestamp.`,
    };
  }
  const maxEntryBytes = context.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES;
  const size = putEventsEntrySize({
    Time: time,
    Source: entry.Source,
    DetailType: entry.DetailType,
    Detail: entry.Detail,
    Resources: entry.Resources,
  });
  if (size > maxEntryBytes) {
    return {
      ErrorCode: "InvalidArgument",
      ErrorMessage: `Event size ${size} bytes exceeds the limit of ${maxEntryBytes} bytes.`,
    };
  }
  return {
    version: "0",
    id: randomUUID(),
    "detail-type": entry.DetailType as string,
    source: entry.Source as string,
    account: context.accountId,
    time: toEventTime(time ?? context.now ?? new Date()),
    region: context.region,
    resources: [...(entry.Resources ?? [])],
    detail: detail as Record<string, unknown>,
  };
}

/** EventBridge writes `time` to the second, in UTC. */
function toEventTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

/** The wire carries Time as epoch seconds (JSON protocol) or, from hand-written clients, ISO text. */
function toDate(value: number | string): Date | null {
  const date = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}
