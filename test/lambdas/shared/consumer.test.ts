import { FullBatchFailureError } from "@aws-lambda-powertools/batch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  ConsumerConfigurationError,
  createConsumer,
  type EventHandler,
  FollowUpPublishError,
} from "../../../lambdas/shared/consumer";
import { MissingEnvironmentVariableError, requireEnv } from "../../../lambdas/shared/env";
import { logger } from "../../../lambdas/shared/powertools";
import type { EventTypeName } from "../../../lib/catalog";
import { followUpEventId } from "../../../lib/producer/follow-up";
import { InMemoryPublisher } from "../../../lib/producer/in-memory-publisher";
import { anEvent, lambdaContext, sqsEvent, sqsRecord } from "../support/events";
import { FakeIdempotencyTable } from "../support/idempotency-table";
import { CapturedOutput } from "../support/output";

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "test-consumer",
    POWERTOOLS_METRICS_NAMESPACE: "eventrail",
    IDEMPOTENCY_TABLE_NAME: "idempotency",
    AWS_REGION: "eu-west-1",
  });
});

const dynamodb = mockClient(DynamoDBClient);
let idempotencyTable: FakeIdempotencyTable;
let output: CapturedOutput;

beforeEach(() => {
  dynamodb.reset();
  idempotencyTable = new FakeIdempotencyTable(dynamodb);
  output = new CapturedOutput();
});

afterEach(() => {
  output.restore();
});

/** A handler that records the events it was called with. */
function recordingHandler<N extends EventTypeName>(): EventHandler<N> & { calls: unknown[] } {
  const calls: unknown[] = [];
  const handler = Object.assign(
    async (event: Parameters<EventHandler<N>>[0]) => {
      calls.push(event);
    },
    { calls },
  );
  return handler;
}

describe("createConsumer", () => {
  it("hands every valid record to its type's handler and reports no failure", async () => {
    // Prepare
    const onPlaced = recordingHandler<"OrderPlaced">();
    const handler = createConsumer({ handlers: { OrderPlaced: onPlaced } });
    const sent = anEvent("OrderPlaced");

    // Act
    const response = await handler(
      sqsEvent(sqsRecord(sent), sqsRecord(anEvent("OrderPlaced"))),
      lambdaContext(),
    );

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(onPlaced.calls).toHaveLength(2);
    expect(onPlaced.calls[0]).toMatchObject({
      detailType: "OrderPlaced",
      data: sent.detail.data,
      metadata: sent.detail.metadata,
    });
  });

  it("fails only the poisoned records of a batch, logging each with its reason", async () => {
    // Prepare
    const onPlaced = recordingHandler<"OrderPlaced">();
    const handler = createConsumer({ handlers: { OrderPlaced: onPlaced } });
    const notJson = sqsRecord("{oops");
    const unknownType = sqsRecord({ ...anEvent("OrderPlaced"), "detail-type": "OrderTeleported" });
    const invalidData = sqsRecord(
      anEvent("OrderPlaced", { data: { total: { amount: -1, currency: "EUR" } } }),
    );

    // Act
    const response = await handler(
      sqsEvent(
        sqsRecord(anEvent("OrderPlaced")),
        notJson,
        unknownType,
        invalidData,
        sqsRecord(anEvent("OrderPlaced")),
      ),
      lambdaContext(),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: notJson.messageId },
      { itemIdentifier: unknownType.messageId },
      { itemIdentifier: invalidData.messageId },
    ]);
    expect(onPlaced.calls).toHaveLength(2);
    expect(output.logs("Rejected record").map((line) => [line.messageId, line.reason])).toEqual([
      [notJson.messageId, "invalid-json"],
      [unknownType.messageId, "unknown-event-type"],
      [invalidData.messageId, "invalid-detail"],
    ]);
    expect(output.metric("RejectedRecords").reduce((sum, { value }) => sum + value, 0)).toBe(3);
  });

  it("puts each record's correlation id on every log line written while it is handled, and only then", async () => {
    // Prepare
    const handler = createConsumer({
      handlers: {
        OrderCancelled: async (event, { logger }) => {
          logger.info("handler speaking", { orderId: event.data.orderId });
        },
      },
    });
    const first = anEvent("OrderCancelled");
    const second = anEvent("OrderCancelled");

    // Act
    await handler(sqsEvent(sqsRecord(first), sqsRecord(second)), lambdaContext());
    logger.info("after the batch");

    // Assess
    const spoken = output.logs("handler speaking");
    expect(spoken.map((line) => line.correlationId)).toEqual([
      first.detail.metadata.correlationId,
      second.detail.metadata.correlationId,
    ]);
    expect(spoken.map((line) => line.eventId)).toEqual([
      first.detail.metadata.eventId,
      second.detail.metadata.eventId,
    ]);
    const [after] = output.logs("after the batch");
    expect(after).toBeDefined();
    expect(after).not.toHaveProperty("correlationId");
    const duringTheBatch = output.logs().filter((line) => line !== after);
    expect(duringTheBatch.every((line) => line.correlationId !== undefined)).toBe(true);
  });

  it("skips a duplicate delivery of an eventId it has already processed", async () => {
    // Prepare
    const onPlaced = recordingHandler<"OrderPlaced">();
    const handler = createConsumer({ handlers: { OrderPlaced: onPlaced } });
    const sent = anEvent("OrderPlaced");

    // Act
    const first = await handler(sqsEvent(sqsRecord(sent)), lambdaContext());
    const again = await handler(sqsEvent(sqsRecord(sent)), lambdaContext());

    // Assess
    expect(first.batchItemFailures).toEqual([]);
    expect(again.batchItemFailures).toEqual([]);
    expect(onPlaced.calls).toHaveLength(1);
    expect(output.logs("Duplicate delivery skipped")).toHaveLength(1);
    expect(Object.values(idempotencyTable.statuses())).toEqual(["COMPLETED"]);
    expect([...idempotencyTable.items.keys()][0]).toMatch(/^test-consumer#/);
  });

  it("processes a replayed event, logs it as a replay, and keeps it idempotent", async () => {
    // Prepare
    const onCancelled = recordingHandler<"OrderCancelled">();
    const handler = createConsumer({ handlers: { OrderCancelled: onCancelled } });
    const replayed = anEvent("OrderCancelled", { replayName: "recover-2026-03-02" });

    // Act
    await handler(sqsEvent(sqsRecord(replayed)), lambdaContext());
    await handler(sqsEvent(sqsRecord(replayed)), lambdaContext());

    // Assess
    expect(onCancelled.calls).toEqual([expect.objectContaining({ replayName: "recover-2026-03-02" })]);
    const replayLines = output.logs("replayed from the archive");
    expect(replayLines).toHaveLength(2);
    expect(replayLines[0]?.replayName).toBe("recover-2026-03-02");
    expect(output.logs("Duplicate delivery skipped")).toHaveLength(1);
  });

  it("fails a record whose handler throws, and runs it again when SQS redelivers it", async () => {
    // Prepare
    let attempts = 0;
    const handler = createConsumer({
      handlers: {
        OrderCancelled: async () => {
          attempts += 1;
          if (attempts === 1) throw new Error("downstream unavailable");
        },
      },
    });
    const record = sqsRecord(anEvent("OrderCancelled"));
    const healthy = sqsRecord(anEvent("OrderCancelled"));

    // Act
    const first = await handler(sqsEvent(record, healthy), lambdaContext());
    const redelivery = await handler(
      sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: "2" } }),
      lambdaContext(),
    );

    // Assess
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(redelivery.batchItemFailures).toEqual([]);
    expect(attempts).toBe(3);
    expect(output.logs("Event processing failed")[0]).toMatchObject({
      receiveCount: 1,
      error: expect.objectContaining({ message: "downstream unavailable" }),
    });
  });

  it("throws when every record of the batch fails, so the invocation itself reports the failure", async () => {
    // Prepare
    const handler = createConsumer({ handlers: { OrderPlaced: recordingHandler<"OrderPlaced">() } });

    // Act
    const invocation = handler(sqsEvent(sqsRecord("not json"), sqsRecord("[]")), lambdaContext());

    // Assess
    await expect(invocation).rejects.toBeInstanceOf(FullBatchFailureError);
  });

  it("fails a record whose eventId was already processed with other data", async () => {
    // Prepare
    const onPlaced = recordingHandler<"OrderPlaced">();
    const handler = createConsumer({ handlers: { OrderPlaced: onPlaced } });
    const original = anEvent("OrderPlaced");
    const impostor = anEvent("OrderPlaced", {
      metadata: { eventId: original.detail.metadata.eventId },
      data: { orderId: "ORD-OTHER" },
    });

    // Act
    await handler(sqsEvent(sqsRecord(original)), lambdaContext());
    const response = await handler(
      sqsEvent(sqsRecord(impostor), sqsRecord(anEvent("OrderPlaced"))),
      lambdaContext(),
    );

    // Assess
    expect(response.batchItemFailures).toHaveLength(1);
    expect(onPlaced.calls).toHaveLength(2);
    expect(output.logs("Event processing failed")[0]?.error).toMatchObject({
      name: "IdempotencyValidationError",
    });
  });

  describe("follow-up events", () => {
    it("joins the consumed event's flow: same correlationId, causationId = the consumed eventId", async () => {
      // Prepare
      const publisher = new InMemoryPublisher({ producer: "test-consumer" });
      const handler = createConsumer({
        publisher: () => publisher,
        handlers: {
          OrderCancelled: async (event, { publishFollowUp }) => {
            await publishFollowUp("InventoryReservationFailed", {
              orderId: event.data.orderId,
              customerId: event.data.customerId,
              reason: "unknown-sku",
              skus: ["NOPE"],
            });
          },
        },
      });
      const cause = anEvent("OrderCancelled");

      // Act
      const response = await handler(sqsEvent(sqsRecord(cause)), lambdaContext());

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      const [published] = publisher.ofType("InventoryReservationFailed");
      expect(published?.metadata).toMatchObject({
        correlationId: cause.detail.metadata.correlationId,
        causationId: cause.detail.metadata.eventId,
        producer: "test-consumer",
      });
    });

    it("fails the record when the bus refuses the follow-up, so the record is retried instead of marked done", async () => {
      // Prepare
      let refuse = true;
      const publisher = new InMemoryPublisher({
        failEntry: () =>
          refuse ? { errorCode: "AccessDeniedException", errorMessage: "not authorized" } : undefined,
      });
      const handler = createConsumer({
        publisher: () => publisher,
        handlers: {
          OrderCancelled: async (event, { publishFollowUp }) => {
            await publishFollowUp("InventoryReservationFailed", {
              orderId: event.data.orderId,
              customerId: event.data.customerId,
              reason: "unknown-sku",
              skus: ["NOPE"],
            });
          },
          PaymentFailed: recordingHandler<"PaymentFailed">(),
        },
      });
      const record = sqsRecord(anEvent("OrderCancelled"));

      // Act
      const refused = await handler(sqsEvent(record, sqsRecord(anEvent("PaymentFailed"))), lambdaContext());
      const rememberedAfterRefusal = Object.values(idempotencyTable.statuses());
      refuse = false;
      const redelivered = await handler(sqsEvent(record), lambdaContext());

      // Assess
      expect(refused.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(output.logs("Event processing failed")[0]?.error).toMatchObject({
        name: FollowUpPublishError.name,
      });
      // Only the healthy PaymentFailed record is remembered; the refused one is free to run again.
      expect(rememberedAfterRefusal).toEqual(["COMPLETED"]);
      expect(redelivered.batchItemFailures).toEqual([]);
      expect(publisher.ofType("InventoryReservationFailed")).toHaveLength(1);
    });

    describe("deterministic eventIds", () => {
      const reservationFailed = (orderId: string, skus: string[]) =>
        ({ orderId, customerId: "CUST-1", reason: "unknown-sku", skus }) as const;

      /**
       * A consumer whose OrderCancelled handler publishes two follow-ups, then fails its first
       * `crashes` handlings: the follow-ups went out, but the record was not marked done, as when
       * the function crashes or times out after publishing.
       */
      function publishingTwice(publisher: InMemoryPublisher, crashes = 0) {
        let handlings = 0;
        return createConsumer({
          publisher: () => publisher,
          handlers: {
            OrderCancelled: async (event, { publishFollowUp }) => {
              await publishFollowUp(
                "InventoryReservationFailed",
                reservationFailed(event.data.orderId, ["A"]),
              );
              await publishFollowUp(
                "InventoryReservationFailed",
                reservationFailed(event.data.orderId, ["B"]),
              );
              handlings += 1;
              if (handlings <= crashes) throw new Error("crashed after publishing");
            },
          },
        });
      }

      it("re-publishes identical eventIds when the same consumed event is handled again", async () => {
        // Prepare
        const publisher = new InMemoryPublisher({ producer: "test-consumer" });
        const handler = publishingTwice(publisher, 1);
        const record = sqsRecord(anEvent("OrderCancelled"));

        // Act
        const crashed = handler(sqsEvent(record), lambdaContext());
        await expect(crashed).rejects.toBeInstanceOf(FullBatchFailureError);
        const retried = await handler(
          sqsEvent({ ...record, attributes: { ...record.attributes, ApproximateReceiveCount: "2" } }),
          lambdaContext(),
        );

        // Assess
        expect(retried.batchItemFailures).toEqual([]);
        const ids = publisher.ofType("InventoryReservationFailed").map((event) => event.metadata.eventId);
        expect(ids).toHaveLength(4);
        expect(ids.slice(2)).toEqual(ids.slice(0, 2));
      });

      it("derives each follow-up's id from the consumed eventId, the consumer, the detail-type and the position", async () => {
        // Prepare
        const publisher = new InMemoryPublisher({ producer: "test-consumer" });
        const cause = anEvent("OrderCancelled");

        // Act
        await publishingTwice(publisher)(sqsEvent(sqsRecord(cause)), lambdaContext());

        // Assess: two follow-ups of one event, even of one type, get different ids.
        const ids = publisher.ofType("InventoryReservationFailed").map((event) => event.metadata.eventId);
        expect(ids).toEqual(
          [0, 1].map((position) =>
            followUpEventId(cause.detail.metadata.eventId, "InventoryReservationFailed", {
              position,
              consumer: "test-consumer",
            }),
          ),
        );
        expect(new Set(ids).size).toBe(2);
        expect(output.logs("Published follow-up event").map((line) => line.followUp)).toEqual([
          { detailType: "InventoryReservationFailed", eventId: ids[0], position: 0 },
          { detailType: "InventoryReservationFailed", eventId: ids[1], position: 1 },
        ]);
      });

      it("gives the follow-ups of different consumed events different ids", async () => {
        // Prepare
        const publisher = new InMemoryPublisher({ producer: "test-consumer" });
        const handler = publishingTwice(publisher);

        // Act
        await handler(
          sqsEvent(sqsRecord(anEvent("OrderCancelled")), sqsRecord(anEvent("OrderCancelled"))),
          lambdaContext(),
        );

        // Assess
        const ids = publisher.ofType("InventoryReservationFailed").map((event) => event.metadata.eventId);
        expect(ids).toHaveLength(4);
        expect(new Set(ids).size).toBe(4);
      });

      it("numbers concurrent follow-ups in the order they were published", async () => {
        // Prepare
        const publisher = new InMemoryPublisher({ producer: "test-consumer" });
        const cause = anEvent("OrderCancelled");
        const handler = createConsumer({
          publisher: () => publisher,
          handlers: {
            OrderCancelled: async (event, { publishFollowUp }) => {
              await Promise.all([
                publishFollowUp("InventoryReservationFailed", reservationFailed(event.data.orderId, ["A"])),
                publishFollowUp("InventoryReservationFailed", reservationFailed(event.data.orderId, ["B"])),
              ]);
            },
          },
        });

        // Act
        await handler(sqsEvent(sqsRecord(cause)), lambdaContext());

        // Assess
        const bySku = Object.fromEntries(
          publisher
            .ofType("InventoryReservationFailed")
            .map((event) => [event.data.skus[0], event.metadata.eventId]),
        );
        const idAt = (position: number) =>
          followUpEventId(cause.detail.metadata.eventId, "InventoryReservationFailed", {
            position,
            consumer: "test-consumer",
          });
        expect(bySku).toEqual({ A: idAt(0), B: idAt(1) });
      });

      it("lets an idempotent consumer downstream skip the copy a retry re-published", async () => {
        // Prepare: the upstream consumer publishes, crashes, and publishes again on its retry.
        const publisher = new InMemoryPublisher({ producer: "test-consumer" });
        const upstream = publishingTwice(publisher, 1);
        const record = sqsRecord(anEvent("OrderCancelled"));
        await upstream(sqsEvent(record), lambdaContext()).catch(() => undefined);
        await upstream(sqsEvent(record), lambdaContext());
        const onFailed = recordingHandler<"InventoryReservationFailed">();
        const downstream = createConsumer({ handlers: { InventoryReservationFailed: onFailed } });
        const delivered = publisher.published.map((event) =>
          sqsRecord({ ...anEvent("InventoryReservationFailed"), detail: event.detail }),
        );

        // Act
        const response = await downstream(sqsEvent(...delivered), lambdaContext());

        // Assess: 4 deliveries, 2 facts.
        expect(response.batchItemFailures).toEqual([]);
        expect(onFailed.calls).toHaveLength(2);
        expect(output.logs("Duplicate delivery skipped")).toHaveLength(2);
      });
    });

    it("fails the record when the consumer was built without a publisher", async () => {
      // Prepare
      const handler = createConsumer({
        handlers: {
          OrderCancelled: async (event, { publishFollowUp }) => {
            await publishFollowUp("InventoryReservationFailed", {
              orderId: event.data.orderId,
              customerId: event.data.customerId,
              reason: "unknown-sku",
              skus: ["NOPE"],
            });
          },
          PaymentFailed: recordingHandler<"PaymentFailed">(),
        },
      });
      const record = sqsRecord(anEvent("OrderCancelled"));

      // Act
      const response = await handler(sqsEvent(record, sqsRecord(anEvent("PaymentFailed"))), lambdaContext());

      // Assess
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
      expect(output.logs("Event processing failed")[0]?.error).toMatchObject({
        name: "ConsumerConfigurationError",
      });
    });
  });

  it("refuses an idempotency window that is not a whole number of seconds, naming the option", () => {
    // Act
    const build = () => createConsumer({ handlers: {}, idempotency: { windowSeconds: 0.5 } });

    // Assess
    expect(build).toThrow(ConsumerConfigurationError);
    expect(build).toThrow(/idempotency.windowSeconds is 0.5/);
  });

  it("publishes its processing metrics once the batch is done", async () => {
    // Prepare
    const handler = createConsumer({ handlers: { OrderPlaced: recordingHandler<"OrderPlaced">() } });
    const sent = anEvent("OrderPlaced");

    // Act
    await handler(sqsEvent(sqsRecord(sent), sqsRecord(sent), sqsRecord("{")), lambdaContext());

    // Assess
    expect(output.metric("ProcessedEvents")).toEqual([
      { value: 1, dimensions: { service: "test-consumer" } },
    ]);
    expect(output.metric("DuplicateEvents")).toEqual([
      { value: 1, dimensions: { service: "test-consumer" } },
    ]);
    expect(output.metric("RejectedRecords")).toEqual([
      { value: 1, dimensions: { service: "test-consumer" } },
    ]);
  });
});

describe("requireEnv", () => {
  it("names the missing variable", () => {
    // Act
    const read = () => requireEnv("EVENTRAIL_SURELY_UNSET");

    // Assess
    expect(read).toThrow(MissingEnvironmentVariableError);
    expect(read).toThrow(/EVENTRAIL_SURELY_UNSET is not set/);
  });

  it("returns a set variable", () => {
    // Act
    const value = requireEnv("POWERTOOLS_SERVICE_NAME");

    // Assess
    expect(value).toBe("test-consumer");
  });
});
