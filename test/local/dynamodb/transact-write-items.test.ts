import {
  type ReturnValuesOnConditionCheckFailure,
  TransactionCanceledException,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { reserveStock, stockKey } from "../../../lambdas/inventory/stock";
import { type LocalDynamoDbFixture, STATE_TABLE, startLocalDynamoDbFixture } from "./local-dynamodb-fixture";

const TableName = STATE_TABLE.name;

function key(name: string): { pk: string; sk: string } {
  return { pk: `ITEM#${name}`, sk: "ITEM" };
}

/** A wire-form Put of a new item, for transactions sent with the low-level client. */
function putOf(name: string): TransactWriteItem {
  return { Put: { TableName, Item: { pk: { S: `ITEM#${name}` }, sk: { S: "ITEM" } } } };
}

describe("TransactWriteItems on the local DynamoDB", () => {
  let fixture: LocalDynamoDbFixture;

  beforeEach(async () => {
    fixture = await startLocalDynamoDbFixture();
  });

  afterEach(async () => {
    await fixture.close();
  });

  async function put(item: Record<string, unknown>): Promise<void> {
    await fixture.documents.send(new PutCommand({ TableName, Item: item }));
  }

  async function read(itemKey: { pk: string; sk: string }): Promise<Record<string, unknown> | undefined> {
    const { Item } = await fixture.documents.send(
      new GetCommand({ TableName, Key: itemKey, ConsistentRead: true }),
    );
    return Item;
  }

  async function cancellationOf(send: Promise<unknown>): Promise<TransactionCanceledException> {
    const error = await send.then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    if (!(error instanceof TransactionCanceledException)) {
      throw new Error(`expected a TransactionCanceledException, got ${String(error)}`);
    }
    return error;
  }

  it("applies every action when all conditions hold", async () => {
    // Prepare
    await put({ ...key("stock"), available: 5 });
    await put({ ...key("obsolete"), note: "to delete" });
    await put({ ...key("checked"), version: 1 });

    // Act
    await fixture.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName,
              Item: { ...key("new"), status: "reserved" },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          {
            Update: {
              TableName,
              Key: key("stock"),
              UpdateExpression: "SET available = available - :quantity",
              ConditionExpression: "available >= :quantity",
              ExpressionAttributeValues: { ":quantity": 2 },
            },
          },
          { Delete: { TableName, Key: key("obsolete"), ConditionExpression: "attribute_exists(pk)" } },
          {
            ConditionCheck: {
              TableName,
              Key: key("checked"),
              ConditionExpression: "version = :one",
              ExpressionAttributeValues: { ":one": 1 },
            },
          },
        ],
      }),
    );

    // Assess
    expect(await read(key("new"))).toEqual({ ...key("new"), status: "reserved" });
    expect(await read(key("stock"))).toEqual({ ...key("stock"), available: 3 });
    expect(await read(key("obsolete"))).toBeUndefined();
    expect(await read(key("checked"))).toEqual({ ...key("checked"), version: 1 });
  });

  it("undoes every applied write when a condition fails and reports one reason per action", async () => {
    // Prepare
    await put({ ...key("overwritten"), version: 1 });
    await put({ ...key("plenty"), available: 5 });
    await put({ ...key("short"), available: 1 });
    await put({ ...key("deleted-after-failure"), note: "keep me" });
    const take = (name: string, quantity: number) => ({
      Update: {
        TableName,
        Key: key(name),
        UpdateExpression: "SET available = available - :quantity",
        ConditionExpression: "available >= :quantity",
        ExpressionAttributeValues: { ":quantity": quantity },
        ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
      },
    });

    // Act
    const error = await cancellationOf(
      fixture.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName, Item: { ...key("created"), status: "new" } } },
            { Put: { TableName, Item: { ...key("overwritten"), version: 2 } } },
            take("plenty", 2),
            take("short", 3),
            { Delete: { TableName, Key: key("deleted-after-failure") } },
            take("missing", 1),
          ],
        }),
      ),
    );

    // Assess
    expect(error.message).toBe(
      "Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, None, ConditionalCheckFailed, None, ConditionalCheckFailed]",
    );
    expect(error.CancellationReasons).toEqual([
      { Code: "None" },
      { Code: "None" },
      { Code: "None" },
      {
        Code: "ConditionalCheckFailed",
        Message: "The conditional request failed",
        Item: { pk: { S: "ITEM#short" }, sk: { S: "ITEM" }, available: { N: "1" } },
      },
      { Code: "None" },
      { Code: "ConditionalCheckFailed", Message: "The conditional request failed" },
    ]);
    expect(await read(key("created"))).toBeUndefined();
    expect(await read(key("overwritten"))).toEqual({ ...key("overwritten"), version: 1 });
    expect(await read(key("plenty"))).toEqual({ ...key("plenty"), available: 5 });
    expect(await read(key("short"))).toEqual({ ...key("short"), available: 1 });
    expect(await read(key("deleted-after-failure"))).toEqual({
      ...key("deleted-after-failure"),
      note: "keep me",
    });
    expect(await read(key("missing"))).toBeUndefined();
  });

  it("leaves items unchanged when their ConditionCheck passes", async () => {
    // Prepare
    const checked = {
      ...key("checked"),
      version: 1,
      tags: new Set(["a", "b"]),
      nested: { list: [1, "two"] },
    };
    await put(checked);

    // Act
    await fixture.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { ConditionCheck: { TableName, Key: key("checked"), ConditionExpression: "attribute_exists(pk)" } },
          {
            ConditionCheck: {
              TableName,
              Key: key("absent"),
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          { Put: { TableName, Item: key("written") } },
        ],
      }),
    );

    // Assess
    expect(await read(key("checked"))).toEqual(checked);
    expect(await read(key("absent"))).toBeUndefined();
    expect(await read(key("written"))).toEqual(key("written"));
  });

  it("leaves the item unchanged and returns it when a ConditionCheck with ALL_OLD fails", async () => {
    // Prepare
    await put({ ...key("checked"), version: 1 });

    // Act
    const error = await cancellationOf(
      fixture.documents.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName, Item: key("written") } },
            {
              ConditionCheck: {
                TableName,
                Key: key("checked"),
                ConditionExpression: "version = :two",
                ExpressionAttributeValues: { ":two": 2 },
                ReturnValuesOnConditionCheckFailure: "ALL_OLD",
              },
            },
          ],
        }),
      ),
    );

    // Assess
    expect(error.CancellationReasons?.[1]).toEqual({
      Code: "ConditionalCheckFailed",
      Message: "The conditional request failed",
      Item: { pk: { S: "ITEM#checked" }, sk: { S: "ITEM" }, version: { N: "1" } },
    });
    expect(await read(key("checked"))).toEqual({ ...key("checked"), version: 1 });
    expect(await read(key("written"))).toBeUndefined();
  });

  it("reports a ValidationError reason for an action DynamoDB refuses and undoes the others", async () => {
    // Act
    const error = await cancellationOf(
      fixture.client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            putOf("written"),
            {
              Update: {
                TableName,
                Key: { pk: { S: "ITEM#updated" }, sk: { S: "ITEM" } },
                UpdateExpression: "SET #v = ",
                ExpressionAttributeNames: { "#v": "v" },
              },
            },
          ],
        }),
      ),
    );

    // Assess
    expect(error.CancellationReasons?.map((reason) => reason.Code)).toEqual(["None", "ValidationError"]);
    expect(error.CancellationReasons?.[1]?.Message).toMatch(/^Invalid UpdateExpression: Syntax error/);
    expect(await read(key("written"))).toBeUndefined();
  });

  it("keeps a cancelled transaction's undo from erasing writes made meanwhile to the same item", async () => {
    // Prepare: each cancelled transaction decrements the counter, then fails and restores its old
    // image; without isolation, a restore lands on top of a concurrent successful decrement.
    await put({ ...key("counter"), count: 100 });
    const decrement = {
      Update: {
        TableName,
        Key: key("counter"),
        UpdateExpression: "SET #count = #count - :one",
        ExpressionAttributeNames: { "#count": "count" },
        ExpressionAttributeValues: { ":one": 1 },
      },
    };
    const failing = (index: number) =>
      new TransactWriteCommand({
        TransactItems: [
          decrement,
          {
            ConditionCheck: {
              TableName,
              Key: key(`absent-${index}`),
              ConditionExpression: "attribute_exists(pk)",
            },
          },
        ],
      });
    const succeeding = () => new TransactWriteCommand({ TransactItems: [decrement] });

    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        fixture.documents.send(index % 2 === 0 ? failing(index) : succeeding()),
      ),
    );

    // Assess
    expect(outcomes.filter((outcome) => outcome.status === "fulfilled")).toHaveLength(10);
    expect(await read(key("counter"))).toEqual({ ...key("counter"), count: 90 });
  });

  it("runs the inventory consumer's reservation all-or-nothing, its event included", async () => {
    // Prepare
    const table = { client: fixture.documents, tableName: TableName };
    // The InventoryReserved outbox item of each attempt, here in the same table.
    const announce = (eventId: string) => ({
      Put: {
        TableName,
        Item: { pk: `EVENT#${eventId}`, sk: "OUTBOX" },
        ConditionExpression: "attribute_not_exists(pk)",
      },
    });
    await put({ ...stockKey("A"), available: 5 });
    await put({ ...stockKey("B"), available: 1 });

    // Act
    const unknownSku = await reserveStock(
      table,
      {
        orderId: "O-1",
        causationId: "E-1",
        items: [
          { sku: "A", quantity: 2 },
          { sku: "B", quantity: 3 },
          { sku: "C", quantity: 1 },
        ],
      },
      announce("E-1"),
    );
    const stockAfterRejection = await read(stockKey("A"));
    const reserved = await reserveStock(
      table,
      {
        orderId: "O-2",
        causationId: "E-2",
        items: [
          { sku: "A", quantity: 2 },
          { sku: "B", quantity: 1 },
        ],
      },
      announce("E-2"),
    );
    const retried = await reserveStock(
      table,
      {
        orderId: "O-2",
        causationId: "E-3",
        items: [
          { sku: "A", quantity: 2 },
          { sku: "B", quantity: 1 },
        ],
      },
      announce("E-3"),
    );

    // Assess
    expect(await read({ pk: "EVENT#E-1", sk: "OUTBOX" })).toBeUndefined();
    expect(await read({ pk: "EVENT#E-2", sk: "OUTBOX" })).toBeDefined();
    expect(await read({ pk: "EVENT#E-3", sk: "OUTBOX" })).toBeUndefined();
    expect(unknownSku).toEqual({ status: "rejected", reason: "unknown-sku", skus: ["C"] });
    expect(stockAfterRejection).toEqual({ ...stockKey("A"), available: 5 });
    expect(reserved).toEqual({ status: "reserved", reservationId: "RES-O-2" });
    expect(retried).toEqual({ status: "already-reserved", reservationId: "RES-O-2" });
    expect(await read(stockKey("A"))).toEqual({ ...stockKey("A"), available: 3 });
    expect(await read(stockKey("B"))).toEqual({ ...stockKey("B"), available: 0 });
  });

  describe("refuses, as DynamoDB does, and writes nothing", () => {
    const untouched = putOf("untouched");
    const cases: { name: string; items: TransactWriteItem[]; code: string; message: RegExp }[] = [
      {
        name: "more than 100 actions",
        items: [untouched, ...Array.from({ length: 100 }, (_, index) => putOf(`bulk-${index}`))],
        code: "ValidationException",
        message:
          /^1 validation error detected: .* at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100$/,
      },
      {
        name: "no action",
        items: [],
        code: "ValidationException",
        message: /Member must have length greater than or equal to 1$/,
      },
      {
        name: "two actions on one item",
        items: [
          untouched,
          putOf("twice"),
          { Delete: { TableName, Key: { pk: { S: "ITEM#twice" }, sk: { S: "ITEM" } } } },
        ],
        code: "ValidationException",
        message: /^Transaction request cannot include multiple operations on one item$/,
      },
      {
        name: "an entry with two kinds of action",
        items: [
          untouched,
          { ...putOf("both"), Delete: { TableName, Key: { pk: { S: "ITEM#both" }, sk: { S: "ITEM" } } } },
        ],
        code: "ValidationException",
        message: /^TransactItems can only contain one of Check, Put, Update or Delete$/,
      },
      {
        name: "a ConditionCheck without a condition",
        items: [
          untouched,
          { ConditionCheck: { TableName, Key: { pk: { S: "ITEM#x" }, sk: { S: "ITEM" } } } as never },
        ],
        code: "ValidationException",
        message: /Value null at 'transactItems\.2\.member\.conditionCheck\.conditionExpression'/,
      },
      {
        name: "an unknown ReturnValuesOnConditionCheckFailure",
        items: [
          untouched,
          {
            Put: {
              TableName,
              Item: { pk: { S: "ITEM#x" }, sk: { S: "ITEM" } },
              ReturnValuesOnConditionCheckFailure: "ALL_NEW" as ReturnValuesOnConditionCheckFailure,
            },
          },
        ],
        code: "ValidationException",
        message:
          /Value 'ALL_NEW' at 'transactItems\.2\.member\.put\.returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: \[ALL_OLD, NONE\]/,
      },
      {
        name: "a Put whose item lacks the sort key",
        items: [untouched, { Put: { TableName, Item: { pk: { S: "ITEM#x" } } } }],
        code: "ValidationException",
        message: /^One or more parameter values were invalid: Missing the key sk in the item$/,
      },
      {
        name: "a table that does not exist",
        items: [untouched, { Put: { TableName: "no-such-table", Item: { id: { S: "x" } } } }],
        code: "ResourceNotFoundException",
        message: /^Requested resource not found/,
      },
    ];

    it.each(cases)("$name", async ({ items, code, message }) => {
      // Act
      const error = await fixture.client.send(new TransactWriteItemsCommand({ TransactItems: items })).then(
        () => undefined,
        (rejection: unknown) => rejection as Error,
      );

      // Assess
      expect(error?.name).toBe(code);
      expect(error?.message).toMatch(message);
      expect(await read(key("untouched"))).toBeUndefined();
    });
  });
});
