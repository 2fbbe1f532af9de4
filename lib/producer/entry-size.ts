/** Entries one PutEvents call takes on the classic event bus. */
export const MAX_ENTRIES_PER_CALL = 10;

/** The PutEvents entry-size limit since January 2026 (1 MiB). The default of `maxEntryBytes`. */
export const DEFAULT_MAX_ENTRY_BYTES = 1_048_576;

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
