import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExamplePipeline, startExamplePipeline } from "./support/example-pipeline";

/**
 * Malformed and hostile requests for every operation the edge serves: each must get a 4xx in the
 * AWS shape (`__type` and a message) or a correct 200 answer, never a 500, and the pipeline must
 * answer normally afterwards.
 */

const OPERATIONS: Record<string, { readonly contentType: string; readonly operations: readonly string[] }> = {
  AWSEvents: {
    contentType: "application/x-amz-json-1.1",
    operations: [
      "PutEvents",
      "TestEventPattern",
      "ListEventBuses",
      "ListRules",
      "DescribeRule",
      "ListTargetsByRule",
      "ListArchives",
      "DescribeArchive",
      "StartReplay",
      "DescribeReplay",
      "ListReplays",
      "CancelReplay",
    ],
  },
  AmazonSQS: {
    contentType: "application/x-amz-json-1.0",
    operations: [
      "ListQueues",
      "GetQueueUrl",
      "GetQueueAttributes",
      "SendMessage",
      "SendMessageBatch",
      "ReceiveMessage",
      "DeleteMessage",
      "DeleteMessageBatch",
      "ChangeMessageVisibility",
      "ChangeMessageVisibilityBatch",
      "StartMessageMoveTask",
      "ListMessageMoveTasks",
      "CancelMessageMoveTask",
      "ListDeadLetterSourceQueues",
    ],
  },
  DynamoDB_20120810: {
    contentType: "application/x-amz-json-1.0",
    operations: [
      "GetItem",
      "PutItem",
      "UpdateItem",
      "DeleteItem",
      "Query",
      "Scan",
      "BatchGetItem",
      "BatchWriteItem",
      "TransactWriteItems",
      "TransactGetItems",
      "DescribeTable",
      "ListTables",
      "DescribeTimeToLive",
    ],
  },
  Firehose_20150804: {
    contentType: "application/x-amz-json-1.1",
    operations: ["ListDeliveryStreams", "PutRecord", "PutRecordBatch"],
  },
};

/** Members the served operations read, each given hostile values below. */
const MEMBERS = [
  "Entries",
  "EventBusName",
  "EventPattern",
  "Event",
  "Name",
  "Rule",
  "ArchiveName",
  "ReplayName",
  "EventSourceArn",
  "Destination",
  "QueueName",
  "QueueUrl",
  "MessageBody",
  "ReceiptHandle",
  "MaxNumberOfMessages",
  "VisibilityTimeout",
  "SourceArn",
  "TaskHandle",
  "AttributeNames",
  "MessageAttributes",
  "TableName",
  "Key",
  "Item",
  "ConditionExpression",
  "ExpressionAttributeValues",
  "RequestItems",
  "TransactItems",
  "DeliveryStreamName",
  "Record",
  "Records",
];

const deep = (levels: number) => JSON.parse(`${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`);
const deepList = (levels: number) => JSON.parse(`${"[".repeat(levels)}${"]".repeat(levels)}`);

/** Hostile values for one member. Deep values are built as text: JSON.stringify of them would overflow. */
const HOSTILE_VALUES: readonly string[] = [
  "null",
  "12345678901234567890",
  "true",
  JSON.stringify("\ud800 lone surrogate \u0000 nul \u202e rtl"),
  JSON.stringify("x".repeat(300_000)),
  "[null, 1, {}]",
  `${'{"a":'.repeat(5_000)}1${"}".repeat(5_000)}`,
  `${"[".repeat(5_000)}${"]".repeat(5_000)}`,
];

const RAW_BODIES = ["{", "[]", "null", '"a string"', "1e999", `{"a":${"[".repeat(20_000)}`];

let example: ExamplePipeline;

beforeAll(async () => {
  example = await startExamplePipeline(100);
}, 180_000);

afterAll(async () => {
  await example?.pipeline.stop();
});

interface Answer {
  readonly target: string;
  readonly body: string;
  readonly status: number;
  readonly answer: string;
}

async function send(target: string, contentType: string, body: string): Promise<Answer> {
  const response = await fetch(example.pipeline.endpoint, {
    method: "POST",
    headers: { "content-type": contentType, "x-amz-target": target },
    body,
  });
  return { target, body: body.slice(0, 60), status: response.status, answer: await response.text() };
}

describe("the edge under malformed and hostile requests", () => {
  it("answers every served operation with a 4xx AWS error or a correct answer, never a 500, and stays up", async () => {
    // Prepare
    const requests: { target: string; contentType: string; body: string }[] = [];
    for (const [prefix, { contentType, operations }] of Object.entries(OPERATIONS)) {
      for (const operation of operations) {
        const target = `${prefix}.${operation}`;
        for (const body of RAW_BODIES) requests.push({ target, contentType, body });
        requests.push({ target, contentType, body: "{}" });
        for (const member of MEMBERS) {
          for (const value of HOSTILE_VALUES)
            requests.push({ target, contentType, body: `{"${member}":${value}}` });
        }
      }
    }
    expect(deep(10)).toBeDefined();
    expect(deepList(10)).toBeDefined();

    // Act: a few at a time, as clients would send them.
    const answers: Answer[] = [];
    for (let index = 0; index < requests.length; index += 16) {
      const slice = requests.slice(index, index + 16);
      answers.push(...(await Promise.all(slice.map((r) => send(r.target, r.contentType, r.body)))));
    }
    const stillUp = await example.clients.eventBridge.send(
      new (await import("@aws-sdk/client-eventbridge")).ListEventBusesCommand({}),
    );

    // Assess
    const serverErrors = answers.filter((a) => a.status >= 500);
    expect(serverErrors.map((a) => `${a.target} ${a.body} -> ${a.status} ${a.answer.slice(0, 200)}`)).toEqual(
      [],
    );
    const errorsWithoutShape = answers.filter((a) => {
      if (a.status === 200) return false;
      const parsed = JSON.parse(a.answer) as { __type?: unknown; message?: unknown };
      return typeof parsed.__type !== "string" || typeof parsed.message !== "string";
    });
    expect(errorsWithoutShape.map((a) => `${a.target} ${a.body} -> ${a.answer.slice(0, 200)}`)).toEqual([]);
    expect(answers.length).toBe(requests.length);
    expect(stillUp.EventBuses?.map((bus) => bus.Name)).toContain("eventrail");
  }, 600_000);
});
