import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import {
  type LocalDynamoDb,
  type LocalDynamoDbOptions,
  startLocalDynamoDb,
} from "../../../lib/local/dynamodb";
import { EdgeServer } from "../../../lib/local/edge-server";
import type { LocalTableDefinition } from "../../../lib/local/model";

/** A consumer state table as the template declares it: `pk` and `sk`, both strings. */
export const STATE_TABLE: LocalTableDefinition = {
  logicalId: "InventoryStateTable",
  name: "eventrail-inventory-state",
  arn: "arn:aws:dynamodb:us-east-1:000000000000:table/eventrail-inventory-state",
  keySchema: [
    { AttributeName: "pk", KeyType: "HASH" },
    { AttributeName: "sk", KeyType: "RANGE" },
  ],
  attributeDefinitions: [
    { AttributeName: "pk", AttributeType: "S" },
    { AttributeName: "sk", AttributeType: "S" },
  ],
};

/** A Powertools idempotency table: partition key `id`, TTL on `expiration`. */
export const IDEMPOTENCY_TABLE: LocalTableDefinition = {
  logicalId: "IdempotencyTable",
  name: "eventrail-idempotency",
  arn: "arn:aws:dynamodb:us-east-1:000000000000:table/eventrail-idempotency",
  keySchema: [{ AttributeName: "id", KeyType: "HASH" }],
  attributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
  timeToLiveAttribute: "expiration",
};

/** An outbox table as EventOutbox declares it: partition key `pk`, a NEW_IMAGE stream, TTL on `expiresAt`. */
export const OUTBOX_TABLE: LocalTableDefinition = {
  logicalId: "OutboxTable",
  name: "eventrail-outbox",
  arn: "arn:aws:dynamodb:us-east-1:000000000000:table/eventrail-outbox",
  keySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  attributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
  timeToLiveAttribute: "expiresAt",
  stream: {
    viewType: "NEW_IMAGE",
    arn: "arn:aws:dynamodb:us-east-1:000000000000:table/eventrail-outbox/stream/1970-01-01T00:00:00.000",
    label: "1970-01-01T00:00:00.000",
  },
};

/** The local DynamoDB behind the real edge, and SDK clients pointed at the edge. */
export interface LocalDynamoDbFixture {
  readonly dynamoDb: LocalDynamoDb;
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  readonly documents: DynamoDBDocumentClient;
  close(): Promise<void>;
}

/**
 * Starts the local DynamoDB with the two tables above (in memory unless `stateDir` is given),
 * mounts it on an {@link EdgeServer} on 127.0.0.1:0 and points a DynamoDB client at it. The sweep
 * timer is off: tests sweep when they choose.
 */
export async function startLocalDynamoDbFixture(
  options: Partial<LocalDynamoDbOptions> = {},
): Promise<LocalDynamoDbFixture> {
  const dynamoDb = await startLocalDynamoDb({
    tables: [STATE_TABLE, IDEMPOTENCY_TABLE],
    timeToLiveSweepIntervalMs: 0,
    ...options,
  });
  const edge = new EdgeServer({
    routes: [
      {
        targetPrefix: "DynamoDB_20120810",
        contentType: "application/x-amz-json-1.0",
        service: dynamoDb.service,
      },
      {
        targetPrefix: "DynamoDBStreams_20120810",
        contentType: "application/x-amz-json-1.0",
        service: dynamoDb.streamsService,
      },
    ],
  });
  const endpoint = await edge.listen(0);
  const client = new DynamoDBClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    // An answer is final: a retry would hide what the local DynamoDB said the first time.
    maxAttempts: 1,
  });
  return {
    dynamoDb,
    endpoint,
    client,
    documents: DynamoDBDocumentClient.from(client),
    async close() {
      client.destroy();
      await edge.close();
      await dynamoDb.close();
    },
  };
}
