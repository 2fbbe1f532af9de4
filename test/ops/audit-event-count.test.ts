import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { encodeDeliveredObject } from "../../lib/audit/firehose-layout";
import {
  AuditCountError,
  athenaAuditEventCounter,
  auditCountQuery,
  candidatePartitions,
  localAuditEventCounter,
} from "../../lib/ops/audit-event-count";

const WINDOW = { start: new Date("2026-03-01T08:00:00Z"), end: new Date("2026-03-01T10:00:00Z") };

function anEvent(time: string, replayName?: string): Record<string, unknown> {
  return {
    id: `eb-${time}`,
    "detail-type": "OrderPlaced",
    time,
    detail: {},
    ...(replayName ? { "replay-name": replayName } : {}),
  };
}

describe("candidatePartitions", () => {
  it("covers the window's days and one day each side (arrival partitions, EventBridge retries)", () => {
    expect(candidatePartitions(WINDOW)).toEqual(["2026-02-28", "2026-03-01", "2026-03-02"]);
  });
});

describe("localAuditEventCounter", () => {
  let stateDir: string;
  const location = () => ({ stateDir, bucketName: "audit-bucket", eventsPrefix: "events/" });

  async function writeObject(day: string, file: string, events: readonly unknown[]): Promise<void> {
    const folder = path.join(stateDir, "s3", "audit-bucket", "events", `dt=${day}`);
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, file), encodeDeliveredObject(events));
  }

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-audit-count-"));
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("counts the window's events across partitions, leaving out replays and events outside it", async () => {
    // Prepare
    await writeObject("2026-03-01", "a.gz", [
      anEvent("2026-03-01T07:59:59Z"),
      anEvent("2026-03-01T08:00:00Z"),
      anEvent("2026-03-01T09:30:00Z"),
      anEvent("2026-03-01T09:31:00Z", "replay-1"),
      anEvent("2026-03-01T10:00:00Z"),
    ]);
    // Arrived the next day after EventBridge retried.
    await writeObject("2026-03-02", "b.gz", [anEvent("2026-03-01T09:59:59Z")]);
    await writeObject("2026-03-05", "c.gz", [anEvent("2026-03-01T09:00:00Z")]);

    // Act
    const count = await localAuditEventCounter(location()).countEvents(WINDOW);

    // Assess
    expect(count).toBe(3);
  });

  it("counts nothing when the audit trail has no object yet", async () => {
    expect(await localAuditEventCounter(location()).countEvents(WINDOW)).toBe(0);
  });

  it("names an object whose line is not JSON", async () => {
    // Prepare
    const folder = path.join(stateDir, "s3", "audit-bucket", "events", "dt=2026-03-01");
    await mkdir(folder, { recursive: true });
    await writeFile(path.join(folder, "bad.gz"), gzipSync("{not json\n"));

    // Act
    const counting = localAuditEventCounter(location()).countEvents(WINDOW);

    // Assess
    await expect(counting).rejects.toThrow(AuditCountError);
    await expect(counting).rejects.toThrow(/bad\.gz has a line that is not JSON/);
  });
});

describe("auditCountQuery", () => {
  it("selects the candidate partitions and bounds rounded up to the second, without replays", () => {
    const window = { start: new Date("2026-03-01T08:00:00.400Z"), end: new Date("2026-03-01T10:00:00.000Z") };
    expect(auditCountQuery("eventrail_audit", window)).toBe(
      [
        'SELECT count(*) AS events FROM "eventrail_audit"."audit_events"',
        "WHERE dt BETWEEN '2026-02-28' AND '2026-03-02'",
        "  AND event_time >= '2026-03-01T08:00:01Z' AND event_time < '2026-03-01T10:00:00Z'",
        "  AND replay_name IS NULL",
      ].join("\n"),
    );
  });

  it("refuses a database name that is not a plain identifier", () => {
    expect(() => auditCountQuery('x"; DROP', WINDOW)).toThrow(
      'Athena database "x"; DROP" is not a plain identifier',
    );
  });
});

describe("athenaAuditEventCounter", () => {
  const athena = mockClient(AthenaClient);
  const counter = () =>
    athenaAuditEventCounter({
      athena: new AthenaClient({ region: "eu-west-1" }),
      workGroup: "eventrail-audit",
      database: "eventrail_audit",
      sleep: async () => {},
    });

  beforeEach(() => {
    athena.reset();
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
  });

  it("runs the count query in the stack's workgroup and waits for its result", async () => {
    // Prepare
    athena
      .on(GetQueryExecutionCommand, { QueryExecutionId: "q-1" })
      .resolvesOnce({ QueryExecution: { Status: { State: "RUNNING" } } })
      .resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena.on(GetQueryResultsCommand, { QueryExecutionId: "q-1" }).resolves({
      ResultSet: { Rows: [{ Data: [{ VarCharValue: "events" }] }, { Data: [{ VarCharValue: "1234" }] }] },
    });

    // Act
    const count = await counter().countEvents(WINDOW);

    // Assess
    expect(count).toBe(1234);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryString: auditCountQuery("eventrail_audit", WINDOW),
      WorkGroup: "eventrail-audit",
      QueryExecutionContext: { Database: "eventrail_audit" },
    });
    expect(athena.commandCalls(GetQueryExecutionCommand)).toHaveLength(2);
  });

  it("says why a failed query failed", async () => {
    athena
      .on(GetQueryExecutionCommand)
      .resolves({ QueryExecution: { Status: { State: "FAILED", StateChangeReason: "TABLE_NOT_FOUND" } } });
    await expect(counter().countEvents(WINDOW)).rejects.toThrow(
      "Athena query q-1 in workgroup eventrail-audit failed: TABLE_NOT_FOUND",
    );
  });
});
