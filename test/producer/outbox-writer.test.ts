import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, type TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { catalog } from "../../lib/catalog";
import { EventTooLargeError, EventValidationError, PublisherConfigurationError } from "../../lib/producer";
import { eventOfOutboxImage } from "../../lib/producer/outbox-item";
import {
  OutboxItemTooLargeError,
  OutboxTransactionCancelledError,
  OutboxTransactionTooLargeError,
  OutboxWriter,
  outboxItemSize,
} from "../../lib/producer/outbox-writer";
import {
  type LocalDynamoDbFixture,
  OUTBOX_TABLE,
  STATE_TABLE,
  startLocalDynamoDbFixture,
} from "../local/dynamodb/local-dynamodb-fixture";
import { orderPlaced } from "./factories";

const NOW = new Date("2026-12-05T10:00:00.000Z");

/** A document client stand-in that records what it is sent and answers with `answer`. */
function recordingClient(answer: () => Promise<unknown> = async () => ({})) {
  const sent: TransactWriteCommand[] = [];
  const client = {
    send: async (command: TransactWriteCommand) => {
      sent.push(command);
      return answer();
    },
  };
  return { sent, client: client as never };
}

describe("OutboxWriter.prepare", () => {
  const writer = new OutboxWriter({ tableName: "outbox", producer: "checkout", now: () => NOW });

  it("builds the item the pipe turns back into the event, with the publisher's envelope", () => {
    const entry = writer.prepare({ ...orderPlaced(1), correlationId: "flow-1", causationId: "cause-1" });
    expect(entry.item).toMatchObject({
      pk: `EVENT#${entry.eventId}`,
      eventId: entry.eventId,
      source: catalog.OrderPlaced.source,
      detailType: "OrderPlaced",
      time: NOW.toISOString(),
      correlationId: "flow-1",
      expiresAt: NOW.getTime() / 1000 + 7 * 24 * 3600,
    });
    const detail = JSON.parse(entry.item.detail);
    expect(detail.metadata).toMatchObject({
      eventId: entry.eventId,
      correlationId: "flow-1",
      causationId: "cause-1",
      producer: "checkout",
      occurredAt: NOW.toISOString(),
      schemaVersion: catalog.OrderPlaced.version,
    });
    expect(detail.data.orderId).toBe("ORD-1");
    expect(entry.transactItem).toEqual({
      Put: {
        TableName: "outbox",
        Item: entry.item,
        ConditionExpression: "attribute_not_exists(#key)",
        ExpressionAttributeNames: { "#key": "pk" },
      },
    });
  });

  it("gives back, through the relay's reading of the stream image, exactly the event written", () => {
    const entry = writer.prepare(orderPlaced(2));
    const image = Object.fromEntries(
      Object.entries(entry.item).map(([name, value]) => [
        name,
        typeof value === "number" ? { N: String(value) } : { S: value },
      ]),
    );
    expect(eventOfOutboxImage(image)).toEqual({
      source: catalog.OrderPlaced.source,
      detailType: "OrderPlaced",
      time: NOW.toISOString(),
      resources: [],
      detail: JSON.parse(entry.item.detail),
    });
  });

  it("refuses data that breaks the schema, naming the field, before anything is written", () => {
    const bad = {
      detailType: "OrderPlaced",
      data: { ...catalog.OrderPlaced.example, orderId: "nope" },
    } as const;
    expect(() => writer.prepare(bad as never)).toThrow(EventValidationError);
    expect(() => writer.prepare(bad as never)).toThrow(/orderId/);
  });

  it("refuses an event over the bus's entry size, counting the Time the pipe sets", () => {
    const small = new OutboxWriter({ tableName: "outbox", producer: "checkout", maxEntryBytes: 200 });
    expect(() => small.prepare(orderPlaced(3))).toThrow(EventTooLargeError);
    expect(() => small.prepare(orderPlaced(3))).toThrow(/limit is 200 bytes/);
  });

  it("counts an item's size as DynamoDB does, and names the claim-check fix when it is over 400 KB", () => {
    const item = writer.prepare(orderPlaced(4)).item;
    const bytes = (text: string) => Buffer.byteLength(text, "utf8");
    const expected = Object.entries(item).reduce(
      (sum, [name, value]) =>
        sum + bytes(name) + (typeof value === "number" ? String(value).length + 1 : bytes(String(value))),
      0,
    );
    expect(outboxItemSize(item)).toBe(expected);
    expect(outboxItemSize({ ...item, detail: "x".repeat(409_600) })).toBeGreaterThan(409_600);
    expect(new OutboxItemTooLargeError("OrderPlaced", 500_000, 409_600).message).toMatch(
      /about 500,000 bytes; DynamoDB's item limit is 409,600 bytes \(400 KB\).*S3/,
    );
  });

  it("refuses resources, which the pipe cannot carry to the bus, instead of dropping them", () => {
    const withResources = () => writer.prepare({ ...orderPlaced(5), resources: ["arn:aws:s3:::bucket/key"] });
    expect(withResources).toThrow(EventValidationError);
    expect(withResources).toThrow(/resources, which the outbox's pipe cannot put on the bus/);
  });

  it("refuses a writer without a table or a producer", () => {
    expect(() => new OutboxWriter({ tableName: "", producer: "x" })).toThrow(PublisherConfigurationError);
    expect(() => new OutboxWriter({ tableName: "t", producer: " " })).toThrow(/producer/);
    expect(() => new OutboxWriter({ tableName: "t", producer: "p", retentionSeconds: 0 })).toThrow(
      /retentionSeconds/,
    );
  });
});

describe("OutboxWriter.commit", () => {
  it("sends the caller's items first and the events after, in one TransactWriteItems", async () => {
    const { sent, client } = recordingClient();
    const writer = new OutboxWriter({ tableName: "outbox", producer: "checkout", client });
    const state = { Put: { TableName: "orders", Item: { pk: "ORDER#1" } } };
    const result = await writer.commit([orderPlaced(1), orderPlaced(2)], [state]);
    expect(sent).toHaveLength(1);
    const actions = sent[0]?.input.TransactItems ?? [];
    expect(actions[0]).toEqual(state);
    expect(actions.slice(1).map((action) => action.Put?.TableName)).toEqual(["outbox", "outbox"]);
    expect(result.actions).toBe(3);
    expect(result.events.map((event) => event.detailType)).toEqual(["OrderPlaced", "OrderPlaced"]);
  });

  it("refuses more than 100 actions before sending anything", async () => {
    const { sent, client } = recordingClient();
    const writer = new OutboxWriter({ tableName: "outbox", producer: "checkout", client });
    const items = Array.from({ length: 100 }, (_, i) => ({
      Put: { TableName: "orders", Item: { pk: `${i}` } },
    }));
    await expect(writer.commit([orderPlaced(1)], items)).rejects.toThrow(OutboxTransactionTooLargeError);
    await expect(writer.commit([orderPlaced(1)], items)).rejects.toThrow(
      /101 actions \(100 of yours and 1 events\)/,
    );
    expect(sent).toHaveLength(0);
  });

  it("names the action DynamoDB cancelled for", async () => {
    const { client } = recordingClient(async () => {
      throw new TransactionCanceledException({
        message: "Transaction cancelled",
        $metadata: {},
        CancellationReasons: [{ Code: "ConditionalCheckFailed" }, { Code: "None" }],
      });
    });
    const writer = new OutboxWriter({ tableName: "outbox", producer: "checkout", client });
    const failure = await writer
      .commit([orderPlaced(1)], [{ Put: { TableName: "orders", Item: {} } }])
      .catch((e) => e);
    expect(failure).toBeInstanceOf(OutboxTransactionCancelledError);
    expect(failure.message).toMatch(/your item 0: ConditionalCheckFailed/);
    expect(failure.failedCallerItems).toEqual([0]);
    expect(failure.eventsAlreadyWritten).toBe(false);
  });

  it("needs a client, and says how to do without one", async () => {
    const writer = new OutboxWriter({ tableName: "outbox", producer: "checkout" });
    await expect(writer.commit([orderPlaced(1)])).rejects.toThrow(/entries\(\)/);
  });
});

describe("OutboxWriter against the local DynamoDB", () => {
  let fixture: LocalDynamoDbFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
    fixture = undefined;
  });

  it("commits the state and the event together, and a retry of the same event writes nothing", async () => {
    fixture = await startLocalDynamoDbFixture({ tables: [STATE_TABLE, OUTBOX_TABLE] });
    const writer = new OutboxWriter({
      tableName: OUTBOX_TABLE.name,
      producer: "checkout",
      client: fixture.documents,
    });
    const event = writer.prepare(orderPlaced(7));
    const state = (version: number) => ({
      Put: { TableName: STATE_TABLE.name, Item: { pk: "ORDER#7", sk: "STATE", version } },
    });
    await writer.commit([event], [state(1)]);

    const retry = await writer.commit([event], [state(2)]).catch((e) => e);
    expect(retry).toBeInstanceOf(OutboxTransactionCancelledError);
    expect(retry.eventsAlreadyWritten).toBe(true);
    const stored = await fixture.documents.send(
      new GetCommand({ TableName: STATE_TABLE.name, Key: { pk: "ORDER#7", sk: "STATE" } }),
    );
    expect(stored.Item?.version).toBe(1);
    const item = await fixture.documents.send(
      new GetCommand({ TableName: OUTBOX_TABLE.name, Key: { pk: `EVENT#${event.eventId}` } }),
    );
    expect(item.Item?.detail).toBe(event.item.detail);
  });
});
