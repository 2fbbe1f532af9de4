import { FirehoseClient, PutRecordBatchCommand } from "@aws-sdk/client-firehose";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  DeadLetterQueueError,
  deadLetterQueuesOf,
  describeDeadLetterQueues,
  findDeadLetterQueue,
  peekDeadLetterQueue,
  type RedriveProgress,
  redriveDeadLetterQueue,
} from "../../lib/ops/dlq";
import { anEventBody, aStack, queue } from "./stack-fixture";

const sqsMock = mockClient(SQSClient);
const firehoseMock = mockClient(FirehoseClient);
const sqs = () => new SQSClient({ region: "eu-west-1" });
const NOW = new Date("2026-03-01T12:00:00Z");
const inventoryDlq = () => findDeadLetterQueue(aStack(), "inventory");
const inventoryTargetDlq = () => findDeadLetterQueue(aStack(), "inventory/target");

/** A DLQ message: the event as body, the receive count, when it was sent and EventBridge's attributes. */
function aMessage(
  eventId: string,
  options: { sentAt?: string; receives?: number; attributes?: Record<string, string> } = {},
): Message {
  return {
    MessageId: `msg-${eventId}`,
    ReceiptHandle: `rh-${eventId}`,
    Body: anEventBody(eventId),
    Attributes: {
      ApproximateReceiveCount: String(options.receives ?? 1),
      SentTimestamp: String(Date.parse(options.sentAt ?? "2026-03-01T11:00:00Z")),
    },
    MessageAttributes: Object.fromEntries(
      Object.entries(options.attributes ?? {}).map(([name, value]) => [
        name,
        { DataType: "String", StringValue: value },
      ]),
    ),
  };
}

/** A queue answering GetQueueAttributes with these counts. */
function depthOf(queueUrl: string, depth: number, inFlight = 0): void {
  sqsMock.on(GetQueueAttributesCommand, { QueueUrl: queueUrl }).resolves({
    Attributes: {
      ApproximateNumberOfMessages: String(depth),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
    },
  });
}

/** A queue that hands out these messages once each, at most MaxNumberOfMessages a call, then nothing. */
function holding(queueUrl: string, messages: readonly Message[]): void {
  const waiting = [...messages];
  sqsMock
    .on(ReceiveMessageCommand, { QueueUrl: queueUrl })
    .callsFake((input: { MaxNumberOfMessages?: number }) => ({
      Messages: waiting.splice(0, input.MaxNumberOfMessages ?? 1),
    }));
}

beforeEach(() => {
  sqsMock.reset();
  firehoseMock.reset();
  sqsMock.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqsMock.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id })),
    Failed: [],
  }));
  sqsMock.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `new-${e.Id}`, MD5OfMessageBody: "" })),
    Failed: [],
  }));
});

describe("deadLetterQueuesOf", () => {
  it("names each subscription's queue DLQ and rule-target DLQ, then the audit trail's", () => {
    expect(deadLetterQueuesOf(aStack()).map((ref) => [ref.name, ref.kind, ref.redrive.kind])).toEqual([
      ["inventory", "queue", "source-queue"],
      ["inventory/target", "target", "target-queue"],
      ["analytics", "queue", "source-queue"],
      ["analytics/target", "target", "target-queue"],
      ["audit/target", "target", "delivery-stream"],
    ]);
  });

  it("names the DLQs there are when asked for one that is not", () => {
    expect(() => findDeadLetterQueue(aStack(), "inventory-dlq")).toThrow(
      'No dead-letter queue "inventory-dlq" in stack "Eventrail"; expected one of: inventory, inventory/target, analytics, analytics/target, audit/target',
    );
  });
});

describe("describeDeadLetterQueues", () => {
  it("gives depth, in-flight count and the oldest sampled age, receiving nothing from empty DLQs", async () => {
    // Prepare
    const refs = [inventoryDlq(), inventoryTargetDlq()];
    depthOf(queue("inventory-dlq").url, 2, 1);
    depthOf(queue("inventory-target-dlq").url, 0);
    holding(queue("inventory-dlq").url, [
      aMessage("e-1", { sentAt: "2026-03-01T11:00:00Z" }),
      aMessage("e-2", { sentAt: "2026-03-01T09:00:00Z" }),
    ]);

    // Act
    const summaries = await describeDeadLetterQueues(sqs(), refs, { now: NOW });

    // Assess
    expect(summaries.map((s) => [s.name, s.depth, s.inFlight, s.oldestAgeMs])).toEqual([
      ["inventory", 2, 1, 3 * 3_600_000],
      ["inventory/target", 0, 0, undefined],
    ]);
    const received = sqsMock.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.QueueUrl);
    expect(received).not.toContain(queue("inventory-target-dlq").url);
  });

  it("receives nothing when sampling is off", async () => {
    depthOf(queue("inventory-dlq").url, 5);
    const [summary] = await describeDeadLetterQueues(sqs(), [inventoryDlq()], { sampleAge: false });
    expect(summary?.oldestAgeMs).toBeUndefined();
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });
});

describe("peekDeadLetterQueue", () => {
  it("shows ids, detail-type, receive count and EventBridge's error, and makes every message visible again", async () => {
    // Prepare
    holding(queue("inventory-target-dlq").url, [
      aMessage("e-1", {
        receives: 3,
        attributes: {
          ERROR_CODE: "SQS_ERROR",
          ERROR_MESSAGE: "KMS.AccessDeniedException",
          RULE_ARN: "arn:rule",
          TARGET_ARN: queue("inventory-queue").arn,
          RETRY_ATTEMPTS: "185",
          EXHAUSTED_RETRY_CONDITION: "MaximumRetryAttempts",
        },
      }),
    ]);

    // Act
    const [peeked, ...rest] = await peekDeadLetterQueue(sqs(), inventoryTargetDlq());

    // Assess
    expect(rest).toEqual([]);
    expect(peeked).toMatchObject({
      messageId: "msg-e-1",
      eventId: "e-1",
      eventBridgeId: "eb-e-1",
      detailType: "OrderPlaced",
      receiveCount: 3,
      sentAt: new Date("2026-03-01T11:00:00Z"),
      failure: {
        errorCode: "SQS_ERROR",
        errorMessage: "KMS.AccessDeniedException",
        retryAttempts: 185,
        exhaustedRetryCondition: "MaximumRetryAttempts",
      },
    });
    const released = sqsMock.commandCalls(ChangeMessageVisibilityBatchCommand)[0]?.args[0].input;
    expect(released?.Entries).toEqual([{ Id: "0", ReceiptHandle: "rh-e-1", VisibilityTimeout: 0 }]);
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  it("pages through more than ten messages and stops at max", async () => {
    // Prepare
    const messages = Array.from({ length: 15 }, (_, i) => aMessage(`e-${i}`));
    holding(queue("inventory-dlq").url, messages);

    // Act
    const peeked = await peekDeadLetterQueue(sqs(), inventoryDlq(), { max: 12 });

    // Assess
    expect(peeked.map((m) => m.eventId)).toEqual(
      messages.slice(0, 12).map((m) => JSON.parse(m.Body ?? "").detail.metadata.eventId),
    );
    expect(
      sqsMock.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input.MaxNumberOfMessages),
    ).toEqual([10, 2]);
  });

  it("leaves the event fields empty for a body that is not an event", async () => {
    holding(queue("inventory-dlq").url, [{ ...aMessage("e-1"), Body: "not json" }]);
    const [peeked] = await peekDeadLetterQueue(sqs(), inventoryDlq());
    expect(peeked).toMatchObject({
      eventId: undefined,
      detailType: undefined,
      body: "not json",
      failure: undefined,
    });
  });
});

describe("redriveDeadLetterQueue", () => {
  it("moves a queue DLQ back to the subscription's queue with a message move task, reporting its progress", async () => {
    // Prepare
    depthOf(queue("inventory-dlq").url, 3);
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "task-1" });
    sqsMock
      .on(ListMessageMoveTasksCommand, { SourceArn: queue("inventory-dlq").arn })
      .resolvesOnce({
        Results: [
          {
            TaskHandle: "task-1",
            Status: "RUNNING",
            ApproximateNumberOfMessagesMoved: 1,
            ApproximateNumberOfMessagesToMove: 3,
          },
        ],
      })
      .resolves({
        Results: [
          { Status: "COMPLETED", ApproximateNumberOfMessagesMoved: 3, ApproximateNumberOfMessagesToMove: 3 },
        ],
      });
    const progress: RedriveProgress[] = [];

    // Act
    const result = await redriveDeadLetterQueue({ sqs: sqs() }, inventoryDlq(), {
      sleep: async () => {},
      onProgress: (p) => progress.push(p),
    });

    // Assess
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({
      SourceArn: queue("inventory-dlq").arn,
      DestinationArn: queue("inventory-queue").arn,
    });
    expect(result).toMatchObject({ method: "move-task", toMove: 3, moved: 3, task: { status: "COMPLETED" } });
    expect(progress.map((p) => p.moved)).toEqual([1, 3]);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it("reports a move task that failed, with SQS's reason", async () => {
    depthOf(queue("inventory-dlq").url, 3);
    sqsMock.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: "task-1" });
    sqsMock.on(ListMessageMoveTasksCommand).resolves({
      Results: [
        {
          Status: "FAILED",
          FailureReason: "AWS.SimpleQueueService.NonExistentQueue",
          ApproximateNumberOfMessagesMoved: 1,
        },
      ],
    });
    const result = await redriveDeadLetterQueue({ sqs: sqs() }, inventoryDlq(), { sleep: async () => {} });
    expect(result.task).toEqual({
      status: "FAILED",
      failureReason: "AWS.SimpleQueueService.NonExistentQueue",
    });
  });

  it("starts no move task for an empty DLQ", async () => {
    depthOf(queue("inventory-dlq").url, 0);
    const result = await redriveDeadLetterQueue({ sqs: sqs() }, inventoryDlq());
    expect(result).toMatchObject({ moved: 0, toMove: 0 });
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  it("says what to do when SQS refuses the move task", async () => {
    depthOf(queue("inventory-dlq").url, 3);
    sqsMock.on(StartMessageMoveTaskCommand).rejects(
      Object.assign(new Error("There is already a task running."), {
        name: "InvalidParameterValueException",
      }),
    );
    const redriving = redriveDeadLetterQueue({ sqs: sqs() }, inventoryDlq());
    await expect(redriving).rejects.toThrow(DeadLetterQueueError);
    await expect(redriving).rejects.toThrow(
      /There is already a task running.*--max N to copy the messages instead/,
    );
  });

  it("sends a rule-target DLQ's events to the subscription's queue and deletes only the confirmed copies", async () => {
    // Prepare
    const attributes = { ERROR_CODE: "SQS_ERROR", ERROR_MESSAGE: "throttled" };
    depthOf(queue("inventory-target-dlq").url, 3);
    holding(queue("inventory-target-dlq").url, [
      aMessage("e-1", { attributes }),
      aMessage("e-2", { attributes }),
      aMessage("e-3", { attributes }),
    ]);
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [
        { Id: "0", MessageId: "n-0", MD5OfMessageBody: "" },
        { Id: "2", MessageId: "n-2", MD5OfMessageBody: "" },
      ],
      Failed: [{ Id: "1", Code: "KMS.ThrottlingException", SenderFault: false, Message: "slow down" }],
    });

    // Act
    const result = await redriveDeadLetterQueue({ sqs: sqs() }, inventoryTargetDlq());

    // Assess
    const sent = sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input;
    expect(sent?.QueueUrl).toBe(queue("inventory-queue").url);
    expect(sent?.Entries).toEqual([
      { Id: "0", MessageBody: anEventBody("e-1") },
      { Id: "1", MessageBody: anEventBody("e-2") },
      { Id: "2", MessageBody: anEventBody("e-3") },
    ]);
    const deleted = sqsMock
      .commandCalls(DeleteMessageBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(deleted.map((e) => e.ReceiptHandle)).toEqual(["rh-e-1", "rh-e-3"]);
    const released = sqsMock
      .commandCalls(ChangeMessageVisibilityBatchCommand)
      .flatMap((c) => c.args[0].input.Entries ?? []);
    expect(released.map((e) => e.ReceiptHandle)).toEqual(["rh-e-2"]);
    expect(result).toMatchObject({
      method: "copy",
      moved: 2,
      failed: [{ messageId: "msg-e-2", reason: "KMS.ThrottlingException: slow down" }],
    });
  });

  it("deletes nothing when the send itself fails, so the messages stay for the next run", async () => {
    depthOf(queue("inventory-target-dlq").url, 1);
    holding(queue("inventory-target-dlq").url, [aMessage("e-1")]);
    sqsMock.on(SendMessageBatchCommand).rejects(new Error("socket hang up"));
    const result = await redriveDeadLetterQueue({ sqs: sqs() }, inventoryTargetDlq());
    expect(result).toMatchObject({ moved: 0, failed: [{ messageId: "msg-e-1", reason: "socket hang up" }] });
    expect(sqsMock.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  it("copies at most max messages of a queue DLQ, attributes kept, without a move task", async () => {
    // Prepare
    depthOf(queue("inventory-dlq").url, 5);
    holding(queue("inventory-dlq").url, [
      aMessage("e-1", { attributes: { origin: "test" } }),
      aMessage("e-2"),
    ]);

    // Act
    const result = await redriveDeadLetterQueue({ sqs: sqs() }, inventoryDlq(), { max: 1 });

    // Assess
    expect(sqsMock.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.MaxNumberOfMessages).toBe(1);
    expect(
      sqsMock.commandCalls(SendMessageBatchCommand)[0]?.args[0].input.Entries?.[0]?.MessageAttributes,
    ).toEqual({
      origin: { DataType: "String", StringValue: "test" },
    });
    expect(result).toMatchObject({ method: "copy", toMove: 1, moved: 1 });
  });

  it("stops when messages whose copy failed come round again instead of looping", async () => {
    // Prepare
    depthOf(queue("inventory-target-dlq").url, 1);
    sqsMock.on(ReceiveMessageCommand).resolves({ Messages: [aMessage("e-1")] });
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: "0", Code: "AccessDenied", SenderFault: true, Message: "no" }],
    });

    // Act
    const result = await redriveDeadLetterQueue({ sqs: sqs() }, inventoryTargetDlq());

    // Assess
    expect(result.failed).toHaveLength(1);
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(2);
  });

  it("moves nothing in a dry run and says what would move where", async () => {
    depthOf(queue("inventory-target-dlq").url, 4);
    const result = await redriveDeadLetterQueue({ sqs: sqs() }, inventoryTargetDlq(), {
      dryRun: true,
      max: 3,
    });
    expect(result).toEqual({
      dlq: "inventory/target",
      method: "copy",
      destination: queue("inventory-queue").url,
      toMove: 3,
      dryRun: true,
      moved: 0,
      failed: [],
      notDeleted: 0,
    });
    expect(sqsMock.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it("puts the audit trail's dead-lettered events back to the delivery stream named by TARGET_ARN", async () => {
    // Prepare
    const auditDlq = findDeadLetterQueue(aStack(), "audit/target");
    const targetArn = "arn:aws:firehose:eu-west-1:123456789012:deliverystream/Eventrail-Audit";
    depthOf(auditDlq.queueUrl, 1);
    holding(auditDlq.queueUrl, [aMessage("e-1", { attributes: { TARGET_ARN: targetArn } })]);
    firehoseMock
      .on(PutRecordBatchCommand)
      .resolves({ FailedPutCount: 0, RequestResponses: [{ RecordId: "r-1" }] });

    // Act
    const result = await redriveDeadLetterQueue(
      { sqs: sqs(), firehose: new FirehoseClient({ region: "eu-west-1" }) },
      auditDlq,
    );

    // Assess
    const put = firehoseMock.commandCalls(PutRecordBatchCommand)[0]?.args[0].input;
    expect(put?.DeliveryStreamName).toBe("Eventrail-Audit");
    expect(Buffer.from(put?.Records?.[0]?.Data ?? new Uint8Array()).toString("utf8")).toBe(
      anEventBody("e-1"),
    );
    expect(result).toMatchObject({ moved: 1, failed: [] });
  });

  it("needs a Firehose client to redrive the audit trail's DLQ", async () => {
    depthOf(queue("audit-target-dlq").url, 1);
    await expect(
      redriveDeadLetterQueue({ sqs: sqs() }, findDeadLetterQueue(aStack(), "audit/target")),
    ).rejects.toThrow("Redriving audit/target puts events to Firehose, and no Firehose client was given");
  });

  it("refuses a max that is not a whole number of at least 1", async () => {
    await expect(redriveDeadLetterQueue({ sqs: sqs() }, inventoryDlq(), { max: 0 })).rejects.toThrow(
      "max 0 is not a whole number of at least 1",
    );
  });
});
