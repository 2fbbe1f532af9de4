import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DescribeTimeToLiveCommand, UpdateTimeToLiveCommand } from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AwsServiceError } from "../../../lib/local/aws-error";
import {
  LocalDynamoDbStateError,
  LocalDynamoDbTableError,
  startLocalDynamoDb,
} from "../../../lib/local/dynamodb";
import {
  IDEMPOTENCY_TABLE,
  type LocalDynamoDbFixture,
  STATE_TABLE,
  startLocalDynamoDbFixture,
} from "./local-dynamodb-fixture";

const ITEM = { pk: "ORDER#1", sk: "RESERVATION", status: "reserved" };

async function rejectionOf(send: Promise<unknown>): Promise<unknown> {
  return send.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe("startLocalDynamoDb with a state folder", () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "eventrail-dynamodb-"));
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("keeps items and TTL settings across a restart", async () => {
    // Prepare
    const first = await startLocalDynamoDbFixture({ stateDir });
    await first.documents.send(new PutCommand({ TableName: STATE_TABLE.name, Item: ITEM }));
    await first.client.send(
      new UpdateTimeToLiveCommand({
        TableName: STATE_TABLE.name,
        TimeToLiveSpecification: { Enabled: true, AttributeName: "expiresAt" },
      }),
    );
    await first.close();

    // Act
    const second = await startLocalDynamoDbFixture({ stateDir });
    try {
      const { Item } = await second.documents.send(
        new GetCommand({
          TableName: STATE_TABLE.name,
          Key: { pk: ITEM.pk, sk: ITEM.sk },
          ConsistentRead: true,
        }),
      );
      const stateTtl = await second.client.send(
        new DescribeTimeToLiveCommand({ TableName: STATE_TABLE.name }),
      );
      const idempotencyTtl = await second.client.send(
        new DescribeTimeToLiveCommand({ TableName: IDEMPOTENCY_TABLE.name }),
      );

      // Assess
      expect(Item).toEqual(ITEM);
      expect(stateTtl.TimeToLiveDescription).toEqual({
        TimeToLiveStatus: "ENABLED",
        AttributeName: "expiresAt",
      });
      expect(idempotencyTtl.TimeToLiveDescription).toEqual({
        TimeToLiveStatus: "ENABLED",
        AttributeName: "expiration",
      });
    } finally {
      await second.close();
    }
  });

  it("refuses a second local DynamoDB on the same state folder, which would crash dynalite", async () => {
    // Prepare
    const first = await startLocalDynamoDb({ stateDir, tables: [STATE_TABLE], timeToLiveSweepIntervalMs: 0 });

    // Act
    const error = await rejectionOf(
      startLocalDynamoDb({ stateDir, tables: [STATE_TABLE], timeToLiveSweepIntervalMs: 0 }),
    );
    await first.close();

    // Assess
    expect(error).toBeInstanceOf(LocalDynamoDbStateError);
    expect((error as LocalDynamoDbStateError).message).toContain(
      `is in use by process ${process.pid} (this one)`,
    );
  });

  it("refuses to start when a kept table has another key than the template declares", async () => {
    // Prepare
    const first = await startLocalDynamoDb({ stateDir, tables: [STATE_TABLE], timeToLiveSweepIntervalMs: 0 });
    await first.close();
    const rekeyed = {
      ...STATE_TABLE,
      keySchema: [{ AttributeName: "id", KeyType: "HASH" as const }],
      attributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
    };

    // Act
    const error = await rejectionOf(
      startLocalDynamoDb({ stateDir, tables: [rekeyed], timeToLiveSweepIntervalMs: 0 }),
    );

    // Assess
    expect(error).toBeInstanceOf(LocalDynamoDbTableError);
    expect((error as LocalDynamoDbTableError).message).toContain(
      "has the key pk (HASH, S), sk (RANGE, S), but the template declares id (HASH, S)",
    );
  });
});

describe("the local DynamoDB service", () => {
  let fixture: LocalDynamoDbFixture;

  beforeEach(async () => {
    fixture = await startLocalDynamoDbFixture();
  });

  afterEach(async () => {
    await fixture.close();
  });

  it.each([
    {
      name: "a missing table",
      operation: "GetItem",
      input: { TableName: "no-such-table", Key: { id: { S: "x" } } },
      code: "ResourceNotFoundException",
      message: /^Requested resource not found/,
    },
    {
      name: "an item without its sort key",
      operation: "PutItem",
      input: { TableName: STATE_TABLE.name, Item: { pk: { S: "x" } } },
      code: "ValidationException",
      message: /^One or more parameter values were invalid: Missing the key sk in the item$/,
    },
    {
      name: "an operation dynalite lacks",
      operation: "ExecuteStatement",
      input: { Statement: `SELECT * FROM "${STATE_TABLE.name}"` },
      code: "UnknownOperationException",
      message: /does not implement ExecuteStatement/,
    },
  ])("answers $name with DynamoDB's short error code", async ({ operation, input, code, message }) => {
    // Act
    const error = await rejectionOf(fixture.dynamoDb.service(operation, input));

    // Assess
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ code, statusCode: 400 });
    expect((error as AwsServiceError).message).toMatch(message);
  });

  it("serves the operations dynalite implements, through the edge", async () => {
    // Prepare
    await fixture.documents.send(new PutCommand({ TableName: STATE_TABLE.name, Item: ITEM }));

    // Act
    const { Item } = await fixture.documents.send(
      new GetCommand({ TableName: STATE_TABLE.name, Key: { pk: ITEM.pk, sk: ITEM.sk } }),
    );

    // Assess
    expect(Item).toEqual(ITEM);
  });
});

describe("the time-to-live sweeper", () => {
  it("deletes expired items in the background and logs how many", async () => {
    // Prepare
    const log = vi.fn<(line: string) => void>();
    const fixture = await startLocalDynamoDbFixture({ timeToLiveSweepIntervalMs: 10, log });
    try {
      await fixture.documents.send(
        new PutCommand({
          TableName: IDEMPOTENCY_TABLE.name,
          Item: { id: "expired", expiration: 1_700_000_000 },
        }),
      );

      // Act
      await vi.waitFor(() => expect(log).toHaveBeenCalled(), { timeout: 5_000 });

      // Assess
      const { Item } = await fixture.documents.send(
        new GetCommand({ TableName: IDEMPOTENCY_TABLE.name, Key: { id: "expired" } }),
      );
      expect(Item).toBeUndefined();
      expect(log).toHaveBeenCalledWith("dynamodb: time to live deleted 1 expired item(s)");
    } finally {
      await fixture.close();
    }
  });
});
