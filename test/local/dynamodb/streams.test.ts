import { appendFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from "@aws-sdk/client-dynamodb";
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
} from "@aws-sdk/client-dynamodb-streams";
import { DeleteCommand, PutCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../lib/local/clock";
import {
  type LocalDynamoDbFixture,
  OUTBOX_TABLE,
  STATE_TABLE,
  startLocalDynamoDbFixture,
} from "./local-dynamodb-fixture";

/**
 * DynamoDB Streams of the local tables, read with the AWS SDK's DynamoDB Streams client through the
 * edge: a record per change in commit order, with DynamoDB's event names and images, none for a
 * cancelled transaction, and the records kept across a restart.
 */

let fixture: LocalDynamoDbFixture | undefined;
const tables = [STATE_TABLE, OUTBOX_TABLE];

afterEach(async () => {
  await fixture?.close();
  fixture = undefined;
});

function streamsClient(endpoint: string): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
    maxAttempts: 1,
  });
}

async function readAll(endpoint: string): Promise<_Record[]> {
  const client = streamsClient(endpoint);
  const description = await client.send(new DescribeStreamCommand({ StreamArn: OUTBOX_TABLE.stream?.arn }));
  const shardId = description.StreamDescription?.Shards?.[0]?.ShardId;
  const iterator = await client.send(
    new GetShardIteratorCommand({
      StreamArn: OUTBOX_TABLE.stream?.arn,
      ShardId: shardId,
      ShardIteratorType: "TRIM_HORIZON",
    }),
  );
  const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator.ShardIterator }));
  return page.Records ?? [];
}

describe("local DynamoDB Streams", () => {
  it("lists the stream and describes it with one open shard; DescribeTable names it", async () => {
    fixture = await startLocalDynamoDbFixture({ tables });
    const client = streamsClient(fixture.endpoint);
    const listed = await client.send(new ListStreamsCommand({}));
    expect(listed.Streams).toEqual([
      {
        StreamArn: OUTBOX_TABLE.stream?.arn,
        TableName: OUTBOX_TABLE.name,
        StreamLabel: OUTBOX_TABLE.stream?.label,
      },
    ]);
    const described = await client.send(new DescribeStreamCommand({ StreamArn: OUTBOX_TABLE.stream?.arn }));
    expect(described.StreamDescription).toMatchObject({
      StreamStatus: "ENABLED",
      StreamViewType: "NEW_IMAGE",
      TableName: OUTBOX_TABLE.name,
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
    });
    expect(described.StreamDescription?.Shards).toHaveLength(1);
    const table = await fixture.client.send(new DescribeTableCommand({ TableName: OUTBOX_TABLE.name }));
    expect(table.Table?.LatestStreamArn).toBe(OUTBOX_TABLE.stream?.arn);
    expect(table.Table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: "NEW_IMAGE" });
  });

  it("records INSERT, MODIFY and REMOVE in commit order, nothing for a write that changes nothing", async () => {
    fixture = await startLocalDynamoDbFixture({ tables });
    const { documents } = fixture;
    await documents.send(new PutCommand({ TableName: OUTBOX_TABLE.name, Item: { pk: "a", n: 1 } }));
    await documents.send(new PutCommand({ TableName: OUTBOX_TABLE.name, Item: { pk: "a", n: 1 } }));
    await documents.send(
      new UpdateCommand({
        TableName: OUTBOX_TABLE.name,
        Key: { pk: "a" },
        UpdateExpression: "SET n = :n",
        ExpressionAttributeValues: { ":n": 2 },
      }),
    );
    await documents.send(new DeleteCommand({ TableName: OUTBOX_TABLE.name, Key: { pk: "a" } }));
    const records = await readAll(fixture.endpoint);
    expect(records.map((r) => r.eventName)).toEqual(["INSERT", "MODIFY", "REMOVE"]);
    expect(records[0]?.dynamodb?.NewImage).toEqual({ pk: { S: "a" }, n: { N: "1" } });
    expect(records[1]?.dynamodb?.NewImage).toEqual({ pk: { S: "a" }, n: { N: "2" } });
    expect(records[2]?.dynamodb?.NewImage).toBeUndefined();
    const sequence = records.map((r) => BigInt(r.dynamodb?.SequenceNumber ?? "0"));
    expect([...sequence].sort((x, y) => (x < y ? -1 : 1))).toEqual(sequence);
  });

  it("records a transaction's outbox item only when it commits", async () => {
    fixture = await startLocalDynamoDbFixture({ tables });
    const { documents } = fixture;
    const transaction = (orderId: string) =>
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: STATE_TABLE.name,
              Item: { pk: `ORDER#${orderId}`, sk: "STATE" },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          { Put: { TableName: OUTBOX_TABLE.name, Item: { pk: `EVENT#${orderId}` } } },
        ],
      });
    await documents.send(transaction("1"));
    await expect(documents.send(transaction("1"))).rejects.toThrow(/Transaction cancelled/);
    const records = await readAll(fixture.endpoint);
    expect(records.map((r) => [r.eventName, r.dynamodb?.Keys?.pk?.S])).toEqual([["INSERT", "EVENT#1"]]);
  });

  it("keeps the records across a restart and goes on numbering after them", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-streams-"));
    fixture = await startLocalDynamoDbFixture({ tables, stateDir });
    await fixture.documents.send(new PutCommand({ TableName: OUTBOX_TABLE.name, Item: { pk: "before" } }));
    await fixture.close();
    fixture = await startLocalDynamoDbFixture({ tables, stateDir });
    await fixture.documents.send(new PutCommand({ TableName: OUTBOX_TABLE.name, Item: { pk: "after" } }));
    const records = await readAll(fixture.endpoint);
    expect(records.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(["before", "after"]);
  });

  it("rolls back, at the next start, a write group a crash left between its begin and its commit", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-rollback-"));
    fixture = await startLocalDynamoDbFixture({ tables, stateDir });
    const key = { pk: { S: "ORDER#1" }, sk: { S: "STATE" } };
    await fixture.documents.send(
      new PutCommand({ TableName: STATE_TABLE.name, Item: { pk: "ORDER#1", sk: "STATE", v: 1 } }),
    );
    // What a crash leaves: the group's begin logged, one of its writes applied, no commit.
    const raw = new DynamoDBClient({
      endpoint: `http://127.0.0.1:${fixture.dynamoDb.port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    await raw.send(new PutItemCommand({ TableName: STATE_TABLE.name, Item: { ...key, v: { N: "2" } } }));
    raw.destroy();
    await fixture.close();
    fixture = undefined;
    await appendFile(
      path.join(stateDir, "dynamodb", "changes.log"),
      `${JSON.stringify({ op: "begin", id: 99, undo: [{ table: STATE_TABLE.name, key, item: { ...key, v: { N: "1" } } }] })}\n`,
    );
    const lines: string[] = [];
    fixture = await startLocalDynamoDbFixture({ tables, stateDir, log: (line) => lines.push(line) });
    const item = await fixture.client.send(new GetItemCommand({ TableName: STATE_TABLE.name, Key: key }));
    expect(item.Item?.v).toEqual({ N: "1" });
    expect(lines.join("\n")).toMatch(/rolled back 1 write group/);
  });

  it("starts LATEST after the newest record, expires iterators after 15 minutes and trims records after 24 hours", async () => {
    const clock = new ManualClock();
    fixture = await startLocalDynamoDbFixture({ tables, clock });
    const client = streamsClient(fixture.endpoint);
    const StreamArn = OUTBOX_TABLE.stream?.arn;
    const ShardId = (await client.send(new DescribeStreamCommand({ StreamArn }))).StreamDescription
      ?.Shards?.[0]?.ShardId;
    await fixture.documents.send(new PutCommand({ TableName: OUTBOX_TABLE.name, Item: { pk: "old" } }));
    const latest = await client.send(
      new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: "LATEST" }),
    );
    await fixture.documents.send(new PutCommand({ TableName: OUTBOX_TABLE.name, Item: { pk: "new" } }));
    const page = await client.send(new GetRecordsCommand({ ShardIterator: latest.ShardIterator }));
    expect(page.Records?.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(["new"]);

    await clock.advance(16 * 60_000);
    await expect(
      client.send(new GetRecordsCommand({ ShardIterator: page.NextShardIterator })),
    ).rejects.toMatchObject({
      name: "ExpiredIteratorException",
    });

    await clock.advance(25 * 3_600_000);
    // A write after a day trims what is older than 24 hours: an iterator from before now points at trimmed records.
    await fixture.documents.send(new PutCommand({ TableName: OUTBOX_TABLE.name, Item: { pk: "later" } }));
    const fresh = await client.send(
      new GetShardIteratorCommand({ StreamArn, ShardId, ShardIteratorType: "TRIM_HORIZON" }),
    );
    const kept = await client.send(new GetRecordsCommand({ ShardIterator: fresh.ShardIterator }));
    expect(kept.Records?.map((r) => r.dynamodb?.Keys?.pk?.S)).toEqual(["later"]);
    const firstOld = page.Records?.[0]?.dynamodb?.SequenceNumber;
    await expect(
      client.send(
        new GetShardIteratorCommand({
          StreamArn,
          ShardId,
          ShardIteratorType: "AT_SEQUENCE_NUMBER",
          SequenceNumber: firstOld,
        }),
      ),
    ).rejects.toMatchObject({ name: "TrimmedDataAccessException" });
  });

  it("answers an unknown stream and a bad iterator as DynamoDB Streams does", async () => {
    fixture = await startLocalDynamoDbFixture({ tables });
    const client = streamsClient(fixture.endpoint);
    await expect(
      client.send(new DescribeStreamCommand({ StreamArn: `${OUTBOX_TABLE.arn}x/stream/1` })),
    ).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(
      client.send(new GetRecordsCommand({ ShardIterator: "not-an-iterator" })),
    ).rejects.toMatchObject({
      name: "ValidationException",
    });
  });
});
