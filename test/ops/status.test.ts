import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DescribeArchiveCommand, DescribeRuleCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type AuditObjectFinder,
  getPipelineStatus,
  localAuditObjectFinder,
  s3AuditObjectFinder,
} from "../../lib/ops/status";
import { aStack, queue } from "./stack-fixture";

const eventBridgeMock = mockClient(EventBridgeClient);
const sqsMock = mockClient(SQSClient);
const s3Mock = mockClient(S3Client);
const NOW = new Date("2026-03-01T12:00:00Z");

function depths(counts: Record<string, [visible: number, inFlight: number]>): void {
  for (const [name, [visible, inFlight]] of Object.entries(counts)) {
    sqsMock.on(GetQueueAttributesCommand, { QueueUrl: queue(name).url }).resolves({
      Attributes: {
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(inFlight),
      },
    });
  }
}

beforeEach(() => {
  eventBridgeMock.reset();
  sqsMock.reset();
  s3Mock.reset();
});

describe("getPipelineStatus", () => {
  it("puts together the bus, each subscription's rule, queues and consumer, the archive and the audit trail", async () => {
    // Prepare
    eventBridgeMock
      .on(DescribeArchiveCommand, { ArchiveName: "eventrail-all" })
      .resolves({ State: "ENABLED", EventCount: 1200, SizeBytes: 2048, RetentionDays: 90 });
    eventBridgeMock
      .on(DescribeRuleCommand, { Name: "Eventrail-inventoryRule", EventBusName: "eventrail" })
      .resolves({ State: "ENABLED" });
    eventBridgeMock
      .on(DescribeRuleCommand, { Name: "Eventrail-analyticsRule", EventBusName: "eventrail" })
      .rejects(Object.assign(new Error("Rule does not exist."), { name: "ResourceNotFoundException" }));
    depths({
      "inventory-queue": [4, 2],
      "inventory-dlq": [1, 0],
      "inventory-target-dlq": [0, 0],
      "analytics-queue": [0, 0],
      "analytics-dlq": [0, 0],
      "analytics-target-dlq": [3, 0],
      "audit-target-dlq": [5, 0],
    });
    const newest = { key: "events/dt=2026-03-01/x.gz", lastModified: NOW, sizeBytes: 10 };
    const audit: AuditObjectFinder = {
      location: "s3://eventrail-audit/events/",
      newestObject: async () => newest,
    };

    // Act
    const status = await getPipelineStatus(
      {
        eventBridge: new EventBridgeClient({ region: "eu-west-1" }),
        sqs: new SQSClient({ region: "eu-west-1" }),
      },
      aStack(),
      audit,
      NOW,
    );

    // Assess
    expect(status).toEqual({
      stackName: "Eventrail",
      bus: { name: "eventrail", arn: aStack().eventBusArn },
      archive: {
        name: "eventrail-all",
        state: "ENABLED",
        sizeBytes: 2048,
        eventCount: 1200,
        retentionDays: 90,
      },
      subscriptions: [
        {
          name: "inventory",
          ruleName: "Eventrail-inventoryRule",
          ruleState: "ENABLED",
          queueDepth: 4,
          inFlight: 2,
          deadLetterDepth: 1,
          targetDeadLetterDepth: 0,
          consumer: "Eventrail-inventoryConsumer",
        },
        {
          name: "analytics",
          ruleName: "Eventrail-analyticsRule",
          ruleState: "MISSING",
          queueDepth: 0,
          inFlight: 0,
          deadLetterDepth: 0,
          targetDeadLetterDepth: 3,
          consumer: "Eventrail-analyticsConsumer",
        },
      ],
      audit: { location: "s3://eventrail-audit/events/", targetDeadLetterDepth: 5, newestObject: newest },
    });
  });
});

describe("s3AuditObjectFinder", () => {
  it("finds the newest object of today's and yesterday's partitions, every page read", async () => {
    // Prepare
    const object = (Key: string, at: string) => ({ Key, LastModified: new Date(at), Size: 100 });
    s3Mock
      .on(ListObjectsV2Command, { Prefix: "events/dt=2026-03-01/", ContinuationToken: undefined })
      .resolves({
        Contents: [object("events/dt=2026-03-01/a.gz", "2026-03-01T10:00:00Z")],
        IsTruncated: true,
        NextContinuationToken: "t2",
      })
      .on(ListObjectsV2Command, { Prefix: "events/dt=2026-03-01/", ContinuationToken: "t2" })
      .resolves({ Contents: [object("events/dt=2026-03-01/b.gz", "2026-03-01T11:00:00Z")] })
      .on(ListObjectsV2Command, { Prefix: "events/dt=2026-02-28/" })
      .resolves({ Contents: [object("events/dt=2026-02-28/z.gz", "2026-03-01T00:01:00Z")] });
    const finder = s3AuditObjectFinder({
      s3: new S3Client({ region: "eu-west-1" }),
      bucketName: "eventrail-audit",
      eventsPrefix: "events/",
    });

    // Act
    const newest = await finder.newestObject(NOW);

    // Assess
    expect(newest).toEqual({
      key: "events/dt=2026-03-01/b.gz",
      lastModified: new Date("2026-03-01T11:00:00Z"),
      sizeBytes: 100,
    });
    expect(s3Mock.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Bucket)).toEqual([
      "eventrail-audit",
      "eventrail-audit",
      "eventrail-audit",
    ]);
  });

  it("finds nothing when neither partition has an object", async () => {
    s3Mock.on(ListObjectsV2Command).resolves({});
    const finder = s3AuditObjectFinder({
      s3: new S3Client({ region: "eu-west-1" }),
      bucketName: "b",
      eventsPrefix: "events/",
    });
    expect(await finder.newestObject(NOW)).toBeUndefined();
  });
});

describe("localAuditObjectFinder", () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-status-"));
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("finds the newest file under the audit folder, across partitions", async () => {
    // Prepare
    const write = async (day: string, name: string, at: string) => {
      const folder = path.join(stateDir, "s3", "audit-bucket", "events", `dt=${day}`);
      await mkdir(folder, { recursive: true });
      const file = path.join(folder, name);
      await writeFile(file, "x");
      await utimes(file, new Date(at), new Date(at));
    };
    await write("2026-02-28", "old.gz", "2026-02-28T23:00:00Z");
    await write("2026-03-01", "new.gz", "2026-03-01T11:00:00Z");
    await write("2026-03-01", "mid.gz", "2026-03-01T09:00:00Z");
    const finder = localAuditObjectFinder({ stateDir, bucketName: "audit-bucket", eventsPrefix: "events/" });

    // Act
    const newest = await finder.newestObject(NOW);

    // Assess
    expect(newest).toEqual({
      key: "events/dt=2026-03-01/new.gz",
      lastModified: new Date("2026-03-01T11:00:00Z"),
      sizeBytes: 1,
    });
  });

  it("finds nothing before the first audit object is written", async () => {
    const finder = localAuditObjectFinder({ stateDir, bucketName: "audit-bucket", eventsPrefix: "events/" });
    expect(await finder.newestObject(NOW)).toBeUndefined();
  });
});
