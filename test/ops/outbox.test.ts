import { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { EventBridgeClient, PutEventsCommand, PutEventsCommandInput } from "@aws-sdk/client-eventbridge";
import { afterEach, describe, expect, it } from "vitest";
import { catalog } from "../../lib/catalog";
import { shardIdOf } from "../../lib/local/dynamodb/streams-service";
import type { TableStream } from "../../lib/local/dynamodb/table-streams";
import { OutboxRedriveError, republishStreamBatch, streamBatchInfoOf } from "../../lib/ops/outbox";
import { OutboxWriter } from "../../lib/producer/outbox-writer";
import {
  type LocalDynamoDbFixture,
  OUTBOX_TABLE,
  startLocalDynamoDbFixture,
} from "../local/dynamodb/local-dynamodb-fixture";

/**
 * Redriving the outbox pipe's DLQ: the batch's events read back from the table's stream (the local
 * DynamoDB Streams, through the SDK) and put on the bus again.
 */

let fixture: LocalDynamoDbFixture | undefined;
afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

/** An EventBridge client stand-in that accepts every entry and keeps them. */
function recordingBus(): {
  client: EventBridgeClient;
  entries: NonNullable<PutEventsCommandInput["Entries"]>;
} {
  const entries: NonNullable<PutEventsCommandInput["Entries"]> = [];
  const client = {
    send: async (command: PutEventsCommand) => {
      entries.push(...(command.input.Entries ?? []));
      return { FailedEntryCount: 0, Entries: (command.input.Entries ?? []).map(() => ({ EventId: "x" })) };
    },
  };
  return { client: client as unknown as EventBridgeClient, entries };
}

describe("republishing a dead-lettered outbox batch", () => {
  it("puts the batch's events on the bus from the stream, exactly as written, and only those", async () => {
    fixture = await startLocalDynamoDbFixture({ tables: [OUTBOX_TABLE] });
    const writer = new OutboxWriter({
      tableName: OUTBOX_TABLE.name,
      producer: "checkout",
      client: fixture.documents,
    });
    const written = [];
    for (let n = 0; n < 4; n++) {
      const [entry] = writer.entries([
        { detailType: "OrderCancelled", data: { ...catalog.OrderCancelled.example, orderId: `ORD-R-${n}` } },
      ]);
      if (entry === undefined) throw new Error("no entry");
      await writer.commit([entry]);
      written.push(entry);
    }
    const streams = new DynamoDBStreamsClient({
      endpoint: fixture.endpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    const stream = fixture.dynamoDb.streams.ofTable(OUTBOX_TABLE.name);
    const records = stream?.records ?? [];
    // The pipe's DLQ message for the middle two records.
    const body = JSON.stringify({
      DDBStreamBatchInfo: {
        streamArn: OUTBOX_TABLE.stream?.arn,
        shardId: shardIdOf(stream as TableStream),
        startSequenceNumber: records[1]?.record.dynamodb.SequenceNumber,
        endSequenceNumber: records[2]?.record.dynamodb.SequenceNumber,
        batchSize: 2,
      },
    });
    const bus = recordingBus();

    const republished = await republishStreamBatch(
      { streams, eventBridge: bus.client },
      streamBatchInfoOf(body),
      "eventrail",
    );

    expect(republished).toBe(2);
    expect(bus.entries.map((entry) => entry.Detail)).toEqual([
      written[1]?.item.detail,
      written[2]?.item.detail,
    ]);
    expect(bus.entries[0]).toMatchObject({
      EventBusName: "eventrail",
      Source: "eventrail.orders",
      DetailType: "OrderCancelled",
    });
  });

  it("refuses a message that is not a pipe's stream batch, saying what to do", () => {
    expect(() => streamBatchInfoOf('{"hello":1}')).toThrow(OutboxRedriveError);
    expect(() => streamBatchInfoOf("not json")).toThrow(/no DDBStreamBatchInfo/);
  });
});
