import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  AUDIT_REGION_ALLOWANCE_BYTES,
  auditRecordSize,
  DEFAULT_MAX_AUDIT_RECORD_BYTES,
  putEventsEntrySize,
} from "../../lib/producer";

describe("putEventsEntrySize (AWS's PutEvents entry-size formula)", () => {
  it("adds the UTF-8 bytes of Source, DetailType and Detail", () => {
    expect(putEventsEntrySize({ Source: "abc", DetailType: "De", Detail: '{"a":1}' })).toBe(3 + 2 + 7);
  });

  it("counts multi-byte characters by their UTF-8 length, not their string length", () => {
    // "é" is 2 bytes, "€" 3 and "😀" 4 in UTF-8.
    expect(putEventsEntrySize({ Source: "s", DetailType: "d", Detail: '"é€😀"' })).toBe(
      1 + 1 + 2 + 2 + 3 + 4,
    );
  });

  it("counts 14 bytes for Time whatever its value", () => {
    const withoutTime = putEventsEntrySize({ Source: "s", DetailType: "d", Detail: "{}" });
    expect(putEventsEntrySize({ Source: "s", DetailType: "d", Detail: "{}", Time: new Date(0) })).toBe(
      withoutTime + 14,
    );
  });

  it("adds every resource", () => {
    expect(putEventsEntrySize({ Source: "s", DetailType: "d", Resources: ["arn:1", "arn:22"] })).toBe(
      1 + 1 + 5 + 6,
    );
  });

  it("ignores fields the formula leaves out (EventBusName, TraceHeader)", () => {
    const entry = { Source: "s", DetailType: "d", Detail: "{}" };
    expect(putEventsEntrySize({ ...entry, EventBusName: "bus", TraceHeader: "Root=1" } as typeof entry)).toBe(
      putEventsEntrySize(entry),
    );
  });
});

describe("auditRecordSize (the audit trail's record of an entry)", () => {
  const entry = {
    Source: "eventrail.orders",
    DetailType: "OrderPlaced",
    Detail: JSON.stringify({ metadata: { eventId: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D7" }, data: { note: "é€" } }),
    Resources: ["arn:aws:s3:::bucket/key"],
  };

  /** The record as EventBridge delivers the event to Firehose and the delimiter processor ends it. */
  function realRecord(region: string): string {
    const event = {
      version: "0",
      id: randomUUID(),
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: "123456789012",
      time: "2026-03-02T10:00:00Z",
      region,
      resources: entry.Resources,
      detail: JSON.parse(entry.Detail) as unknown,
    };
    return `${JSON.stringify(event)}\n`;
  }

  it("is the exact size of the record when the region name takes the whole allowance", () => {
    const region = "r".repeat(AUDIT_REGION_ALLOWANCE_BYTES);
    expect(auditRecordSize(entry)).toBe(Buffer.byteLength(realRecord(region)));
  });

  it("is never below the real record, in the longest region there is", () => {
    for (const region of ["eu-west-1", "ap-southeast-5", "us-isof-southeast-1"]) {
      expect(auditRecordSize(entry)).toBeGreaterThanOrEqual(Buffer.byteLength(realRecord(region)));
    }
  });

  it("grows byte for byte with the detail, and is larger than the PutEvents entry size", () => {
    const padded = { ...entry, Detail: entry.Detail.replace('"é€"', '"é€xyz"') };
    expect(auditRecordSize(padded)).toBe(auditRecordSize(entry) + 3);
    expect(auditRecordSize(entry)).toBeGreaterThan(putEventsEntrySize(entry));
  });

  it("defaults the limit to Firehose's 1,000 KiB, below EventBridge's 1 MiB", () => {
    expect(DEFAULT_MAX_AUDIT_RECORD_BYTES).toBe(1_000 * 1_024);
  });
});
