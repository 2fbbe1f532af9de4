import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { dataOutputPrefix, deliveredObjectKey, encodeDeliveredObject } from "../../lib/audit/firehose-layout";
import { catalog, type EventTypeName } from "../../lib/catalog";
import { exampleEvent } from "../../lib/catalog/json-schema";
import { type AuditQueryResult, prepareAuditQuery } from "../../lib/ops/audit-query";
import { LocalAuditError, locateLocalAuditEvents, runLocalAuditQuery } from "../../lib/ops/local-audit";
import { CloudAssemblyFixtures } from "../local/assembly/support/cloud-assembly-fixture";

const BUCKET = "eventrail-auditbucket";

interface SampleEvent {
  readonly type: EventTypeName;
  readonly orderId: string;
  readonly eventId: string;
  readonly time: string;
  /** The producer's clock, finer than EventBridge's whole seconds. @default time */
  readonly occurredAt?: string;
}

/** An audit record as Firehose delivers it: the whole EventBridge event. */
function auditEvent(sample: SampleEvent): Record<string, unknown> {
  const base = exampleEvent(catalog[sample.type]) as {
    detail: { metadata: Record<string, unknown>; data: Record<string, unknown> };
  };
  return {
    ...base,
    id: `eb-${sample.eventId}`,
    time: sample.time,
    resources: [`arn:aws:events:eu-west-1:123456789012:order/${sample.orderId}`],
    detail: {
      metadata: {
        ...base.detail.metadata,
        eventId: sample.eventId,
        correlationId: sample.orderId,
        occurredAt: sample.occurredAt ?? sample.time,
      },
      data: { ...base.detail.data, orderId: sample.orderId },
    },
  };
}

// Two orders, each with its follow-ups; A2 and A3 share EventBridge's second, so occurredAt orders them.
const A1: SampleEvent = {
  type: "OrderPlaced",
  orderId: "ORD-A",
  eventId: "A1",
  time: "2026-03-01T23:59:58Z",
};
const B1: SampleEvent = {
  type: "OrderPlaced",
  orderId: "ORD-B",
  eventId: "B1",
  time: "2026-03-01T23:59:58Z",
};
const A2: SampleEvent = {
  type: "InventoryReserved",
  orderId: "ORD-A",
  eventId: "A2",
  time: "2026-03-01T23:59:59Z",
  occurredAt: "2026-03-01T23:59:59.100Z",
};
const A3: SampleEvent = {
  type: "PaymentProcessed",
  orderId: "ORD-A",
  eventId: "A3",
  time: "2026-03-01T23:59:59Z",
  occurredAt: "2026-03-01T23:59:59.900Z",
};
const B2: SampleEvent = {
  type: "InventoryReservationFailed",
  orderId: "ORD-B",
  eventId: "B2",
  time: "2026-03-02T00:00:01Z",
};
const B3: SampleEvent = {
  type: "OrderCancelled",
  orderId: "ORD-B",
  eventId: "B3",
  time: "2026-03-02T00:00:02Z",
};
const A4: SampleEvent = {
  type: "OrderCancelled",
  orderId: "ORD-A",
  eventId: "A4",
  time: "2026-03-02T08:00:00Z",
};

/** Firehose objects: by arrival, each holding its records in arrival order, which is not time order. */
const objects: readonly { readonly arrival: string; readonly events: readonly SampleEvent[] }[] = [
  { arrival: "2026-03-01T23:59:59Z", events: [A3, B1, A1] },
  // Opened before midnight, so filed under the day before with events of the next day.
  { arrival: "2026-03-01T23:59:59.500Z", events: [B2, A2] },
  // A3 recorded again: its consumer was retried after a crash and re-published it under its eventId.
  {
    arrival: "2026-03-02T08:00:03Z",
    events: [A4, B3, { ...A3, time: "2026-03-02T08:00:01Z", occurredAt: "2026-03-02T08:00:01Z" }],
  },
];

/** Writes the objects where the local pipeline's Firehose would, under `<stateDir>/s3/<bucket>/`. */
async function writeAuditObjects(stateDir: string, bucket = BUCKET, eventsPrefix = "events/"): Promise<void> {
  for (const [index, object] of objects.entries()) {
    const key = deliveredObjectKey({
      prefix: dataOutputPrefix(eventsPrefix),
      deliveryStreamName: "Eventrail-AuditDeliveryStream",
      arrival: new Date(object.arrival),
      uniqueSuffix: `u${index}`,
    });
    const file = path.join(stateDir, "s3", bucket, key);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, encodeDeliveredObject(object.events.map(auditEvent)));
  }
}

function column(result: AuditQueryResult, name: string): (string | null)[] {
  const index = result.columns.findIndex((c) => c.name === name);
  expect(index, `column ${name}`).toBeGreaterThanOrEqual(0);
  return result.rows.map((row) => row[index] ?? null);
}

const fixtures = new CloudAssemblyFixtures();
let stateDir: string;
const noAssembly = () => path.join(stateDir, "no-cdk-out");

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-local-audit-"));
});

afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

afterAll(async () => {
  await fixtures.cleanUp();
});

describe("runLocalAuditQuery over files in the Firehose layout", () => {
  let eventsRoot: string;

  beforeEach(async () => {
    await writeAuditObjects(stateDir);
    eventsRoot = path.join(stateDir, "s3", BUCKET, "events");
  });

  it("answers order-story with exactly that order's events, each fact once, in time order, across days", async () => {
    // Prepare
    const { sql } = prepareAuditQuery("order-story", {
      orderId: "ORD-A",
      fromDate: "2026-03-01",
      toDate: "2026-03-02",
    });

    // Act
    const result = await runLocalAuditQuery({ eventsRoot, sql });

    // Assess
    expect(column(result, "event_id")).toEqual(["A1", "A2", "A3", "A4"]);
    expect(column(result, "detail_type")).toEqual([
      "OrderPlaced",
      "InventoryReserved",
      "PaymentProcessed",
      "OrderCancelled",
    ]);
    expect(column(result, "dt")).toEqual(["2026-03-01", "2026-03-01", "2026-03-01", "2026-03-02"]);
    expect(result.truncated).toBe(false);
  });

  it("keeps to the days asked for", async () => {
    // Prepare
    const { sql } = prepareAuditQuery("order-story", {
      orderId: "ORD-B",
      fromDate: "2026-03-01",
      toDate: "2026-03-01",
    });

    // Act
    const result = await runLocalAuditQuery({ eventsRoot, sql });

    // Assess: B3 arrived on the 2nd; B2 happened on the 2nd but arrived in a buffer of the 1st.
    expect(column(result, "event_id")).toEqual(["B1", "B2"]);
  });

  it("returns every value as text, as Athena does, with the engine's column types", async () => {
    // Prepare
    const sql =
      "SELECT count(*) AS events, max(resources) AS last_resources, max(replay_name) AS replay FROM audit_events WHERE detail_type = 'OrderPlaced'";

    // Act
    const result = await runLocalAuditQuery({ eventsRoot, sql });

    // Assess
    expect(result.columns).toEqual([
      { name: "events", type: "bigint" },
      { name: "last_resources", type: "varchar[]" },
      { name: "replay", type: "varchar" },
    ]);
    expect(result.rows).toEqual([["2", "[arn:aws:events:eu-west-1:123456789012:order/ORD-B]", null]]);
  });

  it("reads at most maxRows rows and says more exist", async () => {
    // Act
    const result = await runLocalAuditQuery({
      eventsRoot,
      sql: "SELECT id FROM audit_events ORDER BY id",
      maxRows: 3,
    });

    // Assess
    expect(result.rows).toEqual([["eb-A1"], ["eb-A2"], ["eb-A3"]]);
    expect(result.truncated).toBe(true);
  });

  it("reports SQL DuckDB refuses on one line", async () => {
    // Act
    const running = runLocalAuditQuery({ eventsRoot, sql: "SELECT * FORM audit_events" });

    // Assess
    await expect(running).rejects.toBeInstanceOf(LocalAuditError);
    await expect(running).rejects.toThrow(/^DuckDB refused the query: Parser Error: [^\n]+; fix the SQL/);
  });
});

describe("runLocalAuditQuery without files", () => {
  it("says where it looked and how to get files there", async () => {
    // Prepare
    const eventsRoot = path.join(stateDir, "s3", BUCKET, "events");
    await mkdir(eventsRoot, { recursive: true });

    // Act
    const running = runLocalAuditQuery({ eventsRoot, sql: "SELECT 1" });

    // Assess
    await expect(running).rejects.toThrow(
      new LocalAuditError(
        `No audit files under ${eventsRoot} (expected dt=YYYY-MM-DD/*.gz); publish events to the local pipeline and wait for its "audit: wrote" line, or pass --state-dir DIR.`,
      ),
    );
  });
});

describe("locateLocalAuditEvents", () => {
  it("takes the bucket and prefix from the assembly's stack outputs", async () => {
    // Prepare
    const cdkOutDir = await fixtures.writeTemplate({
      Resources: {},
      Outputs: { AuditBucketName: { Value: "audit-from-outputs" }, AuditEventsPrefix: { Value: "trail/" } },
    });

    // Act
    const location = await locateLocalAuditEvents({ stateDir, cdkOutDir });

    // Assess
    expect(location).toEqual({
      bucketName: "audit-from-outputs",
      eventsPrefix: "trail/",
      eventsRoot: path.join(stateDir, "s3", "audit-from-outputs", "trail/"),
      foundBy: "stack-outputs",
    });
  });

  it("without an assembly, takes the only bucket folder that has events/", async () => {
    // Prepare
    await writeAuditObjects(stateDir);
    await mkdir(path.join(stateDir, "s3", "some-other-bucket", "uploads"), { recursive: true });

    // Act
    const location = await locateLocalAuditEvents({ stateDir, cdkOutDir: noAssembly() });

    // Assess
    expect(location).toMatchObject({ bucketName: BUCKET, eventsPrefix: "events/", foundBy: "state-folder" });
    expect(location.eventsRoot).toBe(path.join(stateDir, "s3", BUCKET, "events/"));
  });

  it("refuses to guess between two bucket folders with events/, naming both", async () => {
    // Prepare
    await writeAuditObjects(stateDir, "bucket-a");
    await writeAuditObjects(stateDir, "bucket-b");

    // Act
    const locating = locateLocalAuditEvents({ stateDir, cdkOutDir: noAssembly() });

    // Assess
    await expect(locating).rejects.toThrow(LocalAuditError);
    await expect(locating).rejects.toThrow(
      `2 bucket folders under ${path.join(stateDir, "s3")} have events/ (bucket-a, bucket-b), and the assembly in ${noAssembly()} cannot be read`,
    );
  });

  it("says what to do when there is neither an assembly nor an audit folder", async () => {
    await expect(locateLocalAuditEvents({ stateDir, cdkOutDir: noAssembly() })).rejects.toThrow(
      /^Cannot tell where the local audit events are: no bucket folder under .* has events\/, and the assembly in .* cannot be read; run "npx eventrail local" and publish events, or pass --state-dir DIR \/ --cdk-out DIR\.$/,
    );
  });
});

describe("the samples", () => {
  let written: string;

  beforeAll(async () => {
    written = await mkdtemp(path.join(tmpdir(), "eventrail-local-audit-samples-"));
    await writeAuditObjects(written);
  });

  afterAll(async () => {
    await rm(written, { recursive: true, force: true });
  });

  it("are all read back, one row per recording (A3 was recorded twice)", async () => {
    const result = await runLocalAuditQuery({
      eventsRoot: path.join(written, "s3", BUCKET, "events"),
      sql: "SELECT json_extract_scalar(detail, '$.metadata.eventId') AS event_id FROM audit_events ORDER BY 1",
    });

    expect(column(result, "event_id")).toEqual(["A1", "A2", "A3", "A3", "A4", "B1", "B2", "B3"]);
  });
});

describe("a sandboxed audit query (SQL that arrives over HTTP)", () => {
  let written: string;

  beforeAll(async () => {
    written = await mkdtemp(path.join(tmpdir(), "eventrail-local-audit-sandbox-"));
    await writeAuditObjects(written);
  });

  afterAll(async () => {
    await rm(written, { recursive: true, force: true });
  });

  const run = (sql: string, sandboxed: boolean) =>
    runLocalAuditQuery({ eventsRoot: path.join(written, "s3", BUCKET, "events"), sql, sandboxed });

  it("reads the audit events", async () => {
    // Act
    const result = await run("SELECT count(*) AS events FROM audit_events", true);

    // Assess
    expect(column(result, "events")).toEqual(["8"]);
  });

  it.each([
    "SELECT * FROM read_text('/etc/passwd')",
    "COPY (SELECT 1) TO '/tmp/eventrail-sandbox-escape.csv'",
    "SET enable_external_access = true",
  ])("refuses %s, which the CLI's own SQL may run", async (sql) => {
    // Act
    const refusal = await run(sql, true).catch((error: unknown) => error);
    const terminal = sql.startsWith("SELECT") ? await run(sql, false) : undefined;

    // Assess
    expect(refusal).toBeInstanceOf(LocalAuditError);
    expect((refusal as Error).message).toMatch(/disabled by configuration|configuration has been locked/);
    if (terminal !== undefined) expect(terminal.rows.length).toBeGreaterThan(0);
  });
});
