import { GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DescribePipeCommand, ListPipesCommand, PipesClient } from "@aws-sdk/client-pipes";
import { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { BusEvent } from "../../lib/local/events/bus-event";
import type { LocalPipeline } from "../../lib/local/local-pipeline";
import type { PipelineObserver } from "../../lib/local/pipeline-observer";
import { findDeadLetterQueue, peekDeadLetterQueue, redriveDeadLetterQueue } from "../../lib/ops/dlq";
import { getOutboxStatus } from "../../lib/ops/outbox";
import { type StackResources, stackResourcesFromOutputs } from "../../lib/ops/stack-resources";
import { localPipes } from "../../lib/ops/status";
import { OutboxWriter } from "../../lib/producer/outbox-writer";
import { stackOutputs } from "../../lib/stack-outputs";
import { type ExamplePipeline, startExamplePipeline } from "./support/example-pipeline";

/**
 * The transactional outbox of the example app, run by the local pipeline: the checkout producer's
 * order and OrderPlaced committed together and piped to the bus, the consumers' follow-ups through
 * the outbox, a thousand writes delivered in commit order, and a bad item ending in the pipe's DLQ.
 */

/** High enough that the pipe's retries (1 s, doubling, 10 of them) take a few seconds. */
const TIME_SCALE = 100;

let example: ExamplePipeline;
let pipeline: LocalPipeline;
let resources: StackResources;
const accepted: BusEvent[] = [];
const config = () => ({
  endpoint: pipeline.endpoint,
  region: "us-east-1",
  credentials: { accessKeyId: "local", secretAccessKey: "local" },
});

const observer: PipelineObserver = {
  accepted: (event) => accepted.push(event),
  matched: () => {},
  delivered: () => {},
  received: () => {},
  handled: () => {},
  log: () => {},
};

/** Invokes the checkout through Lambda's Invoke API at the edge, as `aws lambda invoke` does. */
async function checkout(
  order: Record<string, unknown>,
): Promise<{ status: number; error?: string; body: unknown }> {
  const name = pipeline.model.outputs[stackOutputs.checkoutFunctionName];
  const response = await fetch(`${pipeline.endpoint}/2015-03-31/functions/${name}/invocations`, {
    method: "POST",
    body: JSON.stringify(order),
  });
  return {
    status: response.status,
    ...(response.headers.get("x-amz-function-error")
      ? { error: response.headers.get("x-amz-function-error") as string }
      : {}),
    body: await response.json(),
  };
}

/** The eventIds of the outbox stream's new items among `ids`, in the stream's order. */
async function streamOrder(ids: ReadonlySet<string>): Promise<string[]> {
  const client = new DynamoDBStreamsClient(config());
  const streamArn = resources.outbox?.streamArn;
  const shard = (await client.send(new DescribeStreamCommand({ StreamArn: streamArn }))).StreamDescription
    ?.Shards?.[0];
  let iterator = (
    await client.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shard?.ShardId,
        ShardIteratorType: "TRIM_HORIZON",
      }),
    )
  ).ShardIterator;
  const order: string[] = [];
  for (;;) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator }));
    if ((page.Records ?? []).length === 0) return order;
    for (const record of page.Records ?? []) {
      const eventId = record.dynamodb?.NewImage?.eventId?.S;
      if (record.eventName === "INSERT" && eventId !== undefined && ids.has(eventId)) order.push(eventId);
    }
    iterator = page.NextShardIterator;
  }
}

function eventIdOf(event: BusEvent): string {
  return (event.detail as { metadata: { eventId: string } }).metadata.eventId;
}

beforeAll(async () => {
  example = await startExamplePipeline(TIME_SCALE, { observer });
  pipeline = example.pipeline;
  resources = stackResourcesFromOutputs(
    pipeline.model.stackName,
    pipeline.model.outputs,
    "the local assembly",
  );
});

afterAll(async () => {
  await pipeline?.stop();
});

describe("the outbox, run by the local pipeline", () => {
  it("serves the stream and the pipe at the edge: ListStreams, ListPipes, DescribePipe", async () => {
    const outbox = resources.outbox;
    expect(outbox).toBeDefined();
    const streams = await new DynamoDBStreamsClient(config()).send(
      new ListStreamsCommand({ TableName: outbox?.tableName }),
    );
    expect(streams.Streams?.map((s) => s.StreamArn)).toEqual([outbox?.streamArn]);
    const pipes = new PipesClient(config());
    const listed = await pipes.send(new ListPipesCommand({}));
    expect(listed.Pipes?.map((p) => [p.Name, p.CurrentState])).toEqual([[outbox?.pipeName, "RUNNING"]]);
    const described = await pipes.send(new DescribePipeCommand({ Name: outbox?.pipeName }));
    expect(described).toMatchObject({
      Source: outbox?.streamArn,
      Target: resources.eventBusArn,
      SourceParameters: {
        FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
        DynamoDBStreamParameters: { OnPartialBatchItemFailure: "AUTOMATIC_BISECT", MaximumRetryAttempts: 10 },
      },
      TargetParameters: { InputTemplate: "<$.detail>" },
    });
    await expect(pipes.send(new DescribePipeCommand({ Name: "no-such-pipe" }))).rejects.toMatchObject({
      name: "NotFoundException",
    });
  });

  it("places an order with its OrderPlaced through the checkout, and the chain runs through the outbox to payment", async () => {
    const placed = await checkout({
      orderId: "ORD-OUTBOX-1",
      customerId: "CUST-1",
      items: [{ sku: "DEF", quantity: 3 }],
      total: { amount: 1_500, currency: "EUR" },
    });
    expect(placed).toMatchObject({ status: 200, body: { status: "placed", orderId: "ORD-OUTBOX-1" } });
    const eventId = (placed.body as { eventId: string }).eventId;

    const payments = example.subscription("payments");
    await vi.waitFor(
      async () => {
        const payment = await example.clients.dynamoDb.send(
          new GetItemCommand({
            TableName: payments.stateTableName,
            Key: { pk: { S: "PAYMENT#ORD-OUTBOX-1" }, sk: { S: "PAYMENT" } },
          }),
        );
        expect(payment.Item?.status).toEqual({ S: "processed" });
      },
      { timeout: 20_000, interval: 100 },
    );
    await vi.waitFor(() =>
      expect(
        accepted
          .filter((e) => (e.detail as { data?: { orderId?: string } }).data?.orderId === "ORD-OUTBOX-1")
          .map((e) => e["detail-type"]),
      ).toEqual(["OrderPlaced", "InventoryReserved", "PaymentProcessed"]),
    );
    const orderPlaced = accepted.find((e) => eventIdOf(e) === eventId);
    expect(orderPlaced).toMatchObject({ source: "eventrail.orders", "detail-type": "OrderPlaced" });

    // The same order again: placed once, announced once.
    const again = await checkout({
      orderId: "ORD-OUTBOX-1",
      customerId: "CUST-1",
      items: [{ sku: "DEF", quantity: 3 }],
      total: { amount: 1_500, currency: "EUR" },
    });
    expect(again.body).toEqual({ status: "already-placed", orderId: "ORD-OUTBOX-1", eventId });
    const stock = await example.clients.dynamoDb.send(
      new GetItemCommand({
        TableName: example.subscription("inventory").stateTableName,
        Key: { pk: { S: "SKU#DEF" }, sk: { S: "STOCK" } },
      }),
    );
    expect(stock.Item?.available).toEqual({ N: "247" });
  });

  it("refuses an invalid order with a Lambda function error naming the field, writing nothing", async () => {
    const refused = await checkout({
      customerId: "nobody",
      items: [],
      total: { amount: 1, currency: "EUR" },
    });
    expect(refused.error).toBe("Unhandled");
    expect(refused.body).toMatchObject({
      errorType: "CheckoutRequestError",
      errorMessage: expect.stringMatching(/customerId/),
    });
  });

  it("delivers 1,000 outbox writes as 1,000 events on the bus, in commit order", async () => {
    const outbox = new OutboxWriter({
      tableName: resources.outbox?.tableName ?? "",
      producer: "e2e",
      client: DynamoDBDocumentClient.from(example.clients.dynamoDb),
    });
    const before = accepted.length;
    const committed: string[][] = [[], [], [], []];
    // Four writers of 250 each, each in order; the commit order is the order their commits returned.
    await Promise.all(
      Array.from({ length: 4 }, async (_, writer) => {
        for (let n = 0; n < 250; n++) {
          const [event] = outbox.entries([
            {
              detailType: "OrderCancelled",
              data: { orderId: `ORD-BULK-${writer}-${n}`, customerId: "CUST-1", reason: "customer-request" },
            },
          ]);
          if (event === undefined) throw new Error("no entry");
          await outbox.commit([event]);
          committed[writer]?.push(event.eventId);
        }
      }),
    );
    await vi.waitFor(() => expect(accepted.length - before).toBeGreaterThanOrEqual(1_000), {
      timeout: 60_000,
      interval: 200,
    });
    const delivered = accepted
      .slice(before)
      .filter((e) => e["detail-type"] === "OrderCancelled")
      .map(eventIdOf);
    expect(delivered).toHaveLength(1_000);
    expect(new Set(delivered).size).toBe(1_000);
    // Each writer's events arrive in the order it committed them...
    for (const ids of committed) expect(delivered.filter((id) => ids.includes(id))).toEqual(ids);
    // ...and all of them in the order of the table's stream, which is the commit order.
    expect(delivered).toEqual(await streamOrder(new Set(committed.flat())));
  });

  it("retries an item the relay cannot read, then puts its position in the pipe's DLQ; status and dlq show it", async () => {
    await example.clients.dynamoDb.send(
      new PutItemCommand({
        TableName: resources.outbox?.tableName,
        Item: { pk: { S: "EVENT#not-an-event" }, source: { S: "eventrail.orders" } },
      }),
    );
    const sqs = new SQSClient(config());
    const ref = findDeadLetterQueue(resources, "outbox/pipe");
    await vi.waitFor(async () => expect(await peekDeadLetterQueue(sqs, ref, { max: 10 })).toHaveLength(1), {
      timeout: 30_000,
      interval: 250,
    });
    const [message] = await peekDeadLetterQueue(sqs, ref, { max: 10 });
    expect(message?.failure).toMatchObject({
      errorCode: "EnrichmentStageFailed",
      errorMessage: expect.stringMatching(/EVENT#not-an-event: attribute detail is missing/),
      exhaustedRetryCondition: "RetryAttemptsExhausted",
      retryAttempts: 11,
    });
    const status = await getOutboxStatus(
      { pipes: new PipesClient(config()), sqs },
      resources.outbox as NonNullable<StackResources["outbox"]>,
      await localPipes(pipeline.endpoint),
    );
    expect(status).toMatchObject({ pipeState: "RUNNING", backlog: 0, deadLetterDepth: 1 });

    // A redrive reads the batch back from the stream: still not an outbox item, so it stays in the DLQ.
    const redrive = await redriveDeadLetterQueue(
      {
        sqs,
        dynamoDbStreams: new DynamoDBStreamsClient(config()),
        eventBridge: new EventBridgeClient(config()),
      },
      ref,
      { holdSeconds: 1 },
    );
    expect(redrive.moved).toBe(0);
    expect(redrive.failed).toEqual([
      {
        messageId: expect.any(String),
        reason: expect.stringMatching(/EVENT#not-an-event.*delete this DLQ message by hand/),
      },
    ]);
  });
});
