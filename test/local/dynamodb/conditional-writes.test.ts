import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyItemAlreadyExistsError,
  makeIdempotent,
} from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  type ReturnValuesOnConditionCheckFailure,
  UpdateItemCommand,
} from "@aws-sdk/client-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { lambdaContext } from "../../lambdas/support/events";
import {
  IDEMPOTENCY_TABLE,
  type LocalDynamoDbFixture,
  STATE_TABLE,
  startLocalDynamoDbFixture,
} from "./local-dynamodb-fixture";

const TableName = STATE_TABLE.name;
const KEY = { pk: { S: "ORDER#1" }, sk: { S: "PAYMENT" } };
const STORED = { ...KEY, status: { S: "processed" }, amount: { N: "1250" } };

/** The three single-item writes, each with a condition that fails on {@link STORED}. */
const failingWrites = [
  {
    operation: "PutItem",
    write: (client: DynamoDBClient, returnValues?: ReturnValuesOnConditionCheckFailure) =>
      client.send(
        new PutItemCommand({
          TableName,
          Item: { ...KEY, status: { S: "declined" } },
          ConditionExpression: "attribute_not_exists(pk)",
          ReturnValuesOnConditionCheckFailure: returnValues,
        }),
      ),
  },
  {
    operation: "UpdateItem",
    write: (client: DynamoDBClient, returnValues?: ReturnValuesOnConditionCheckFailure) =>
      client.send(
        new UpdateItemCommand({
          TableName,
          Key: KEY,
          UpdateExpression: "SET #status = :declined",
          ConditionExpression: "#status = :pending",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ":declined": { S: "declined" }, ":pending": { S: "pending" } },
          ReturnValuesOnConditionCheckFailure: returnValues,
        }),
      ),
  },
  {
    operation: "DeleteItem",
    write: (client: DynamoDBClient, returnValues?: ReturnValuesOnConditionCheckFailure) =>
      client.send(
        new DeleteItemCommand({
          TableName,
          Key: KEY,
          ConditionExpression: "attribute_not_exists(pk)",
          ReturnValuesOnConditionCheckFailure: returnValues,
        }),
      ),
  },
] as const;

async function rejectionOf(send: Promise<unknown>): Promise<unknown> {
  return send.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("conditional writes on the local DynamoDB", () => {
  let fixture: LocalDynamoDbFixture;

  beforeEach(async () => {
    fixture = await startLocalDynamoDbFixture();
    await fixture.client.send(new PutItemCommand({ TableName, Item: STORED }));
  });

  afterEach(async () => {
    await fixture.close();
  });

  describe.each(failingWrites)("$operation", ({ write }) => {
    it("returns the existing item with ConditionalCheckFailedException when ALL_OLD is asked", async () => {
      // Act
      const error = await rejectionOf(write(fixture.client, "ALL_OLD"));

      // Assess
      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect((error as ConditionalCheckFailedException).message).toBe("The conditional request failed");
      expect((error as ConditionalCheckFailedException).Item).toEqual(STORED);
    });

    it("returns no item when ALL_OLD is not asked", async () => {
      // Act
      const error = await rejectionOf(write(fixture.client, "NONE"));

      // Assess
      expect(error).toBeInstanceOf(ConditionalCheckFailedException);
      expect((error as ConditionalCheckFailedException).Item).toBeUndefined();
    });
  });

  it("returns no item with ALL_OLD when the condition failed on an item that does not exist", async () => {
    // Act
    const error = await rejectionOf(
      fixture.client.send(
        new PutItemCommand({
          TableName,
          Item: { pk: { S: "ORDER#2" }, sk: { S: "PAYMENT" } },
          ConditionExpression: "attribute_exists(pk)",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      ),
    );

    // Assess
    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item).toBeUndefined();
  });

  it("refuses an unknown ReturnValuesOnConditionCheckFailure, which dynalite would ignore", async () => {
    // Act
    const error = await rejectionOf(
      failingWrites[0].write(fixture.client, "ALL_NEW" as ReturnValuesOnConditionCheckFailure),
    );

    // Assess
    expect(error).toMatchObject({
      name: "ValidationException",
      message:
        "1 validation error detected: Value 'ALL_NEW' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]",
    });
  });
});

describe("Powertools idempotency on the local DynamoDB", () => {
  let fixture: LocalDynamoDbFixture;
  let persistenceStore: DynamoDBPersistenceLayer;
  let config: IdempotencyConfig;

  beforeEach(async () => {
    fixture = await startLocalDynamoDbFixture();
    persistenceStore = new DynamoDBPersistenceLayer({
      tableName: IDEMPOTENCY_TABLE.name,
      awsSdkV3Client: fixture.client,
    });
    // The remaining time bounds an in-progress record, as it does in Lambda.
    config = new IdempotencyConfig({});
    config.registerLambdaContext(lambdaContext());
  });

  afterEach(async () => {
    await fixture.close();
  });

  it("tells a completed record from the failed in-progress put alone, through ALL_OLD", async () => {
    // Prepare
    persistenceStore.configure({ config, keyPrefix: "charge" });
    const payload = { orderId: "O-1" };
    await persistenceStore.saveInProgress(payload, 60_000);
    await persistenceStore.saveSuccess(payload, { paymentId: "PAY-O-1" });

    // Act
    const error = await rejectionOf(persistenceStore.saveInProgress(payload, 60_000));

    // Assess
    expect(error).toBeInstanceOf(IdempotencyItemAlreadyExistsError);
    const existing = (error as IdempotencyItemAlreadyExistsError).existingRecord;
    expect(existing?.getStatus()).toBe("COMPLETED");
    expect(existing?.responseData).toEqual({ paymentId: "PAY-O-1" });
  });

  it("runs an idempotent function once and answers a repeat with the stored result", async () => {
    // Prepare
    let executions = 0;
    const charge = makeIdempotent(
      async (order: { orderId: string }) => {
        executions++;
        return { paymentId: `PAY-${order.orderId}`, execution: executions };
      },
      { persistenceStore, config },
    );

    // Act
    const first = await charge({ orderId: "O-7" });
    const repeat = await charge({ orderId: "O-7" });

    // Assess
    expect(executions).toBe(1);
    expect(repeat).toEqual(first);
  });

  it("refuses a repeat while the first call is still in progress", async () => {
    // Prepare
    let started!: () => void;
    let finish!: () => void;
    const inProgress = new Promise<void>((resolve) => {
      started = resolve;
    });
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const charge = makeIdempotent(
      async (order: { orderId: string }) => {
        started();
        await finished;
        return { paymentId: `PAY-${order.orderId}` };
      },
      { persistenceStore, config },
    );
    const first = charge({ orderId: "O-8" });
    await inProgress;

    // Act
    const error = await rejectionOf(charge({ orderId: "O-8" }));
    finish();

    // Assess
    expect(error).toBeInstanceOf(IdempotencyAlreadyInProgressError);
    await expect(first).resolves.toEqual({ paymentId: "PAY-O-8" });
  });
});
