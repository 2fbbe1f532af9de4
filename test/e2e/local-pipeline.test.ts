import { readdir, readFile } from "node:fs/promises";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { DescribeReplayCommand, PutEventsCommand, StartReplayCommand } from "@aws-sdk/client-eventbridge";
import { GetQueueAttributesCommand, ReceiveMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { LocalPipeline } from "../../lib/local/local-pipeline";
import { EventBridgePublisher, toPutEventsEntry } from "../../lib/producer";
import { type ExamplePipeline, orderData, startExamplePipeline } from "./support/example-pipeline";

/**
 * The example app's synthesized assembly, run by the local pipeline and driven only through the AWS
 * SDK, as a developer's producer code would: the real consumer bundles, the real queues and tables.
 */

const TIME_SCALE = 200;

let pipeline: LocalPipeline;
let stateDir: string;
let functionLogs: string[];
let subscription: ExamplePipeline["subscription"];
let clients: ExamplePipeline["clients"];

async function getItem(
  tableName: string,
  pk: string,
  sk: string,
): Promise<Record<string, unknown> | undefined> {
  const answer = await clients.dynamoDb.send(
    new GetItemCommand({ TableName: tableName, Key: { pk: { S: pk }, sk: { S: sk } }, ConsistentRead: true }),
  );
  return answer.Item;
}

async function visibleMessages(queueUrl: string): Promise<number> {
  const answer = await clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(answer.Attributes?.ApproximateNumberOfMessages ?? "0");
}

async function auditedEvents(): Promise<
  { "detail-type": string; detail: { metadata: Record<string, string> } }[]
> {
  await pipeline.flushAudit();
  const root = path.join(stateDir, "s3");
  const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((f) =>
    f.name.endsWith(".gz"),
  );
  const events = [];
  for (const file of files) {
    const text = gunzipSync(await readFile(path.join(file.parentPath, file.name))).toString("utf8");
    for (const line of text.split("\n")) if (line) events.push(JSON.parse(line));
  }
  return events;
}

beforeAll(async () => {
  const example = await startExamplePipeline(TIME_SCALE);
  ({ pipeline, stateDir, functionLogs, clients } = example);
  subscription = (name) => example.subscription(name);
});

afterAll(async () => {
  await pipeline?.stop();
});

describe("the local pipeline running the example app", () => {
  it("chains OrderPlaced → inventory → InventoryReserved → payments → PaymentProcessed, in DynamoDB and in the audit files", async () => {
    const publisher = new EventBridgePublisher({
      eventBusName: "eventrail",
      producer: "e2e",
      client: clients.eventBridge,
    });

    const outcome = await publisher.publish({
      detailType: "OrderPlaced",
      data: orderData("ORD-E2E-1", "ABC", 2),
    });

    expect(outcome.status).toBe("published");
    const payments = subscription("payments").stateTableName as string;
    await vi.waitFor(
      async () => expect(await getItem(payments, "PAYMENT#ORD-E2E-1", "PAYMENT")).toBeDefined(),
      {
        timeout: 20_000,
        interval: 100,
      },
    );
    const inventory = subscription("inventory").stateTableName as string;
    expect(await getItem(inventory, "ORDER#ORD-E2E-1", "RESERVATION")).toBeDefined();
    await vi.waitFor(
      async () => {
        const story = (await auditedEvents()).filter(
          (e) => outcome.status === "published" && e.detail.metadata.correlationId === outcome.eventId,
        );
        expect(story.map((e) => e["detail-type"]).sort()).toEqual([
          "InventoryReserved",
          "OrderPlaced",
          "PaymentProcessed",
        ]);
      },
      { timeout: 10_000, interval: 200 },
    );
  });

  it("moves a poisoned event to the inventory DLQ after maxReceiveCount, and lets the rest through", async () => {
    const poisoned = toPutEventsEntry(
      { detailType: "OrderPlaced", data: orderData("ORD-E2E-POISON") },
      { eventBusName: "eventrail", producer: "e2e" },
    );
    const detail = JSON.parse(poisoned.Detail as string);
    detail.data.items = "not a list";

    await clients.eventBridge.send(
      new PutEventsCommand({ Entries: [{ ...poisoned, Detail: JSON.stringify(detail) }] }),
    );

    const dlq = subscription("inventory").deadLetterQueueUrl;
    await vi.waitFor(async () => expect(await visibleMessages(dlq)).toBe(1), {
      timeout: 30_000,
      interval: 200,
    });
    const [message] =
      (
        await clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: dlq,
            MessageSystemAttributeNames: ["All"],
            VisibilityTimeout: 0,
          }),
        )
      ).Messages ?? [];
    expect(JSON.parse(message?.Body ?? "{}").detail.data.orderId).toBe("ORD-E2E-POISON");
    expect(Number(message?.Attributes?.ApproximateReceiveCount)).toBeGreaterThanOrEqual(5);
  });

  it("processes a duplicate delivery once: the stock is reserved once", async () => {
    const inventory = subscription("inventory").stateTableName as string;
    const stockOf = async (sku: string) =>
      Number(((await getItem(inventory, `SKU#${sku}`, "STOCK")) as { available: { N: string } }).available.N);
    const before = await stockOf("XYZ");
    const entry = toPutEventsEntry(
      { detailType: "OrderPlaced", data: orderData("ORD-E2E-DUP", "XYZ", 3) },
      { eventBusName: "eventrail", producer: "e2e" },
    );
    const eventId = JSON.parse(entry.Detail as string).metadata.eventId as string;

    await clients.eventBridge.send(new PutEventsCommand({ Entries: [entry, entry] }));

    await vi.waitFor(
      () =>
        expect(
          // analytics consumes OrderPlaced too and may skip its own duplicate first: wait for inventory's.
          functionLogs.some(
            (l) =>
              l.includes("Duplicate delivery skipped") &&
              l.includes(eventId) &&
              l.includes('"service":"inventory"'),
          ),
        ).toBe(true),
      { timeout: 20_000, interval: 100 },
    );
    expect(await getItem(inventory, "ORDER#ORD-E2E-DUP", "RESERVATION")).toBeDefined();
    expect(await stockOf("XYZ")).toBe(before - 3);
  });

  it("replays an archived window to one subscription only, marked as a replay", async () => {
    const archiveArn = pipeline.model.archives[0]?.arn as string;
    const busArn = pipeline.model.buses[0]?.arn as string;
    const analyticsRule = pipeline.model.rules.find(
      (r) => r.name === subscription("analytics").ruleName.split("|").at(-1),
    );
    const logsBefore = functionLogs.length;

    await clients.eventBridge.send(
      new StartReplayCommand({
        ReplayName: "e2e-replay",
        EventSourceArn: archiveArn,
        EventStartTime: new Date(Date.now() - 3_600_000),
        EventEndTime: new Date(Date.now() + 60_000),
        Destination: { Arn: busArn, FilterArns: [analyticsRule?.arn as string] },
      }),
    );

    await vi.waitFor(
      async () => {
        const replay = await clients.eventBridge.send(
          new DescribeReplayCommand({ ReplayName: "e2e-replay" }),
        );
        expect(replay.State).toBe("COMPLETED");
      },
      { timeout: 10_000, interval: 100 },
    );
    await vi.waitFor(
      () =>
        expect(functionLogs.slice(logsBefore).some((l) => l.includes("Processing an event replayed"))).toBe(
          true,
        ),
      { timeout: 20_000, interval: 100 },
    );
    const replayedBy = functionLogs
      .slice(logsBefore)
      .filter((l) => l.includes("Processing an event replayed"));
    expect(replayedBy.every((l) => l.includes("analytics"))).toBe(true);
  });
});
