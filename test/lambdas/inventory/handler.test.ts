import { DynamoDBClient, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handler } from "../../../lambdas/inventory/handler";
import { stockSeed, stockSeedItems } from "../../../lambdas/inventory/seed";
import { anEvent, lambdaContext, sqsEvent, sqsRecord } from "../support/events";
import { FakeIdempotencyTable } from "../support/idempotency-table";
import { committedOutboxEvents, outboxEventsIn } from "../support/outbox";
import { CapturedOutput } from "../support/output";

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "inventory",
    POWERTOOLS_METRICS_NAMESPACE: "eventrail",
    IDEMPOTENCY_TABLE_NAME: "idempotency",
    STATE_TABLE_NAME: "inventory-state",
    OUTBOX_TABLE_NAME: "outbox",
    EVENTRAIL_PRODUCER: "inventory",
    AWS_REGION: "eu-west-1",
  });
});

const idempotencyClient = mockClient(DynamoDBClient);
const stateTable = mockClient(DynamoDBDocumentClient);
let output: CapturedOutput;

beforeEach(() => {
  idempotencyClient.reset();
  stateTable.reset();
  new FakeIdempotencyTable(idempotencyClient);
  // An empty state table: no reservation, and a cancellation marker can be written.
  stateTable.on(GetCommand).resolves({});
  stateTable.on(PutCommand).resolves({});
  output = new CapturedOutput();
});

afterEach(() => {
  output.restore();
});

/** An order for the given lines, from a customer. */
function orderPlaced(items: { sku: string; quantity: number }[], orderId = "ORD-1001") {
  return anEvent("OrderPlaced", { data: { orderId, customerId: "CUST-42", items } });
}

/** DynamoDB's answer to a transaction whose conditions failed: one reason per action, in order. */
function cancelledTransaction(
  ...reasons: { Code: string; Item?: Record<string, { S: string } | { N: string }> }[]
) {
  return new TransactionCanceledException({
    message: "Transaction cancelled, please refer cancellation reasons for specific reasons",
    $metadata: {},
    CancellationReasons: reasons,
  });
}

function transactionInput(): TransactWriteCommandInput | undefined {
  return stateTable.commandCalls(TransactWriteCommand)[0]?.args[0].input;
}

describe("inventory consumer", () => {
  describe("on OrderPlaced", () => {
    it("reserves every line and writes InventoryReserved, in the order's flow, in one conditional transaction", async () => {
      // Prepare
      stateTable.on(TransactWriteCommand).resolves({});
      const order = orderPlaced([
        { sku: "ABC", quantity: 2 },
        { sku: "XYZ", quantity: 1 },
      ]);

      // Act
      const response = await handler(sqsEvent(sqsRecord(order)), lambdaContext());

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      const actions = transactionInput()?.TransactItems ?? [];
      expect(actions[0]?.Put).toMatchObject({
        TableName: "inventory-state",
        Item: { pk: "ORDER#ORD-1001", sk: "RESERVATION", status: "reserved", reservationId: "RES-ORD-1001" },
        ConditionExpression: "attribute_not_exists(pk)",
      });
      expect(actions.slice(1, -1).map((action) => action.Update)).toEqual([
        expect.objectContaining({
          Key: { pk: "SKU#ABC", sk: "STOCK" },
          ConditionExpression: "available >= :quantity",
          ExpressionAttributeValues: { ":quantity": 2 },
        }),
        expect.objectContaining({
          Key: { pk: "SKU#XYZ", sk: "STOCK" },
          ConditionExpression: "available >= :quantity",
          ExpressionAttributeValues: { ":quantity": 1 },
        }),
      ]);
      expect(actions.at(-1)?.Put).toMatchObject({
        TableName: "outbox",
        ConditionExpression: "attribute_not_exists(#key)",
      });
      expect(await committedOutboxEvents(stateTable)).toEqual([
        {
          source: "eventrail.inventory",
          detailType: "InventoryReserved",
          metadata: expect.objectContaining({
            correlationId: order.detail.metadata.correlationId,
            causationId: order.detail.metadata.eventId,
            producer: "inventory",
          }),
          data: {
            orderId: "ORD-1001",
            customerId: "CUST-42",
            items: order.detail.data.items,
            total: order.detail.data.total,
            reservationId: "RES-ORD-1001",
          },
        },
      ]);
    });

    it("sums the quantities of a SKU that appears on several lines, since a transaction touches an item once", async () => {
      // Prepare
      stateTable.on(TransactWriteCommand).resolves({});
      const order = orderPlaced([
        { sku: "ABC", quantity: 2 },
        { sku: "ABC", quantity: 3 },
      ]);

      // Act
      await handler(sqsEvent(sqsRecord(order)), lambdaContext());

      // Assess
      const updates = (transactionInput()?.TransactItems ?? []).flatMap((action) =>
        action.Update === undefined ? [] : [action.Update],
      );
      expect(updates).toEqual([
        expect.objectContaining({
          Key: { pk: "SKU#ABC", sk: "STOCK" },
          ExpressionAttributeValues: { ":quantity": 5 },
        }),
      ]);
    });

    it("records the rejection with InventoryReservationFailed naming the SKUs short of stock, and the record succeeds", async () => {
      // Prepare
      stateTable
        .on(TransactWriteCommand)
        .rejectsOnce(
          cancelledTransaction(
            { Code: "None" },
            { Code: "None" },
            { Code: "ConditionalCheckFailed", Item: { pk: { S: "SKU#XYZ" }, available: { N: "0" } } },
            { Code: "None" },
          ),
        )
        .resolves({});
      const order = orderPlaced([
        { sku: "ABC", quantity: 2 },
        { sku: "XYZ", quantity: 1 },
      ]);

      // Act
      const response = await handler(sqsEvent(sqsRecord(order)), lambdaContext());

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      const rejection = stateTable.commandCalls(TransactWriteCommand)[1]?.args[0].input.TransactItems ?? [];
      expect(rejection[0]?.Put).toMatchObject({
        Item: { pk: "ORDER#ORD-1001", sk: "RESERVATION", status: "rejected", skus: ["XYZ"] },
        ConditionExpression: "attribute_not_exists(pk)",
      });
      expect(await committedOutboxEvents(stateTable)).toEqual([
        expect.objectContaining({
          detailType: "InventoryReservationFailed",
          metadata: expect.objectContaining({ causationId: order.detail.metadata.eventId }),
          data: { orderId: "ORD-1001", customerId: "CUST-42", reason: "insufficient-stock", skus: ["XYZ"] },
        }),
      ]);
    });

    it("reports unknown-sku for a SKU that has no stock item at all", async () => {
      // Prepare
      stateTable
        .on(TransactWriteCommand)
        .rejectsOnce(
          cancelledTransaction(
            { Code: "None" },
            { Code: "ConditionalCheckFailed" },
            { Code: "ConditionalCheckFailed", Item: { pk: { S: "SKU#XYZ" }, available: { N: "0" } } },
            { Code: "None" },
          ),
        )
        .resolves({});
      const order = orderPlaced([
        { sku: "NOPE", quantity: 1 },
        { sku: "XYZ", quantity: 1 },
      ]);

      // Act
      await handler(sqsEvent(sqsRecord(order)), lambdaContext());

      // Assess
      expect((await committedOutboxEvents(stateTable)).map((event) => event.data)).toEqual([
        { orderId: "ORD-1001", customerId: "CUST-42", reason: "unknown-sku", skus: ["NOPE"] },
      ]);
    });

    it("does nothing when an earlier attempt reserved the order: its InventoryReserved was committed with it", async () => {
      // Prepare
      stateTable
        .on(TransactWriteCommand)
        .rejects(
          cancelledTransaction(
            { Code: "ConditionalCheckFailed", Item: { status: { S: "reserved" } } },
            { Code: "ConditionalCheckFailed", Item: { pk: { S: "SKU#ABC" }, available: { N: "0" } } },
          ),
        );

      // Act
      const response = await handler(
        sqsEvent(sqsRecord(orderPlaced([{ sku: "ABC", quantity: 2 }]))),
        lambdaContext(),
      );

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(stateTable.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(await committedOutboxEvents(stateTable)).toEqual([]);
    });

    it("reserves nothing and publishes nothing for an order that was cancelled first", async () => {
      // Prepare
      stateTable
        .on(TransactWriteCommand)
        .rejects(
          cancelledTransaction(
            { Code: "ConditionalCheckFailed", Item: { status: { S: "cancelled" } } },
            { Code: "None" },
          ),
        );

      // Act
      const response = await handler(
        sqsEvent(sqsRecord(orderPlaced([{ sku: "ABC", quantity: 2 }]))),
        lambdaContext(),
      );

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(await committedOutboxEvents(stateTable)).toEqual([]);
    });

    it("fails the record, publishing nothing, when the transaction conflicts with another one", async () => {
      // Prepare
      stateTable
        .on(TransactWriteCommand)
        .rejects(cancelledTransaction({ Code: "None" }, { Code: "TransactionConflict" }));
      const record = sqsRecord(orderPlaced([{ sku: "ABC", quantity: 2 }]));

      // Act
      const response = await handler(sqsEvent(record, sqsRecord(anEvent("OrderCancelled"))), lambdaContext());

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(await committedOutboxEvents(stateTable)).toEqual([]);
      expect(output.logs("Event processing failed")[0]?.error).toMatchObject({
        name: "StockTransactionError",
      });
    });

    it("does not reserve or publish again when the same event is delivered twice", async () => {
      // Prepare
      stateTable.on(TransactWriteCommand).resolves({});
      const order = orderPlaced([{ sku: "ABC", quantity: 1 }]);

      // Act
      await handler(sqsEvent(sqsRecord(order)), lambdaContext());
      const duplicate = await handler(sqsEvent(sqsRecord(order)), lambdaContext());

      // Assess
      expect(duplicate.batchItemFailures).toEqual([]);
      expect(stateTable.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(await committedOutboxEvents(stateTable)).toHaveLength(1);
    });

    it("answers a redelivered OrderPlaced from the rejection recorded earlier, trying the stock no more", async () => {
      // Prepare: the reservation item says the order was rejected (and its event committed with it).
      stateTable
        .on(TransactWriteCommand)
        .rejects(
          cancelledTransaction(
            { Code: "ConditionalCheckFailed", Item: { status: { S: "rejected" } } },
            { Code: "None" },
            { Code: "None" },
          ),
        );

      // Act
      const response = await handler(
        sqsEvent(sqsRecord(orderPlaced([{ sku: "ABC", quantity: 1 }]))),
        lambdaContext(),
      );

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(stateTable.commandCalls(TransactWriteCommand)).toHaveLength(1);
      expect(await committedOutboxEvents(stateTable)).toEqual([]);
    });

    it("gives a retried reservation the same InventoryReserved eventId, so its outbox item refuses a second copy", async () => {
      // Prepare
      stateTable
        .on(TransactWriteCommand)
        .rejects(cancelledTransaction({ Code: "None" }, { Code: "TransactionConflict" }));
      const order = orderPlaced([{ sku: "ABC", quantity: 1 }]);

      // Act: the first attempt conflicts and fails its record (the whole batch); SQS delivers it again.
      const failed = { name: "FullBatchFailureError" };
      await expect(handler(sqsEvent(sqsRecord(order)), lambdaContext())).rejects.toMatchObject(failed);
      await expect(
        handler(sqsEvent(sqsRecord(order, { receiveCount: 2 })), lambdaContext()),
      ).rejects.toMatchObject(failed);

      // Assess
      const [first, second] = stateTable
        .commandCalls(TransactWriteCommand)
        .map((call) => outboxEventsIn(call.args[0].input)[0]?.metadata.eventId);
      expect(first).toBeDefined();
      expect(second).toBe(first);
    });
  });

  it("processes the good records of a batch and fails only the poisoned one", async () => {
    // Prepare
    stateTable.on(TransactWriteCommand).resolves({});
    const poisoned = sqsRecord(
      anEvent("OrderPlaced", { data: { items: [{ sku: "abc lower", quantity: 0 }] } }),
    );
    const good = [
      orderPlaced([{ sku: "ABC", quantity: 1 }], "ORD-1"),
      orderPlaced([{ sku: "XYZ", quantity: 1 }], "ORD-2"),
    ];

    // Act
    const response = await handler(
      sqsEvent(sqsRecord(good[0]), poisoned, sqsRecord(good[1])),
      lambdaContext(),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poisoned.messageId }]);
    expect((await committedOutboxEvents(stateTable)).map((event) => event.data.orderId)).toEqual([
      "ORD-1",
      "ORD-2",
    ]);
    expect(output.logs("Rejected record")).toEqual([
      expect.objectContaining({ messageId: poisoned.messageId, reason: "invalid-detail", level: "ERROR" }),
    ]);
  });

  describe("on OrderCancelled", () => {
    it("adds the reserved quantities back and marks the reservation cancelled, only if it is still reserved", async () => {
      // Prepare
      stateTable.on(GetCommand).resolves({
        Item: {
          pk: "ORDER#ORD-1234",
          sk: "RESERVATION",
          status: "reserved",
          lines: [
            { sku: "ABC", quantity: 2 },
            { sku: "XYZ", quantity: 1 },
          ],
        },
      });
      stateTable.on(TransactWriteCommand).resolves({});

      // Act
      const response = await handler(sqsEvent(sqsRecord(anEvent("OrderCancelled"))), lambdaContext());

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      const actions = transactionInput()?.TransactItems ?? [];
      expect(actions[0]?.Update).toMatchObject({
        Key: { pk: "ORDER#ORD-1234", sk: "RESERVATION" },
        ConditionExpression: "#status = :reserved",
      });
      expect(
        actions.slice(1).map((action) => [action.Update?.Key, action.Update?.ExpressionAttributeValues]),
      ).toEqual([
        [{ pk: "SKU#ABC", sk: "STOCK" }, { ":quantity": 2 }],
        [{ pk: "SKU#XYZ", sk: "STOCK" }, { ":quantity": 1 }],
      ]);
      expect(await committedOutboxEvents(stateTable)).toEqual([]);
    });

    it("is a no-op for a reservation already released", async () => {
      // Prepare
      stateTable
        .on(GetCommand)
        .resolves({ Item: { status: "cancelled", lines: [{ sku: "ABC", quantity: 2 }] } });

      // Act
      const response = await handler(sqsEvent(sqsRecord(anEvent("OrderCancelled"))), lambdaContext());

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(stateTable.commandCalls(TransactWriteCommand)).toEqual([]);
    });

    it("treats losing a race with a concurrent release as already released", async () => {
      // Prepare
      stateTable
        .on(GetCommand)
        .resolves({ Item: { status: "reserved", lines: [{ sku: "ABC", quantity: 2 }] } });
      stateTable
        .on(TransactWriteCommand)
        .rejects(cancelledTransaction({ Code: "ConditionalCheckFailed" }, { Code: "None" }));

      // Act
      const response = await handler(sqsEvent(sqsRecord(anEvent("OrderCancelled"))), lambdaContext());

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(output.logs("cancellation applied")[0]).toMatchObject({
        release: { status: "already-released" },
      });
    });

    it("leaves a cancelled marker when the order has no reservation yet, so a late OrderPlaced reserves nothing", async () => {
      // Prepare
      const cancellation = anEvent("OrderCancelled");

      // Act
      await handler(sqsEvent(sqsRecord(cancellation)), lambdaContext());

      // Assess
      expect(stateTable.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
        Item: { pk: "ORDER#ORD-1234", sk: "RESERVATION", status: "cancelled" },
        ConditionExpression: "attribute_not_exists(pk)",
      });
    });
  });
});

describe("inventory seed", () => {
  it("stocks the catalog's example SKUs", () => {
    // Act
    const seeded = new Map(stockSeed.map((seed) => [seed.sku, seed.available]));

    // Assess
    expect(seeded.get("ABC")).toBeGreaterThan(0);
    expect(seeded.get("XYZ")).toBeGreaterThan(0);
  });

  it("turns into stock items keyed as the consumer reads them", () => {
    // Act
    const items = stockSeedItems();

    // Assess
    expect(items).toContainEqual({ pk: "SKU#ABC", sk: "STOCK", available: 1_000 });
    expect(items).toHaveLength(stockSeed.length);
  });
});
