import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as events from "aws-cdk-lib/aws-events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type JsonTableDefinition, readJsonLines, type TableRow } from "../../lib/audit/audit-table";
import { deliveredObjectKey, encodeDeliveredObject } from "../../lib/audit/firehose-layout";
import { localAuditViewStatements } from "../../lib/audit/local-audit-view";
import { bindSavedQuery, findSavedQuery } from "../../lib/audit/saved-queries";
import { catalog, type EventTypeName } from "../../lib/catalog";
import { exampleEvent } from "../../lib/catalog/json-schema";
import { AuditTrail } from "../../lib/constructs/audit-trail";

/**
 * The proof that the Glue table and the files agree: sample events are written exactly as the
 * synthesized delivery stream would write them (its prefix, GZIP, one JSON object per line), then
 * read back through the synthesized table's columns and SerDe mapping, and queried with the saved
 * queries in DuckDB through the local view.
 */

const BUCKET = "audit-bucket";
const STREAM = "audit-stream";

type AuditEvent = Record<string, unknown> & {
  detail: { metadata: Record<string, unknown>; data: Record<string, unknown> };
};

interface Sample {
  readonly type: EventTypeName;
  readonly orderId: string;
  readonly correlationId: string;
  readonly eventId: string;
  readonly producer: string;
  readonly time: string;
  readonly replayName?: string;
  /** The Firehose buffer (so the object) the event arrives in. */
  readonly buffer: "A" | "B" | "C" | "D";
}

function auditEvent(sample: Sample, index: number): AuditEvent {
  const base = exampleEvent(catalog[sample.type]) as AuditEvent;
  return {
    ...base,
    id: `00000000-0000-4000-8000-${String(index).padStart(12, "0")}`,
    time: sample.time,
    ...(sample.replayName ? { "replay-name": sample.replayName } : {}),
    detail: {
      metadata: {
        ...base.detail.metadata,
        eventId: sample.eventId,
        correlationId: sample.correlationId,
        producer: sample.producer,
        occurredAt: sample.time,
      },
      data: { ...base.detail.data, orderId: sample.orderId },
    },
  };
}

const samples: Sample[] = [
  {
    type: "OrderPlaced",
    orderId: "ORD-1",
    correlationId: "C-1",
    eventId: "E-1",
    producer: "checkout",
    time: "2026-03-01T10:00:00Z",
    buffer: "A",
  },
  {
    type: "InventoryReserved",
    orderId: "ORD-1",
    correlationId: "C-1",
    eventId: "E-2",
    producer: "inventory",
    time: "2026-03-01T10:00:01Z",
    buffer: "A",
  },
  {
    type: "PaymentProcessed",
    orderId: "ORD-1",
    correlationId: "C-1",
    eventId: "E-3",
    producer: "payments",
    time: "2026-03-01T10:00:02Z",
    buffer: "A",
  },
  {
    type: "OrderPlaced",
    orderId: "ORD-2",
    correlationId: "C-2",
    eventId: "E-4",
    producer: "checkout",
    time: "2026-03-01T23:58:00Z",
    buffer: "B",
  },
  // Joins the buffer opened before midnight, so it lands in the partition of the day before.
  {
    type: "InventoryReservationFailed",
    orderId: "ORD-2",
    correlationId: "C-2",
    eventId: "E-5",
    producer: "inventory",
    time: "2026-03-02T00:01:00Z",
    buffer: "B",
  },
  {
    type: "OrderCancelled",
    orderId: "ORD-2",
    correlationId: "C-2",
    eventId: "E-6",
    producer: "checkout",
    time: "2026-03-02T00:05:00Z",
    buffer: "C",
  },
  {
    type: "OrderPlaced",
    orderId: "ORD-1",
    correlationId: "C-1",
    eventId: "E-1",
    producer: "checkout",
    time: "2026-03-01T10:00:00Z",
    replayName: "replay-incident-42",
    buffer: "D",
  },
];
const sampleEvents = samples.map(auditEvent);

/**
 * A buffer's object is named after the arrival of its oldest record: a few seconds after that
 * record's time; the replay is re-sent the next morning.
 */
function bufferArrival(buffer: Sample["buffer"]): Date {
  if (buffer === "D") return new Date("2026-03-02T09:00:00Z");
  const first = samples.find((s) => s.buffer === buffer) as Sample;
  return new Date(Date.parse(first.time) + 3_000);
}

function resolve(value: unknown, refs: Record<string, string>): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  if (join) return join[1].map((part) => resolve(part, refs)).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref && refs[ref]) return refs[ref];
  throw new Error(`Cannot resolve ${JSON.stringify(value)}`);
}

describe("audit files as Firehose writes them, read through the Glue table", () => {
  let root: string;
  let prefix: string;
  let table: JsonTableDefinition & {
    serializationLibrary: string;
    locationTemplate: string;
    projection: Record<string, string>;
  };
  let writtenKeys: string[];
  let duck: Awaited<ReturnType<DuckDBInstance["connect"]>>;

  const rowsOf = async (sql: string) => (await duck.runAndReadAll(sql)).getRowObjectsJson();

  beforeAll(async () => {
    // Prepare: the delivery stream and the table as synthesized.
    const app = new App();
    const stack = new Stack(app, "AuditFiles");
    new AuditTrail(stack, "Audit", { eventBus: new events.EventBus(stack, "Bus") });
    const template = Template.fromStack(stack);
    const [bucketId] = Object.keys(
      template.findResources("AWS::S3::Bucket", {
        Properties: { VersioningConfiguration: {}, LoggingConfiguration: {} },
      }),
    );
    const stream = Object.values(template.findResources("AWS::KinesisFirehose::DeliveryStream"))[0];
    const destination = stream?.Properties.ExtendedS3DestinationConfiguration;
    expect(destination.CompressionFormat).toBe("GZIP");
    expect(destination.ProcessingConfiguration.Processors).toEqual([
      { Type: "AppendDelimiterToRecord", Parameters: [] },
    ]);
    prefix = destination.Prefix;
    const input = Object.values(template.findResources("AWS::Glue::Table"))[0]?.Properties.TableInput;
    const params = input.Parameters as Record<string, unknown>;
    table = {
      columns: input.StorageDescriptor.Columns.map((c: { Name: string; Type: string }) => ({
        name: c.Name,
        type: c.Type,
      })),
      serdeParameters: input.StorageDescriptor.SerdeInfo.Parameters,
      serializationLibrary: input.StorageDescriptor.SerdeInfo.SerializationLibrary,
      locationTemplate: resolve(params["storage.location.template"], { [bucketId ?? ""]: BUCKET }),
      projection: Object.fromEntries(
        Object.entries(params).filter(([k]) => k.startsWith("projection.")) as [string, string][],
      ),
    };

    // Act: write one object per buffer, as Firehose would.
    root = mkdtempSync(path.join(tmpdir(), "eventrail-audit-"));
    const byObject = new Map<string, AuditEvent[]>();
    samples.forEach((sample, i) => {
      const arrival = bufferArrival(sample.buffer);
      const key = deliveredObjectKey({
        prefix,
        deliveryStreamName: STREAM,
        arrival,
        uniqueSuffix: `u${sample.buffer}`,
      });
      byObject.set(key, [...(byObject.get(key) ?? []), sampleEvents[i] as AuditEvent]);
    });
    writtenKeys = [...byObject.keys()];
    for (const [key, objectEvents] of byObject) {
      mkdirSync(path.dirname(path.join(root, key)), { recursive: true });
      writeFileSync(path.join(root, key), encodeDeliveredObject(objectEvents));
    }

    const db = await DuckDBInstance.create(":memory:");
    duck = await db.connect();
    for (const statement of localAuditViewStatements(path.join(root, "events"))) await duck.run(statement);
  });

  afterAll(() => {
    duck?.closeSync();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("writes keys that the table's partition projection finds", () => {
    const [format, type] = [table.projection["projection.dt.format"], table.projection["projection.dt.type"]];
    expect([type, format]).toEqual(["date", "yyyy-MM-dd"]);
    for (const key of writtenKeys) {
      const dt = /dt=(\d{4}-\d{2}-\d{2})\//.exec(key)?.[1] ?? "";
      const location = table.locationTemplate.replace(`\${dt}`, dt);

      expect(`s3://${BUCKET}/${key}`.startsWith(location)).toBe(true);
      expect(key).toMatch(new RegExp(`/${STREAM}-1-\\d{4}(-\\d{2}){5}-u[A-D]\\.gz$`));
    }
    expect(writtenKeys.sort()).toEqual([
      `events/dt=2026-03-01/${STREAM}-1-2026-03-01-10-00-03-uA.gz`,
      `events/dt=2026-03-01/${STREAM}-1-2026-03-01-23-58-03-uB.gz`,
      `events/dt=2026-03-02/${STREAM}-1-2026-03-02-00-05-03-uC.gz`,
      `events/dt=2026-03-02/${STREAM}-1-2026-03-02-09-00-00-uD.gz`,
    ]);
  });

  it("uses the OpenX SerDe with the mapping that makes detail-type and replay-name legal columns", () => {
    expect(table.serializationLibrary).toBe("org.openx.data.jsonserde.JsonSerDe");
    expect(table.serdeParameters).toMatchObject({
      "mapping.detail_type": "detail-type",
      "mapping.replay_name": "replay-name",
      "mapping.event_time": "time",
      "case.insensitive": "FALSE",
    });
  });

  it("reads every line of every object back as the event it came from", () => {
    const rows: TableRow[] = writtenKeys.flatMap((key) =>
      readJsonLines(gunzipSync(readFileSync(path.join(root, key))).toString("utf8"), table),
    );

    expect(rows).toHaveLength(sampleEvents.length);
    for (const event of sampleEvents) {
      const row = rows.find((r) => r.id === event.id);
      expect(row).toEqual({
        version: event.version,
        id: event.id,
        detail_type: event["detail-type"],
        source: event.source,
        account: event.account,
        event_time: event.time,
        region: event.region,
        resources: event.resources,
        detail: JSON.stringify(event.detail),
        replay_name: event["replay-name"] ?? null,
      });
    }
  });

  it("ends every record with a newline, so each object is JSON lines", () => {
    for (const key of writtenKeys) {
      const text = gunzipSync(readFileSync(path.join(root, key))).toString("utf8");

      expect(text.endsWith("}\n")).toBe(true);
      expect(
        text
          .split("\n")
          .slice(0, -1)
          .every((line) => line.startsWith("{") && line.endsWith("}")),
      ).toBe(true);
    }
  });

  it("gives the local DuckDB view the same rows as the table's reader", async () => {
    const rows = await rowsOf("SELECT * FROM audit_events ORDER BY id");

    expect(rows.map((r) => ({ ...r, detail: JSON.parse(String(r.detail)) }))).toEqual(
      sampleEvents
        .map((event, i) => ({
          version: event.version,
          id: event.id,
          detail_type: event["detail-type"],
          source: event.source,
          account: event.account,
          event_time: event.time,
          region: event.region,
          resources: event.resources,
          detail: event.detail,
          replay_name: event["replay-name"] ?? null,
          dt: bufferArrival((samples[i] as Sample).buffer)
            .toISOString()
            .slice(0, 10),
        }))
        .sort((a, b) => String(a.id).localeCompare(String(b.id))),
    );
  });

  describe("the saved queries, run locally", () => {
    const days = { fromDate: "2026-03-01", toDate: "2026-03-02" };
    const run = (name: string, values: Record<string, string>) =>
      rowsOf(bindSavedQuery(findSavedQuery(name), values));

    it("events-per-type-per-day counts by arrival day", async () => {
      const rows = await run("events-per-type-per-day", days);

      expect(rows).toEqual([
        { dt: "2026-03-01", detail_type: "InventoryReservationFailed", events: "1" },
        { dt: "2026-03-01", detail_type: "InventoryReserved", events: "1" },
        { dt: "2026-03-01", detail_type: "OrderPlaced", events: "2" },
        { dt: "2026-03-01", detail_type: "PaymentProcessed", events: "1" },
        { dt: "2026-03-02", detail_type: "OrderCancelled", events: "1" },
        { dt: "2026-03-02", detail_type: "OrderPlaced", events: "1" },
      ]);
    });

    it("order-story tells one order's events in time order, across days", async () => {
      const rows = await run("order-story", { ...days, orderId: "ORD-2" });

      expect(rows.map((r) => r.detail_type)).toEqual([
        "OrderPlaced",
        "InventoryReservationFailed",
        "OrderCancelled",
      ]);
    });

    it("by-correlation-id returns a flow, a replayed copy included", async () => {
      const rows = await run("by-correlation-id", { ...days, correlationId: "C-1" });

      expect(rows.map((r) => [r.event_id, r.replay_name])).toEqual([
        ["E-1", null],
        ["E-1", "replay-incident-42"],
        ["E-2", null],
        ["E-3", null],
      ]);
    });

    it("by-event-id finds every recording of one event", async () => {
      const rows = await run("by-event-id", { ...days, eventId: "E-1" });

      expect(rows.map((r) => [r.dt, r.replay_name])).toEqual([
        ["2026-03-01", null],
        ["2026-03-02", "replay-incident-42"],
      ]);
    });

    it("producer-window keeps to the window and finds an event filed under the day before", async () => {
      const rows = await run("producer-window", {
        producer: "inventory",
        fromTime: "2026-03-02T00:00:00Z",
        toTime: "2026-03-02T01:00:00Z",
      });

      expect(rows.map((r) => r.event_id)).toEqual(["E-5"]);
    });

    it("replayed-or-redriven lists events recorded more than once", async () => {
      const rows = await run("replayed-or-redriven", days);

      expect(rows.map((r) => [r.event_id, r.replay_name, r.sightings])).toEqual([
        ["E-1", null, "2"],
        ["E-1", "replay-incident-42", "2"],
      ]);
    });
  });
});
