import type { SQSRecord } from "aws-lambda";
import { afterEach, describe, expect, it } from "vitest";
import { ManualClock, settle } from "../../../lib/local/clock";
import { EventSourceMappingError, type EventSourcePollingError } from "../../../lib/local/lambda/errors";
import {
  type BatchInvocationReport,
  formatBatchInvocationReport,
  type ReceivedSqsMessage,
  SqsEventSourcePoller,
  type SqsEventSourcePollerOptions,
} from "../../../lib/local/lambda/sqs-event-source";
import type { LocalEventSourceMapping } from "../../../lib/local/model";
import { InMemoryEventSourceQueue } from "./support/in-memory-event-source-queue";
import { failed, ScriptedInvoker, succeeded } from "./support/scripted-invoker";

const QUEUE_ARN = "arn:aws:sqs:eu-west-1:000000000000:inventory-queue";
const FUNCTION_NAME = "inventory-consumer";

function aMapping(overrides: Partial<LocalEventSourceMapping> = {}): LocalEventSourceMapping {
  return {
    logicalId: "InventoryMapping",
    functionName: FUNCTION_NAME,
    queueArn: QUEUE_ARN,
    batchSize: 10,
    maxBatchingWindowSeconds: 0,
    reportBatchItemFailures: true,
    enabled: true,
    ...overrides,
  };
}

interface Harness {
  readonly clock: ManualClock;
  readonly queue: InMemoryEventSourceQueue;
  readonly invoker: ScriptedInvoker;
  readonly poller: SqsEventSourcePoller;
  readonly reports: BatchInvocationReport[];
  readonly errors: EventSourcePollingError[];
}

const harnesses: Harness[] = [];

/** A started poller over an in-memory queue, invoking a scripted function. */
function startPoller(
  mapping: Partial<LocalEventSourceMapping> = {},
  options: Partial<SqsEventSourcePollerOptions> = {},
  queueBehaviour: { readonly ignoreAbort?: boolean } = {},
): Harness {
  const clock = new ManualClock();
  const queue = new InMemoryEventSourceQueue(QUEUE_ARN, clock, queueBehaviour);
  const invoker = new ScriptedInvoker(FUNCTION_NAME);
  const reports: BatchInvocationReport[] = [];
  const errors: EventSourcePollingError[] = [];
  const poller = new SqsEventSourcePoller({
    mapping: aMapping(mapping),
    queue,
    invoker,
    clock,
    onInvocation: (report) => reports.push(report),
    onError: (error) => errors.push(error),
    ...options,
  });
  poller.start();
  const harness = { clock, queue, invoker, poller, reports, errors };
  harnesses.push(harness);
  return harness;
}

/** Stops a poller, answering whatever it still has in flight. */
async function stopAndDrain({ poller, invoker }: Harness): Promise<void> {
  let stopped = false;
  const stopping = poller.stop().then(() => {
    stopped = true;
  });
  while (!stopped) {
    for (const held of [...invoker.held]) held.respond(succeeded());
    await settle();
  }
  await stopping;
}

afterEach(async () => {
  await Promise.all(harnesses.splice(0).map(stopAndDrain));
});

function recordIds(event: { readonly Records: readonly ReceivedSqsMessage[] } | undefined): string[] {
  return (event?.Records ?? []).map((record) => record.messageId);
}

describe("SqsEventSourcePoller deletions", () => {
  it("invokes the function with the records as Lambda's SQS event and deletes them all after a success", async () => {
    // Prepare
    const { queue, invoker, reports } = startPoller({ reportBatchItemFailures: false });
    invoker.answerWith(() => succeeded());

    // Act
    const ids = queue.send("a", "b");
    await settle();

    // Assess
    const records: readonly SQSRecord[] = invoker.events[0]?.Records ?? [];
    expect(records.map((record) => record.body)).toEqual(["a", "b"]);
    expect(records[0]).toMatchObject({ eventSource: "aws:sqs", eventSourceARN: QUEUE_ARN });
    expect(queue.deletedIds).toEqual(ids);
    expect(reports).toEqual([
      expect.objectContaining({
        messageIds: ids,
        outcome: { kind: "succeeded" },
        deletedCount: 2,
        requestId: "req-ok",
      }),
    ]);
  });

  it("ignores batchItemFailures when the mapping does not report batch item failures", async () => {
    // Prepare
    const { queue, invoker } = startPoller({ reportBatchItemFailures: false });
    invoker.answerWith((event) =>
      succeeded({ batchItemFailures: [{ itemIdentifier: recordIds(event)[0] }] }),
    );

    // Act
    const ids = queue.send("a", "b");
    await settle();

    // Assess
    expect(queue.deletedIds).toEqual(ids);
  });

  it("deletes only the records that batchItemFailures does not list", async () => {
    // Prepare
    const { queue, invoker, reports } = startPoller({ reportBatchItemFailures: true });
    invoker.answerWith((event) =>
      succeeded({ batchItemFailures: [{ itemIdentifier: recordIds(event)[1] }] }),
    );

    // Act
    const [first, second, third] = queue.send("a", "b", "c");
    await settle();

    // Assess
    expect(queue.deletedIds).toEqual([first, third]);
    expect(queue.inFlightIds).toEqual([second]);
    expect(reports[0]?.outcome).toEqual({ kind: "partially-failed", failedMessageIds: [second] });
  });

  it.each([
    ["an unknown itemIdentifier", { batchItemFailures: [{ itemIdentifier: "not-in-batch" }] }],
    ["an empty itemIdentifier", { batchItemFailures: [{ itemIdentifier: "" }] }],
    ["a misspelled key", { batchItemFailures: [{ itemIdentifer: "m1" }] }],
    ["a response that is not an object", "done"],
  ])("deletes nothing when the response has %s: the whole batch failed", async (_case, response) => {
    // Prepare
    const { queue, invoker, reports } = startPoller({ reportBatchItemFailures: true });
    invoker.answerWith(() => succeeded(response));

    // Act
    const ids = queue.send("a", "b");
    await settle();

    // Assess
    expect(queue.deletedIds).toEqual([]);
    expect(queue.inFlightIds).toEqual(ids);
    expect(reports[0]?.outcome.kind).toBe("invalid-response");
  });

  it("deletes nothing when the invocation fails, leaving the records to reappear", async () => {
    // Prepare
    const { queue, invoker, reports } = startPoller({ reportBatchItemFailures: false });
    invoker.answerWith(() => failed("Sandbox.Timedout", "Task timed out after 30.00 seconds"));

    // Act
    const ids = queue.send("a", "b");
    await settle();

    // Assess
    expect(queue.deletedIds).toEqual([]);
    expect(queue.inFlightIds).toEqual(ids);
    expect(reports[0]?.outcome).toEqual({
      kind: "function-error",
      errorType: "Sandbox.Timedout",
      errorMessage: "Task timed out after 30.00 seconds",
    });
  });

  it("deletes nothing when the function cannot be invoked at all", async () => {
    // Prepare
    const { queue, invoker, reports } = startPoller();
    invoker.invoke = () => Promise.reject(new TypeError("runner is gone"));

    // Act
    queue.send("a");
    await settle();

    // Assess
    expect(queue.deletedIds).toEqual([]);
    expect(reports[0]).toMatchObject({
      outcome: { kind: "function-error", errorType: "TypeError", errorMessage: "runner is gone" },
      deletedCount: 0,
    });
    expect(reports[0]?.requestId).toBeUndefined();
  });

  it("reports a failed delete and counts nothing as deleted", async () => {
    // Prepare
    const { queue, invoker, reports, errors } = startPoller();
    invoker.answerWith(() => succeeded());
    queue.failNextDelete(new Error("queue unavailable"));

    // Act
    queue.send("a");
    await settle();

    // Assess
    expect(reports[0]?.deletedCount).toBe(0);
    expect(errors.map((error) => [error.operation, error.message])).toEqual([
      ["delete", "Event source mapping InventoryMapping: delete failed: queue unavailable"],
    ]);
  });
});

describe("SqsEventSourcePoller batching", () => {
  it("invokes as soon as a receive returns records when there is no batching window", async () => {
    // Prepare
    const { queue, invoker } = startPoller({ batchSize: 10, maxBatchingWindowSeconds: 0 });

    // Act
    const ids = queue.send("a", "b");
    await settle();

    // Assess
    expect(invoker.events.map(recordIds)).toEqual([ids]);
  });

  it("holds a batch for the batching window from its first record, then invokes with what arrived", async () => {
    // Prepare
    const { clock, queue, invoker } = startPoller({ batchSize: 10, maxBatchingWindowSeconds: 2 });
    const [first] = queue.send("a");
    await clock.advance(1_500);
    const [second] = queue.send("b");

    // Act
    await clock.advance(499);
    const beforeWindowEnds = invoker.events.length;
    await clock.advance(1);

    // Assess
    expect(beforeWindowEnds).toBe(0);
    expect(invoker.events.map(recordIds)).toEqual([[first, second]]);
  });

  it("invokes a full batch at once, without waiting for the window", async () => {
    // Prepare
    const { queue, invoker } = startPoller({ batchSize: 3, maxBatchingWindowSeconds: 60 });

    // Act
    const ids = queue.send("a", "b", "c", "d");
    await settle();

    // Assess
    expect(invoker.events.map(recordIds)).toEqual([ids.slice(0, 3)]);
  });

  it("divides the batching window by the time scale", async () => {
    // Prepare
    const { clock, queue, invoker } = startPoller({ maxBatchingWindowSeconds: 10 }, { timeScale: 10 });
    queue.send("a");

    // Act
    await clock.advance(999);
    const beforeWindowEnds = invoker.events.length;
    await clock.advance(1);

    // Assess
    expect(beforeWindowEnds).toBe(0);
    expect(invoker.events).toHaveLength(1);
  });

  it("closes a batch before it passes 6 MB and starts the next with the record that did not fit", async () => {
    // Prepare
    const { queue, invoker } = startPoller({ batchSize: 10, maxBatchingWindowSeconds: 0 });
    invoker.answerWith(() => succeeded());
    const oneMebibyte = "x".repeat(1024 * 1024);

    // Act
    const ids = queue.send(...Array.from({ length: 8 }, () => oneMebibyte));
    await settle();

    // Assess
    expect(invoker.events.map(recordIds)).toEqual([ids.slice(0, 5), ids.slice(5)]);
    expect(queue.deletedIds).toEqual(ids);
  });
});

describe("SqsEventSourcePoller concurrency", () => {
  it("never runs more batches at once than maxConcurrency, and receives nothing while every slot is busy", async () => {
    // Prepare
    const { queue, invoker } = startPoller({ batchSize: 1, maxConcurrency: 3 });
    const ids = queue.send(...Array.from({ length: 10 }, (_, index) => `body-${index}`));

    // Act
    await settle();
    const busy = { held: invoker.held.length, stillInQueue: queue.visibleCount };
    while (invoker.held.length > 0) {
      invoker.held[0]?.respond(succeeded());
      await settle();
    }

    // Assess
    expect(busy).toEqual({ held: 3, stillInQueue: 7 });
    expect(invoker.maxInFlight).toBe(3);
    expect(queue.deletedIds.toSorted()).toEqual(ids.toSorted());
  });

  it("runs five batches at once when the mapping sets no maximum concurrency", async () => {
    // Prepare
    const { queue, invoker } = startPoller({ batchSize: 1 });

    // Act
    queue.send(...Array.from({ length: 8 }, (_, index) => `body-${index}`));
    await settle();

    // Assess
    expect(invoker.held).toHaveLength(5);
  });
});

describe("SqsEventSourcePoller and the function's execution environments", () => {
  it("takes no more batches at once than the function has execution environments", async () => {
    // Prepare
    const invoker = new ScriptedInvoker(FUNCTION_NAME);
    invoker.concurrencyLimit = 2;
    const { queue } = startPoller({ batchSize: 1, maxConcurrency: 5 }, { invoker });
    queue.send(...Array.from({ length: 6 }, (_, index) => `body-${index}`));

    // Act
    await settle();
    const busy = { held: invoker.held.length, stillInQueue: queue.visibleCount };
    while (invoker.held.length > 0) {
      for (const held of [...invoker.held]) held.respond(succeeded());
      await settle();
    }

    // Assess
    expect(busy).toEqual({ held: 2, stillInQueue: 4 });
    expect(invoker.maxInFlight).toBe(2);
  });

  it("asks the queue to keep received messages invisible for as long as the invocation can run", async () => {
    // Prepare
    const { queue, invoker } = startPoller();
    invoker.longestInvocationMs = 40_000;
    invoker.answerWith(() => succeeded());

    // Act
    queue.send("a");
    await settle();

    // Assess
    expect(queue.minInvisibleRequests[0]).toBe(40_000);
  });

  it("gives failed messages the queue's visibility back, counted from their receive, once the invocation has ended", async () => {
    // Prepare
    const { clock, queue, invoker } = startPoller();
    queue.visibilityTimeoutMs = 3_000;
    const [first, second] = queue.send("a", "b");

    // Act: the function reports the first record failed after 1 s of work.
    await settle();
    await clock.advance(1_000);
    invoker.held[0]?.respond(succeeded({ batchItemFailures: [{ itemIdentifier: first }] }));
    await settle();

    // Assess
    expect(queue.released).toEqual([{ messageId: first, afterMs: 2_000 }]);
    expect(queue.deletedIds).toEqual([second]);
  });

  it("keeps messages invisible after a runtime crash, whose work may still be marked in progress", async () => {
    // Prepare
    const { queue, invoker } = startPoller();
    queue.visibilityTimeoutMs = 3_000;
    invoker.answerWith(() => failed("Runtime.ExitError", "Runtime exited with error: exit status 1"));

    // Act
    queue.send("a");
    await settle();

    // Assess
    expect(queue.released).toEqual([]);
    expect(queue.inFlightIds).toHaveLength(1);
  });
});

describe("SqsEventSourcePoller lifecycle", () => {
  it("on stop, invokes a batch still inside its window and waits for running invocations", async () => {
    // Prepare
    const { queue, invoker, poller } = startPoller({ maxBatchingWindowSeconds: 60 });
    const ids = queue.send("a");
    await settle();
    let stopped = false;

    // Act
    const stopping = poller.stop().then(() => {
      stopped = true;
    });
    await settle();
    const stoppedBeforeAnswer = stopped;
    invoker.held[0]?.respond(succeeded());
    await stopping;

    // Assess
    expect(stoppedBeforeAnswer).toBe(false);
    expect(invoker.events.map(recordIds)).toEqual([ids]);
    expect(queue.deletedIds).toEqual(ids);
    expect(poller.polling).toBe(false);
  });

  it("on stop, invokes every record a late receive returned, even past one batch", async () => {
    // Prepare
    const { queue, invoker, poller } = startPoller({ batchSize: 10 }, {}, { ignoreAbort: true });
    invoker.answerWith(() => succeeded());
    await settle();
    const stopping = poller.stop();

    // Act
    const ids = queue.send(...Array.from({ length: 8 }, () => "x".repeat(1024 * 1024)));
    await stopping;

    // Assess
    expect(invoker.events.map(recordIds)).toEqual([ids.slice(0, 5), ids.slice(5)]);
  });

  it("reports a failed receive and receives again after a pause", async () => {
    // Prepare
    const { clock, queue, invoker, errors } = startPoller({}, { timeScale: 2 });
    invoker.answerWith(() => succeeded());
    queue.failNextReceive(new Error("connection reset"));
    await settle();
    const ids = queue.send("a");

    // Act
    await clock.advance(499);
    const beforePause = invoker.events.length;
    await clock.advance(1);

    // Assess
    expect(errors.map((error) => error.operation)).toEqual(["receive"]);
    expect(beforePause).toBe(0);
    expect(queue.deletedIds).toEqual(ids);
  });

  it("does not poll a disabled mapping", async () => {
    // Prepare
    const { queue, poller } = startPoller({ enabled: false });

    // Act
    queue.send("a");
    await settle();

    // Assess
    expect(queue.receiveCalls).toBe(0);
    expect(poller.polling).toBe(false);
  });
});

describe("SqsEventSourcePoller settings", () => {
  it.each([
    [{ batchSize: 0 }, "batchSize must be an integer from 1 to 10000, got 0"],
    [
      { batchSize: 10_001, maxBatchingWindowSeconds: 1 },
      "batchSize must be an integer from 1 to 10000, got 10001",
    ],
    [
      { batchSize: 11, queueArn: `${QUEUE_ARN}.fifo` },
      "batchSize must be an integer from 1 to 10 for a FIFO queue, got 11",
    ],
    [
      { batchSize: 100, maxBatchingWindowSeconds: 0 },
      "maxBatchingWindowSeconds must be at least 1 when batchSize is above 10",
    ],
    [{ maxBatchingWindowSeconds: 301 }, "maxBatchingWindowSeconds must be from 0 to 300, got 301"],
    [{ maxConcurrency: 1 }, "maxConcurrency must be an integer from 2 to 1000, or unset, got 1"],
    [
      { functionName: "payments-consumer" },
      "invokes function payments-consumer, but the poller was given function",
    ],
  ])("rejects mapping %j", (override, message) => {
    // Prepare
    const clock = new ManualClock();
    const mapping = aMapping(override);
    const queue = new InMemoryEventSourceQueue(mapping.queueArn, clock);

    // Act
    const create = () =>
      new SqsEventSourcePoller({ mapping, queue, invoker: new ScriptedInvoker(FUNCTION_NAME), clock });

    // Assess
    expect(create).toThrow(EventSourceMappingError);
    expect(create).toThrow(message);
  });

  it("rejects a queue other than the mapping's", () => {
    // Prepare
    const clock = new ManualClock();
    const queue = new InMemoryEventSourceQueue("arn:aws:sqs:eu-west-1:000000000000:payments-queue", clock);

    // Act
    const create = () =>
      new SqsEventSourcePoller({
        mapping: aMapping(),
        queue,
        invoker: new ScriptedInvoker(FUNCTION_NAME),
        clock,
      });

    // Assess
    expect(create).toThrow(`reads queue ${QUEUE_ARN}, but the poller was given queue`);
  });
});

describe("formatBatchInvocationReport", () => {
  const base = {
    mappingId: "InventoryMapping",
    functionName: FUNCTION_NAME,
    queueArn: QUEUE_ARN,
    requestId: "req-1",
    messageIds: ["m1", "m2", "m3"],
    durationMs: 4.25,
  } as const;

  it.each([
    [
      { outcome: { kind: "succeeded" }, deletedCount: 3 },
      "inventory-consumer ◀ 3 from inventory-queue: ok, 3 deleted [4.3 ms]",
    ],
    [
      {
        outcome: { kind: "partially-failed", failedMessageIds: ["m2"] },
        deletedCount: 2,
        initDurationMs: 120,
      },
      "inventory-consumer ◀ 3 from inventory-queue: 1 failed (batchItemFailures), 2 deleted [4.3 ms, cold start 120.0 ms]",
    ],
    [
      {
        outcome: { kind: "invalid-response", reason: "batchItemFailures must be a list, got 3" },
        deletedCount: 0,
      },
      "inventory-consumer ◀ 3 from inventory-queue: invalid batch response, whole batch failed: batchItemFailures must be a list, got 3; 0 deleted [4.3 ms]",
    ],
    [
      {
        outcome: {
          kind: "function-error",
          errorType: "Sandbox.Timedout",
          errorMessage: "Task timed out after 30.00 seconds",
        },
        deletedCount: 0,
      },
      "inventory-consumer ◀ 3 from inventory-queue: error Sandbox.Timedout: Task timed out after 30.00 seconds; 0 deleted [4.3 ms]",
    ],
  ] satisfies [
    Pick<BatchInvocationReport, "outcome" | "deletedCount"> & Partial<BatchInvocationReport>,
    string,
  ][])("renders %j as one line", (report, line) => {
    // Act
    const text = formatBatchInvocationReport({ ...base, ...report });

    // Assess
    expect(text).toBe(line);
  });
});
