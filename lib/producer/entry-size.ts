import { AWS_LIMITS } from "../aws-limits";

/** Entries one PutEvents call takes on the classic event bus. */
export const MAX_ENTRIES_PER_CALL = AWS_LIMITS.eventBridgePutEventsEntries.max;

/** The PutEvents entry-size limit since January 2026 (1 MiB). The default of `maxEntryBytes`. */
export const DEFAULT_MAX_ENTRY_BYTES = AWS_LIMITS.eventBridgeEntryBytes.max;

/** The former limit (256 KiB), still documented in places; use it for buses or regions that keep it. */
export const LEGACY_MAX_ENTRY_BYTES = 262_144;

/** The fields of a PutEvents entry that count towards its size. */
export interface SizedEntry {
  readonly Time?: Date;
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: readonly string[];
}

/** Bytes `Time` counts for when set, whatever its value (AWS's formula). */
const TIME_BYTES = 14;

/**
 * The size of a PutEvents entry as EventBridge computes it (AWS user guide, "Calculating PutEvents
 * event entry size"): 14 bytes for `Time` when set, plus the UTF-8 bytes of `Source`, `DetailType`,
 * `Detail` and of each `Resources` item. `EventBusName` and `TraceHeader` do not count.
 */
export function putEventsEntrySize(entry: SizedEntry): number {
  let size = entry.Time === undefined ? 0 : TIME_BYTES;
  size += utf8Bytes(entry.Source) + utf8Bytes(entry.DetailType) + utf8Bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += utf8Bytes(resource);
  return size;
}

function utf8Bytes(value: string | undefined): number {
  return value === undefined ? 0 : Buffer.byteLength(value, "utf8");
}

/**
 * Firehose's limit on one record, 1,000 KiB (1,024,000 bytes): the largest audit record the audit
 * trail's delivery stream takes. The default of `maxAuditRecordBytes`. It is smaller than
 * EventBridge's 1 MiB entry limit, and an audit record is larger than its entry: whatever EventBridge
 * accepts between the two is refused by Firehose and never reaches the audit bucket.
 */
export const DEFAULT_MAX_AUDIT_RECORD_BYTES = 1_024_000;

/**
 * Bytes the envelope's `region` is counted at: longer than any AWS region name (the longest,
 * `us-isof-southeast-1`, has 19), so the estimate holds in every region.
 */
export const AUDIT_REGION_ALLOWANCE_BYTES = 20;

/** Stand-ins of the fields EventBridge adds, each as long as the real value can be. */
const ENVELOPE_STAND_INS = {
  /** EventBridge's event id: a UUID. */
  id: "00000000-0000-0000-0000-000000000000",
  account: "000000000000",
  /** `time` is written to the second, in UTC. */
  time: "2026-01-01T00:00:00Z",
  region: "x".repeat(AUDIT_REGION_ALLOWANCE_BYTES),
} as const;

/** Firehose's `AppendDelimiterToRecord` processor ends each record with a newline. */
const DELIMITER_BYTES = 1;

/**
 * The size of the record the audit trail stores for an entry: the event EventBridge delivers to
 * the Firehose target, `{"version", "id", "detail-type", "source", "account", "time", "region",
 * "resources", "detail"}` as compact JSON, plus the newline delimiter. The fields EventBridge adds
 * are counted at their longest (a 36-byte UUID, a 12-digit account, a 20-byte time, a region of
 * {@link AUDIT_REGION_ALLOWANCE_BYTES}), so the result is never below the real record.
 *
 * `Detail` is counted as given: pass it compact (as `JSON.stringify` writes it), since EventBridge
 * delivers the detail as a JSON value, not as the text that was sent. Replayed events carry a
 * `replay-name` too; the audit trail leaves replays out by default.
 */
export function auditRecordSize(entry: SizedEntry): number {
  const envelope = JSON.stringify({
    version: "0",
    id: ENVELOPE_STAND_INS.id,
    "detail-type": entry.DetailType ?? "",
    source: entry.Source ?? "",
    account: ENVELOPE_STAND_INS.account,
    time: ENVELOPE_STAND_INS.time,
    region: ENVELOPE_STAND_INS.region,
    resources: entry.Resources ?? [],
    detail: 0,
  });
  // The `0` holds the detail's place: its byte is swapped for the detail's own bytes.
  return Buffer.byteLength(envelope, "utf8") - 1 + utf8Bytes(entry.Detail) + DELIMITER_BYTES;
}
