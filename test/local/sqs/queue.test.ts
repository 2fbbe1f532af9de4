import { describe, expect, it } from "vitest";
import { AwsServiceError } from "../../../lib/local/aws-error";
import { SqsConfigurationError } from "../../../lib/local/sqs/errors";
import { md5OfMessageBody } from "../../../lib/local/sqs/md5";
import type { DeadLetterMove } from "../../../lib/local/sqs/queue";
import { QueueStore } from "../../../lib/local/sqs/queue-store";
import {
  ACCOUNT_ID,
  openManualStore,
  queueDefinition,
  queueNamed,
  queueWithDeadLetterQueue,
} from "./queue-fixtures";

async function rejection(promise: Promise<unknown>): Promise<AwsServiceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof AwsServiceError))
    throw new Error(`expected an AwsServiceError, got ${String(error)}`);
  return error;
}

describe("a local queue", () => {
  it("delivers a sent message with its body, MD5s and system attributes", async () => {
    const { store, clock } = await openManualStore([queueDefinition("orders")]);
    const queue = queueNamed(store, "orders");
    const sentAt = clock.now();

    const sent = await queue.send({
      body: "héllo",
      messageAttributes: { tenant: { DataType: "String", StringValue: "acme" } },
    });
    await clock.advance(5_000);
    const [message, ...rest] = await queue.receive();

    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      messageId: sent.messageId,
      body: "héllo",
      md5OfBody: md5OfMessageBody("héllo"),
      messageAttributes: { tenant: { DataType: "String", StringValue: "acme" } },
      md5OfMessageAttributes: sent.md5OfMessageAttributes,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: String(sentAt),
        ApproximateFirstReceiveTimestamp: String(sentAt + 5_000),
        SenderId: ACCOUNT_ID,
      },
    });
    expect(sent.md5OfMessageBody).toBe(md5OfMessageBody("héllo"));
    expect(sent.messageId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("hides a received message for the visibility timeout, then delivers it again with a new receipt handle", async () => {
    const { store, clock } = await openManualStore([
      queueDefinition("orders", { visibilityTimeoutSeconds: 30 }),
    ]);
    const queue = queueNamed(store, "orders");
    await queue.send({ body: "m1" });

    const [first] = await queue.receive();
    const whileInvisible = await queue.receive();
    await clock.advance(29_999);
    const justBefore = await queue.receive();
    await clock.advance(1);
    const [second] = await queue.receive();

    expect(whileInvisible).toEqual([]);
    expect(justBefore).toEqual([]);
    expect(second?.messageId).toBe(first?.messageId);
    expect(second?.receiptHandle).not.toBe(first?.receiptHandle);
    expect(second?.attributes.ApproximateReceiveCount).toBe("2");
    expect(second?.attributes.ApproximateFirstReceiveTimestamp).toBe(
      first?.attributes.ApproximateFirstReceiveTimestamp,
    );
  });

  it("lets a receive's VisibilityTimeout override the queue's", async () => {
    const { store, clock } = await openManualStore([
      queueDefinition("orders", { visibilityTimeoutSeconds: 300 }),
    ]);
    const queue = queueNamed(store, "orders");
    await queue.send({ body: "m1" });

    await queue.receive({ visibilityTimeoutSeconds: 2 });
    await clock.advance(2_000);
    const again = await queue.receive();

    expect(again).toHaveLength(1);
  });

  it("returns up to MaxNumberOfMessages in send order", async () => {
    const { store } = await openManualStore([queueDefinition("orders")]);
    const queue = queueNamed(store, "orders");
    for (const body of ["a", "b", "c"]) await queue.send({ body });

    const received = await queue.receive({ maxMessages: 2 });

    expect(received.map((m) => m.body)).toEqual(["a", "b"]);
  });

  it("deletes a message with its latest receipt handle and ignores a stale one, as SQS does", async () => {
    const { store, clock } = await openManualStore([
      queueDefinition("orders", { visibilityTimeoutSeconds: 10 }),
    ]);
    const queue = queueNamed(store, "orders");
    await queue.send({ body: "m1" });
    const [first] = await queue.receive();
    await clock.advance(10_000);
    const [second] = await queue.receive();
    if (first === undefined || second === undefined) throw new Error("test setup: expected two receives");

    await queue.delete(first.receiptHandle);
    const afterStaleDelete = queue.counts();
    await queue.delete(second.receiptHandle);
    await clock.advance(10_000);

    expect(afterStaleDelete).toEqual({ visible: 0, inFlight: 1, delayed: 0 });
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    expect(await queue.receive()).toEqual([]);
  });

  it("rejects receipt handles it did not issue, naming the handle (ReceiptHandleIsInvalid)", async () => {
    const { store } = await openManualStore([queueDefinition("orders"), queueDefinition("payments")]);
    await queueNamed(store, "payments").send({ body: "p" });
    const [fromPayments] = await queueNamed(store, "payments").receive();
    if (fromPayments === undefined) throw new Error("test setup: expected a message");
    const orders = queueNamed(store, "orders");

    const garbage = await rejection(orders.delete("not-a-handle"));
    const foreign = await rejection(orders.delete(fromPayments.receiptHandle));

    expect(garbage.code).toBe("ReceiptHandleIsInvalid");
    expect(garbage.message).toContain('"not-a-handle"');
    expect(foreign.code).toBe("ReceiptHandleIsInvalid");
    expect(foreign.message).toContain("issued by queue payments");
  });

  it("changes visibility: 0 makes the message receivable at once, a longer timeout keeps it hidden", async () => {
    const { store, clock } = await openManualStore([
      queueDefinition("orders", { visibilityTimeoutSeconds: 30 }),
    ]);
    const queue = queueNamed(store, "orders");
    await queue.send({ body: "m1" });
    const [first] = await queue.receive();
    if (first === undefined) throw new Error("test setup: expected a message");

    await queue.changeVisibility(first.receiptHandle, 0);
    const [second] = await queue.receive();
    if (second === undefined) throw new Error("expected the message to be receivable again");
    await queue.changeVisibility(second.receiptHandle, 120);
    await clock.advance(119_000);
    const stillHidden = await queue.receive();
    await clock.advance(1_000);

    expect(stillHidden).toEqual([]);
    expect(await queue.receive()).toHaveLength(1);
  });

  it("refuses a visibility change with a stale handle (InvalidParameterValue) or after it expired (MessageNotInflight)", async () => {
    const { store, clock } = await openManualStore([
      queueDefinition("orders", { visibilityTimeoutSeconds: 30 }),
    ]);
    const queue = queueNamed(store, "orders");
    await queue.send({ body: "m1" });
    const [first] = await queue.receive();
    if (first === undefined) throw new Error("test setup: expected a message");
    await clock.advance(30_000);

    const expired = await rejection(queue.changeVisibility(first.receiptHandle, 10));
    await queue.receive();
    const stale = await rejection(queue.changeVisibility(first.receiptHandle, 10));

    expect(expired.code).toBe("MessageNotInflight");
    expect(stale.code).toBe("InvalidParameterValue");
    expect(stale.message).toContain(
      "Message does not exist or is not available for visibility timeout change",
    );
  });

  it("delays delivery by the queue's DelaySeconds, or by the send's", async () => {
    const { store, clock } = await openManualStore([queueDefinition("orders", { delaySeconds: 10 })]);
    const queue = queueNamed(store, "orders");
    await queue.send({ body: "queue-delay" });
    await queue.send({ body: "no-delay", delaySeconds: 0 });

    const immediately = await queue.receive({ maxMessages: 10 });
    const counts = queue.counts();
    await clock.advance(10_000);
    const later = await queue.receive({ maxMessages: 10 });

    expect(immediately.map((m) => m.body)).toEqual(["no-delay"]);
    expect(counts).toEqual({ visible: 0, inFlight: 1, delayed: 1 });
    expect(later.map((m) => m.body)).toEqual(["queue-delay"]);
  });

  it("drops a message once its retention period has passed", async () => {
    const { store, clock } = await openManualStore([
      queueDefinition("orders", { messageRetentionSeconds: 60 }),
    ]);
    const queue = queueNamed(store, "orders");
    await queue.send({ body: "short-lived" });

    await clock.advance(59_999);
    const beforeExpiry = queue.counts().visible;
    await clock.advance(1);

    expect(beforeExpiry).toBe(1);
    expect(queue.counts().visible).toBe(0);
    expect(await queue.receive()).toEqual([]);
  });

  it("purges every message", async () => {
    const { store } = await openManualStore([queueDefinition("orders")]);
    const queue = queueNamed(store, "orders");
    await queue.send({ body: "a" });
    await queue.send({ body: "b", delaySeconds: 60 });

    await queue.purge();

    expect(queue.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
  });

  describe("redrive", () => {
    it("moves a message to the DLQ on the receive after maxReceiveCount, keeping body, attributes and count", async () => {
      const { store, clock } = await openManualStore(
        queueWithDeadLetterQueue(2, { visibilityTimeoutSeconds: 1 }),
      );
      const orders = queueNamed(store, "orders");
      const dlq = queueNamed(store, "orders-dlq");
      const sent = await orders.send({
        body: "poison",
        messageAttributes: { kind: { DataType: "String", StringValue: "test" } },
      });

      const receives: number[] = [];
      for (let i = 0; i < 3; i++) {
        receives.push((await orders.receive()).length);
        await clock.advance(1_000);
      }
      const [dead] = await dlq.receive();

      expect(receives).toEqual([1, 1, 0]);
      expect(orders.counts()).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
      expect(dead).toMatchObject({
        messageId: sent.messageId,
        body: "poison",
        messageAttributes: { kind: { DataType: "String", StringValue: "test" } },
        attributes: { DeadLetterQueueSourceArn: orders.arn, ApproximateReceiveCount: "3" },
      });
    });

    it("tells the store's owner of each move to the DLQ, with the queues and the receive counts", async () => {
      const moves: DeadLetterMove[] = [];
      const { store, clock } = await openManualStore(
        queueWithDeadLetterQueue(1, { visibilityTimeoutSeconds: 1 }),
        {
          onDeadLetter: (move) => moves.push(move),
        },
      );
      const orders = queueNamed(store, "orders");
      const sent = await orders.send({ body: "poison" });

      await orders.receive();
      await clock.advance(1_000);
      await orders.receive();

      expect(moves).toEqual([
        {
          messageId: sent.messageId,
          sourceQueue: "orders",
          deadLetterQueue: "orders-dlq",
          receiveCount: 1,
          maxReceiveCount: 1,
        },
      ]);
    });

    it("keeps the original enqueue time, so retention in the DLQ counts from the first send", async () => {
      const [orders, dlq] = queueWithDeadLetterQueue(1, { visibilityTimeoutSeconds: 1 });
      if (orders === undefined || dlq === undefined) throw new Error("test setup");
      const { store, clock } = await openManualStore([orders, { ...dlq, messageRetentionSeconds: 120 }]);
      await queueNamed(store, "orders").send({ body: "poison" });
      await queueNamed(store, "orders").receive();
      await clock.advance(100_000);
      await queueNamed(store, "orders").receive();

      const inDlq = queueNamed(store, "orders-dlq").counts().visible;
      await clock.advance(20_000);

      expect(inDlq).toBe(1);
      expect(queueNamed(store, "orders-dlq").counts().visible).toBe(0);
    });
  });

  describe("long polling", () => {
    it("returns as soon as a message is sent, without waiting out WaitTimeSeconds", async () => {
      const { store, clock } = await openManualStore([queueDefinition("orders")]);
      const queue = queueNamed(store, "orders");
      const startedAt = clock.now();

      let settled = false;

      const polling = queue.receive({ waitTimeSeconds: 20 }).finally(() => {
        settled = true;
      });
      await clock.advance(3_000);
      await queue.send({ body: "arrived" });
      await clock.advance(0);

      expect(settled).toBe(true);
      expect((await polling).map((m) => m.body)).toEqual(["arrived"]);
      expect(clock.now() - startedAt).toBe(3_000);
    });

    it("returns nothing once WaitTimeSeconds has passed on an empty queue", async () => {
      const { store, clock } = await openManualStore([queueDefinition("orders")]);
      const queue = queueNamed(store, "orders");
      let settled = false;

      const polling = queue.receive({ waitTimeSeconds: 5 }).finally(() => {
        settled = true;
      });
      await clock.advance(4_999);
      const settledEarly = settled;
      await clock.advance(1);

      expect(settledEarly).toBe(false);
      expect(await polling).toEqual([]);
    });

    it("wakes when a message in flight becomes visible again", async () => {
      const { store, clock } = await openManualStore([
        queueDefinition("orders", { visibilityTimeoutSeconds: 3 }),
      ]);
      const queue = queueNamed(store, "orders");
      await queue.send({ body: "retry-me" });
      await queue.receive();

      const polling = queue.receive({ waitTimeSeconds: 20 });
      await clock.advance(3_000);
      const received = await polling;

      expect(received.map((m) => m.attributes.ApproximateReceiveCount)).toEqual(["2"]);
    });

    it("uses the queue's ReceiveMessageWaitTimeSeconds when the receive names no wait", async () => {
      const { store, clock } = await openManualStore([
        queueDefinition("orders", { receiveMessageWaitTimeSeconds: 10 }),
      ]);
      const queue = queueNamed(store, "orders");

      const polling = queue.receive();
      await clock.advance(4_000);
      await queue.send({ body: "late" });

      expect((await polling).map((m) => m.body)).toEqual(["late"]);
    });

    it("ends early when its signal aborts", async () => {
      const { store } = await openManualStore([queueDefinition("orders")]);
      const controller = new AbortController();

      const polling = queueNamed(store, "orders").receive({ waitTimeSeconds: 20, signal: controller.signal });
      controller.abort();

      expect(await polling).toEqual([]);
    });
  });

  describe("waitForMessages", () => {
    it("resolves on a send, or after its timeout of unscaled clock time", async () => {
      const { store, clock } = await openManualStore([queueDefinition("orders")], { timeScale: 100 });
      const queue = queueNamed(store, "orders");
      let woken = 0;

      const bySend = queue.waitForMessages(60_000).then(() => woken++);
      await queue.send({ body: "wake" });
      await clock.advance(0);
      const afterSend = woken;
      const byTimeout = queue.waitForMessages(500).then(() => woken++);
      await clock.advance(499);
      const beforeTimeout = woken;
      await clock.advance(1);
      await Promise.all([bySend, byTimeout]);

      expect([afterSend, beforeTimeout, woken]).toEqual([1, 1, 2]);
    });

    it("resolves when the store closes, and a long poll then returns empty", async () => {
      const { store } = await openManualStore([queueDefinition("orders")]);
      const queue = queueNamed(store, "orders");

      const waiting = queue.waitForMessages(60_000);
      const polling = queue.receive({ waitTimeSeconds: 20 });
      await store.close();

      await waiting;
      expect(await polling).toEqual([]);
    });
  });

  describe("subscribe", () => {
    it("notifies on a send and when a delayed message becomes visible, and stops after unsubscribe", async () => {
      const { store, clock } = await openManualStore([queueDefinition("orders")]);
      const queue = queueNamed(store, "orders");
      let notifications = 0;
      const unsubscribe = queue.subscribe(() => {
        notifications++;
      });

      await queue.send({ body: "now" });
      await clock.advance(0);
      const afterSend = notifications;
      await queue.send({ body: "later", delaySeconds: 30 });
      await clock.advance(30_000);
      const afterDelay = notifications;
      unsubscribe();
      await queue.send({ body: "unheard" });
      await clock.advance(0);

      expect(afterSend).toBe(1);
      expect(afterDelay).toBe(2);
      expect(notifications).toBe(2);
      expect(clock.pendingTimers).toBe(0);
    });
  });

  describe("time scale", () => {
    it("divides visibility timeout, delay and wait by the scale, but not retention", async () => {
      const { store, clock } = await openManualStore(
        [queueDefinition("orders", { visibilityTimeoutSeconds: 30, messageRetentionSeconds: 60 })],
        { timeScale: 10 },
      );
      const queue = queueNamed(store, "orders");
      await queue.send({ body: "m1" });
      await queue.send({ body: "m2", delaySeconds: 20 });

      await queue.receive();
      await clock.advance(2_000);
      const atTwoSeconds = (await queue.receive({ maxMessages: 10 })).map((m) => m.body);
      await clock.advance(1_000);
      const atThreeSeconds = (await queue.receive({ maxMessages: 10 })).map((m) => m.body);
      await clock.advance(10_000);
      const atThirteenSeconds = queue.counts();

      expect(atTwoSeconds).toEqual(["m2"]);
      expect(atThreeSeconds).toEqual(["m1"]);
      // A scaled retention (6 s) would have dropped both by now; the real one is 60 s.
      expect(atThirteenSeconds).toEqual({ visible: 2, inFlight: 0, delayed: 0 });
    });
  });

  describe("send validation", () => {
    it.each([
      ["an empty body", { body: "" }, "MissingParameter", /MessageBody/],
      ["a control character", { body: "a\u0000b" }, "InvalidMessageContents", /'#x0'.*at index 1/],
      ["a lone surrogate", { body: "a\uD800" }, "InvalidMessageContents", /'#xD800'/],
      [
        "a delay over 900 s",
        { body: "x", delaySeconds: 901 },
        "InvalidParameterValue",
        /901 for parameter DelaySeconds/,
      ],
      [
        "an attribute name with a space",
        { body: "x", messageAttributes: { "bad name": { DataType: "String", StringValue: "v" } } },
        "InvalidParameterValue",
        /'bad name' is invalid/,
      ],
      [
        "an attribute name reserved for AWS",
        { body: "x", messageAttributes: { "AWS.trace": { DataType: "String", StringValue: "v" } } },
        "InvalidParameterValue",
        /reserved/,
      ],
      [
        "a Number attribute that is not a number",
        { body: "x", messageAttributes: { n: { DataType: "Number", StringValue: "twelve" } } },
        "InvalidParameterValue",
        /'twelve'.*not a valid number/,
      ],
      [
        "a String attribute without StringValue",
        { body: "x", messageAttributes: { s: { DataType: "String", BinaryValue: "AAE=" } } },
        "InvalidParameterValue",
        /must use field 'StringValue'/,
      ],
      [
        "an unknown data type",
        { body: "x", messageAttributes: { s: { DataType: "Text", StringValue: "v" } } },
        "InvalidParameterValue",
        /'Text'/,
      ],
      [
        "eleven attributes",
        {
          body: "x",
          messageAttributes: Object.fromEntries(
            Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: "String", StringValue: "v" }]),
          ),
        },
        "InvalidParameterValue",
        /\[11\] exceeds the allowed maximum \[10\]/,
      ],
      [
        "a system attribute other than AWSTraceHeader",
        { body: "x", messageSystemAttributes: { Other: { DataType: "String", StringValue: "v" } } },
        "InvalidParameterValue",
        /'Other' is invalid/,
      ],
    ])("rejects %s", async (_case, input, code, message) => {
      const { store } = await openManualStore([queueDefinition("orders")]);

      const error = await rejection(queueNamed(store, "orders").send(input));

      expect(error.code).toBe(code);
      expect(error.message).toMatch(message);
    });

    it("counts attributes against MaximumMessageSize and names both sizes when over it", async () => {
      const { store } = await openManualStore([queueDefinition("orders", { maximumMessageSize: 1024 })]);
      const queue = queueNamed(store, "orders");
      const body = "x".repeat(1000);

      await queue.send({ body: "x".repeat(1024) });
      const error = await rejection(
        queue.send({ body, messageAttributes: { pad: { DataType: "String", StringValue: "y".repeat(20) } } }),
      );

      expect(error.code).toBe("InvalidParameterValue");
      expect(error.message).toContain("Message must be shorter than 1025 bytes, but it is 1029 bytes");
    });
  });
});

describe("message move tasks", () => {
  async function storeWithDeadLetters(count: number) {
    const fixture = await openManualStore([
      ...queueWithDeadLetterQueue(1, { visibilityTimeoutSeconds: 1 }),
      queueDefinition("elsewhere"),
    ]);
    const orders = queueNamed(fixture.store, "orders");
    for (let i = 0; i < count; i++) await orders.send({ body: `m${i}` });
    await orders.receive({ maxMessages: 10 });
    await fixture.clock.advance(1_000);
    await orders.receive({ maxMessages: 10 });
    return fixture;
  }

  it("moves DLQ messages back to their source queue with a fresh receive count", async () => {
    const { store, clock } = await storeWithDeadLetters(3);
    const dlq = queueNamed(store, "orders-dlq");
    const countsBefore = dlq.counts();

    store.moveTasks.start({ sourceArn: dlq.arn });
    await clock.advance(0);
    const [task] = store.moveTasks.list(dlq.arn);
    const back = await queueNamed(store, "orders").receive({ maxMessages: 10 });

    expect(countsBefore.visible).toBe(3);
    expect(task).toMatchObject({
      status: "COMPLETED",
      approximateNumberOfMessagesMoved: 3,
      approximateNumberOfMessagesToMove: 3,
    });
    expect(task?.taskHandle).toBeUndefined();
    expect(
      back.map((m) => [m.body, m.attributes.ApproximateReceiveCount, m.attributes.DeadLetterQueueSourceArn]),
    ).toEqual([
      ["m0", "1", undefined],
      ["m1", "1", undefined],
      ["m2", "1", undefined],
    ]);
  });

  it("moves to DestinationArn when one is given", async () => {
    const { store, clock } = await storeWithDeadLetters(2);
    const dlq = queueNamed(store, "orders-dlq");
    const elsewhere = queueNamed(store, "elsewhere");

    store.moveTasks.start({ sourceArn: dlq.arn, destinationArn: elsewhere.arn });
    await clock.advance(0);

    expect(elsewhere.counts().visible).toBe(2);
    expect(dlq.counts().visible).toBe(0);
  });

  it("paces moves at MaxNumberOfMessagesPerSecond, scaled by the time scale", async () => {
    const { store, clock } = await storeWithDeadLetters(5);
    const dlq = queueNamed(store, "orders-dlq");
    const moved = () => store.moveTasks.list(dlq.arn)[0]?.approximateNumberOfMessagesMoved;

    const handle = store.moveTasks.start({ sourceArn: dlq.arn, maxNumberOfMessagesPerSecond: 2 });
    await clock.advance(0);
    const afterStart = moved();
    await clock.advance(1_000);
    const afterOneSecond = moved();
    await clock.advance(1_000);

    expect(JSON.parse(Buffer.from(handle, "base64").toString("utf8"))).toEqual({
      taskId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sourceArn: dlq.arn,
    });
    expect([afterStart, afterOneSecond, moved()]).toEqual([2, 4, 5]);
    expect(store.moveTasks.list(dlq.arn)[0]?.status).toBe("COMPLETED");
  });

  it("fails the task, with the reason, when a message has no source queue and no destination was given", async () => {
    const { store, clock } = await openManualStore(queueWithDeadLetterQueue(1));
    const dlq = queueNamed(store, "orders-dlq");
    const direct = await dlq.send({ body: "sent straight to the DLQ" });

    store.moveTasks.start({ sourceArn: dlq.arn });
    await clock.advance(0);
    const [task] = store.moveTasks.list(dlq.arn);

    expect(task?.status).toBe("FAILED");
    expect(task?.failureReason).toContain(`Message ${direct.messageId}`);
    expect(task?.failureReason).toContain("Start the task with a DestinationArn");
  });

  it("cancels a running task and reports the number moved", async () => {
    const { store, clock } = await storeWithDeadLetters(4);
    const dlq = queueNamed(store, "orders-dlq");
    const handle = store.moveTasks.start({ sourceArn: dlq.arn, maxNumberOfMessagesPerSecond: 1 });
    await clock.advance(0);

    const moved = store.moveTasks.cancel(handle);
    await clock.advance(10_000);

    expect(moved).toBe(1);
    expect(store.moveTasks.list(dlq.arn)[0]?.status).toBe("CANCELLED");
    expect(dlq.counts().visible).toBe(3);
  });

  it.each([
    [
      "a queue that is no DLQ",
      "orders",
      {},
      "InvalidParameterValue",
      /must be configured as a dead-letter queue/,
    ],
    ["an unknown queue", "nope", {}, "ResourceNotFoundException", /SourceArn.*nope/],
    ["a rate over 500", "orders-dlq", { maxNumberOfMessagesPerSecond: 501 }, "InvalidParameterValue", /501/],
  ])("refuses to start on %s", async (_case, source, extra, code, message) => {
    const { store } = await openManualStore(queueWithDeadLetterQueue(1));
    const start = () =>
      store.moveTasks.start({ sourceArn: `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:${source}`, ...extra });

    expect(start).toThrow(expect.objectContaining({ code, message: expect.stringMatching(message) }));
  });

  it("refuses a second task while one runs on the same source", async () => {
    const { store } = await storeWithDeadLetters(2);
    const dlq = queueNamed(store, "orders-dlq");
    store.moveTasks.start({ sourceArn: dlq.arn, maxNumberOfMessagesPerSecond: 1 });

    expect(() => store.moveTasks.start({ sourceArn: dlq.arn })).toThrow(/already running/);
  });
});

describe("opening a queue store", () => {
  it.each([
    ["a FIFO name", [queueDefinition("orders.fifo")], /Queue name "orders.fifo" is invalid/],
    [
      "a visibility timeout over 12 hours",
      [queueDefinition("orders", { visibilityTimeoutSeconds: 43_201 })],
      /Queue orders: visibilityTimeoutSeconds 43201 is invalid; SQS accepts an integer from 0 to 43200/,
    ],
    [
      "a redrive target that is not defined",
      [
        queueDefinition("orders", {
          redrive: { deadLetterTargetArn: "arn:aws:sqs:us-east-1:000000000000:missing", maxReceiveCount: 3 },
        }),
      ],
      /redrive.deadLetterTargetArn arn:aws:sqs:us-east-1:000000000000:missing is not one of the defined queues/,
    ],
    ["a duplicate name", [queueDefinition("orders"), queueDefinition("orders")], /defined twice/],
    [
      "an ARN naming another queue",
      [queueDefinition("orders", { arn: "arn:aws:sqs:us-east-1:000000000000:other" })],
      /arn "arn:aws:sqs:us-east-1:000000000000:other" is invalid/,
    ],
  ])("refuses %s, naming the queue, the value and what SQS accepts", async (_case, queues, message) => {
    const opening = QueueStore.open({ queues });

    await expect(opening).rejects.toThrow(SqsConfigurationError);
    await expect(QueueStore.open({ queues })).rejects.toThrow(message);
  });

  it("refuses a time scale that is not positive", async () => {
    await expect(QueueStore.open({ queues: [], timeScale: 0 })).rejects.toThrow(/timeScale 0 is invalid/);
  });

  it("finds queues by name, ARN and URL path, whatever host the URL names", async () => {
    const { store } = await openManualStore([queueDefinition("orders")]);
    const orders = queueNamed(store, "orders");

    expect(store.queueByArn(orders.arn)).toBe(orders);
    expect(store.queueByUrl("http://localhost:9999/000000000000/orders")).toBe(orders);
    expect(store.queueByUrl("http://127.0.0.1:4010/111111111111/orders")).toBeUndefined();
    expect(store.queueByUrl("orders")).toBeUndefined();
  });
});
