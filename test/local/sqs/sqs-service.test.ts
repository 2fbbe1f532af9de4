import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { promisify } from "node:util";
import {
  BatchEntryIdsNotDistinct,
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  EmptyBatchRequest,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  InvalidBatchEntryId,
  InvalidMessageContents,
  ListMessageMoveTasksCommand,
  ListQueuesCommand,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  TooManyEntriesInBatchRequest,
  UnsupportedOperation,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { md5OfMessageAttributes } from "../../../lib/local/sqs/md5";
import { localQueueArn, localQueueUrl, QueueStore } from "../../../lib/local/sqs/queue-store";
import { createSqsService } from "../../../lib/local/sqs/sqs-service";
import { type JsonProtocolServer, startJsonProtocolServer } from "./json-protocol-server";
import { ACCOUNT_ID, REGION } from "./queue-fixtures";

const run = promisify(execFile);

describe("the SQS JSON 1.0 protocol, driven by the AWS SDK", () => {
  let server: JsonProtocolServer;
  let store: QueueStore;
  let sqs: SQSClient;
  let ordersUrl: string;
  let dlqArn: string;

  beforeAll(async () => {
    server = await startJsonProtocolServer();
    sqs = new SQSClient({
      endpoint: server.endpoint,
      region: REGION,
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
    });
  });

  beforeEach(async () => {
    await store?.close();
    const define = (name: string, extra = {}) => ({
      name,
      arn: localQueueArn(REGION, ACCOUNT_ID, name),
      url: localQueueUrl(server.endpoint, ACCOUNT_ID, name),
      ...extra,
    });
    dlqArn = localQueueArn(REGION, ACCOUNT_ID, "orders-dlq");
    store = await QueueStore.open({
      queues: [
        define("orders", {
          visibilityTimeoutSeconds: 30,
          redrive: { deadLetterTargetArn: dlqArn, maxReceiveCount: 3 },
          kmsMasterKeyId: "alias/eventrail",
        }),
        define("orders-dlq"),
        define("payments"),
      ],
    });
    server.serve(
      createSqsService(store, { accountId: ACCOUNT_ID, region: REGION, endpoint: server.endpoint }),
    );
    ordersUrl = localQueueUrl(server.endpoint, ACCOUNT_ID, "orders");
  });

  afterAll(async () => {
    sqs.destroy();
    await store.close();
    await server.close();
  });

  it("sends and receives a message with attributes, the SDK's MD5 checks passing", async () => {
    const attributes = {
      tenant: { DataType: "String", StringValue: "acme" },
      amount: { DataType: "Number", StringValue: "12.50" },
      blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 255, 7]) },
    };

    const sent = await sqs.send(
      new SendMessageCommand({
        QueueUrl: ordersUrl,
        MessageBody: '{"orderId":"o-1"}',
        MessageAttributes: attributes,
      }),
    );
    const received = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: ordersUrl,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SenderId"],
      }),
    );

    const [message] = received.Messages ?? [];
    expect(message).toMatchObject({
      MessageId: sent.MessageId,
      Body: '{"orderId":"o-1"}',
      Attributes: { ApproximateReceiveCount: "1", SenderId: ACCOUNT_ID },
      MD5OfMessageAttributes: sent.MD5OfMessageAttributes,
    });
    expect(message?.MessageAttributes?.blob?.BinaryValue).toEqual(new Uint8Array([0, 255, 7]));
    expect(sent.MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes({
        tenant: { DataType: "String", StringValue: "acme" },
        amount: { DataType: "Number", StringValue: "12.50" },
        blob: { DataType: "Binary", BinaryValue: Buffer.from([0, 255, 7]).toString("base64") },
      }),
    );
  });

  it("returns only the requested message attributes, with the MD5 of those", async () => {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: ordersUrl,
        MessageBody: "x",
        MessageAttributes: {
          "trace.id": { DataType: "String", StringValue: "t-1" },
          "trace.span": { DataType: "String", StringValue: "s-1" },
          other: { DataType: "String", StringValue: "o" },
        },
      }),
    );

    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: ordersUrl, MessageAttributeNames: ["trace.*"] }),
    );

    const [message] = Messages ?? [];
    expect(Object.keys(message?.MessageAttributes ?? {}).sort()).toEqual(["trace.id", "trace.span"]);
    expect(message?.MD5OfMessageAttributes).toBe(
      md5OfMessageAttributes({
        "trace.id": { DataType: "String", StringValue: "t-1" },
        "trace.span": { DataType: "String", StringValue: "s-1" },
      }),
    );
    expect(message?.Attributes).toBeUndefined();
  });

  it("answers an empty receive with no Messages", async () => {
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: ordersUrl }));

    expect(received.Messages).toBeUndefined();
  });

  it("sends a batch, reporting an invalid entry in Failed and sending the others", async () => {
    const result = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: ordersUrl,
        Entries: [
          { Id: "good-1", MessageBody: "one" },
          { Id: "bad", MessageBody: "nul \u0000 inside" },
          { Id: "good-2", MessageBody: "two", DelaySeconds: 5 },
        ],
      }),
    );

    expect(result.Successful?.map((entry) => entry.Id)).toEqual(["good-1", "good-2"]);
    expect(result.Failed).toEqual([
      expect.objectContaining({ Id: "bad", Code: "InvalidMessageContents", SenderFault: true }),
    ]);
    expect(store.queue("orders")?.counts()).toEqual({ visible: 1, inFlight: 0, delayed: 1 });
  });

  it("deletes a batch, reporting a receipt handle it did not issue in Failed", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: ordersUrl, MessageBody: "to delete" }));
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: ordersUrl }));
    const handle = Messages?.[0]?.ReceiptHandle;

    const result = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: ordersUrl,
        Entries: [
          { Id: "a", ReceiptHandle: handle },
          { Id: "b", ReceiptHandle: "forged" },
        ],
      }),
    );

    expect(result.Successful).toEqual([{ Id: "a" }]);
    expect(result.Failed).toEqual([expect.objectContaining({ Id: "b", Code: "ReceiptHandleIsInvalid" })]);
    expect(store.queue("orders")?.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  it("makes a message visible again with ChangeMessageVisibility 0", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: ordersUrl, MessageBody: "again" }));
    const first = await sqs.send(new ReceiveMessageCommand({ QueueUrl: ordersUrl }));

    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: ordersUrl,
        ReceiptHandle: first.Messages?.[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const second = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: ordersUrl, AttributeNames: ["All"] }),
    );

    expect(second.Messages?.[0]?.Attributes?.ApproximateReceiveCount).toBe("2");
  });

  it("resolves queue URLs, lists queues by prefix with pagination, and reports queue attributes", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: ordersUrl, MessageBody: "counted" }));

    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: "orders" }));
    const firstPage = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: "orders", MaxResults: 1 }));
    const secondPage = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: "orders", MaxResults: 1, NextToken: firstPage.NextToken }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }),
    );

    expect(QueueUrl).toBe(ordersUrl);
    expect([...(firstPage.QueueUrls ?? []), ...(secondPage.QueueUrls ?? [])]).toEqual([
      ordersUrl,
      localQueueUrl(server.endpoint, ACCOUNT_ID, "orders-dlq"),
    ]);
    expect(secondPage.NextToken).toBeUndefined();
    expect(Attributes).toMatchObject({
      QueueArn: localQueueArn(REGION, ACCOUNT_ID, "orders"),
      ApproximateNumberOfMessages: "1",
      VisibilityTimeout: "30",
      MaximumMessageSize: "1048576",
      KmsMasterKeyId: "alias/eventrail",
      SqsManagedSseEnabled: "false",
    });
    expect(JSON.parse(Attributes?.RedrivePolicy ?? "{}")).toEqual({
      deadLetterTargetArn: dlqArn,
      maxReceiveCount: 3,
    });
  });

  it("purges a queue", async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: ordersUrl, MessageBody: "gone" }));

    await sqs.send(new PurgeQueueCommand({ QueueUrl: ordersUrl }));

    expect(store.queue("orders")?.counts().visible).toBe(0);
  });

  it("starts a message move task and lists it", async () => {
    await store.queue("orders-dlq")?.send({ body: "dead" });
    const payments = localQueueArn(REGION, ACCOUNT_ID, "payments");

    const { TaskHandle } = await sqs.send(
      new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: payments }),
    );
    const listed = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn, MaxResults: 10 }));

    expect(JSON.parse(Buffer.from(TaskHandle ?? "", "base64").toString("utf8"))).toMatchObject({
      sourceArn: dlqArn,
    });
    expect(listed.Results?.[0]).toMatchObject({
      SourceArn: dlqArn,
      DestinationArn: payments,
      ApproximateNumberOfMessagesToMove: 1,
    });
  });

  describe("errors, as the SDK's typed exceptions", () => {
    const unknownUrl = () => localQueueUrl(server.endpoint, ACCOUNT_ID, "nope");
    const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: "x" }));

    it.each([
      [
        "GetQueueUrl of an unknown queue",
        () => sqs.send(new GetQueueUrlCommand({ QueueName: "nope" })),
        QueueDoesNotExist,
      ],
      [
        "SendMessage to an unknown queue URL",
        () => sqs.send(new SendMessageCommand({ QueueUrl: unknownUrl(), MessageBody: "x" })),
        QueueDoesNotExist,
      ],
      [
        "a batch of 11",
        () => sqs.send(new SendMessageBatchCommand({ QueueUrl: ordersUrl, Entries: entries(11) })),
        TooManyEntriesInBatchRequest,
      ],
      [
        "an empty batch",
        () => sqs.send(new SendMessageBatchCommand({ QueueUrl: ordersUrl, Entries: [] })),
        EmptyBatchRequest,
      ],
      [
        "repeated batch ids",
        () =>
          sqs.send(
            new SendMessageBatchCommand({
              QueueUrl: ordersUrl,
              Entries: [
                { Id: "same", MessageBody: "a" },
                { Id: "same", MessageBody: "b" },
              ],
            }),
          ),
        BatchEntryIdsNotDistinct,
      ],
      [
        "a batch id with a space",
        () =>
          sqs.send(
            new SendMessageBatchCommand({ QueueUrl: ordersUrl, Entries: [{ Id: "a b", MessageBody: "x" }] }),
          ),
        InvalidBatchEntryId,
      ],
      [
        "a forged receipt handle",
        () => sqs.send(new DeleteMessageCommand({ QueueUrl: ordersUrl, ReceiptHandle: "forged" })),
        ReceiptHandleIsInvalid,
      ],
      [
        "a body with a NUL character",
        () => sqs.send(new SendMessageCommand({ QueueUrl: ordersUrl, MessageBody: "\u0000" })),
        InvalidMessageContents,
      ],
      [
        "CreateQueue, which queues from the template replace",
        () => sqs.send(new CreateQueueCommand({ QueueName: "new" })),
        UnsupportedOperation,
      ],
    ])("%s", async (_case, call, exception) => {
      const error = await call().catch((e: unknown) => e);

      expect(error).toBeInstanceOf(exception);
    });

    it.each([
      [
        "a message over 1 MiB",
        { MessageBody: "x".repeat(1_048_577) },
        "InvalidParameterValue",
        /shorter than 1048577 bytes/,
      ],
      ["no MessageBody", {}, "MissingParameter", /MessageBody/],
      [
        "a delay over 900 s",
        { MessageBody: "x", DelaySeconds: 901 },
        "InvalidParameterValue",
        /DelaySeconds/,
      ],
    ])("SendMessage with %s fails with %s, naming the problem", async (_case, input, code, message) => {
      const error = await sqs
        .send(new SendMessageCommand({ QueueUrl: ordersUrl, ...input } as never))
        .catch((e: unknown) => e);

      expect(error).toMatchObject({ name: code, $metadata: { httpStatusCode: 400 } });
      expect((error as Error).message).toMatch(message);
    });

    it("answers an operation SQS does not have with UnknownOperationException, never an empty 200", async () => {
      const response = await fetch(server.endpoint, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "AmazonSQS.FlyToTheMoon" },
        body: "{}",
      });

      expect(response.status).toBe(400);
      expect(response.headers.get("x-amzn-query-error")).toBe("InvalidAction;Sender");
      expect(await response.json()).toEqual({
        __type: "com.amazonaws.sqs#UnknownOperationException",
        message: expect.stringContaining('"FlyToTheMoon" is not an SQS operation'),
      });
    });
  });

  describe("with the AWS CLI", () => {
    const cli = async (...args: string[]) => {
      const { stdout } = await run(
        "aws",
        ["sqs", ...args, "--endpoint-url", server.endpoint, "--output", "json"],
        {
          env: {
            ...process.env,
            AWS_ACCESS_KEY_ID: "test",
            AWS_SECRET_ACCESS_KEY: "test",
            AWS_DEFAULT_REGION: REGION,
            AWS_PAGER: "",
          },
        },
      );
      return stdout === "" ? {} : (JSON.parse(stdout) as Record<string, unknown>);
    };
    const cliMissing = awsCliUnavailableReason();
    if (cliMissing !== undefined) console.warn(`skipping the AWS CLI tests: ${cliMissing}`);

    it.skipIf(cliMissing !== undefined)("sends and receives a message with attributes", async () => {
      await cli(
        "send-message",
        "--queue-url",
        ordersUrl,
        "--message-body",
        "from the CLI",
        "--message-attributes",
        '{"tenant":{"DataType":"String","StringValue":"acme"}}',
      );
      const received = await cli(
        "receive-message",
        "--queue-url",
        ordersUrl,
        "--message-attribute-names",
        "All",
      );

      expect(received).toMatchObject({
        Messages: [
          {
            Body: "from the CLI",
            MessageAttributes: { tenant: { StringValue: "acme", DataType: "String" } },
          },
        ],
      });
    });
  });
});

/** Why the AWS CLI cannot be used here, or `undefined` when `aws` is on the PATH. */
function awsCliUnavailableReason(): string | undefined {
  const directories = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  const found = directories.some((directory) => {
    try {
      accessSync(join(directory, "aws"), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
  return found
    ? undefined
    : "the aws command is not on the PATH (install AWS CLI v2 or `pip install awscli`)";
}
