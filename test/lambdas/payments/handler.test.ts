import { ConditionalCheckFailedException, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handler } from "../../../lambdas/payments/handler";
import { decidePayment, PAYMENT_LIMIT_MINOR_UNITS } from "../../../lambdas/payments/payment";
import { acceptAllEvents, refuseAllEvents, sentEvents } from "../support/bus";
import { anEvent, lambdaContext, sqsEvent, sqsRecord } from "../support/events";
import { FakeIdempotencyTable } from "../support/idempotency-table";
import { CapturedOutput } from "../support/output";

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "payments",
    POWERTOOLS_METRICS_NAMESPACE: "eventrail",
    IDEMPOTENCY_TABLE_NAME: "idempotency",
    STATE_TABLE_NAME: "payments-state",
    EVENT_BUS_NAME: "eventrail-bus",
    EVENTRAIL_PRODUCER: "payments",
    AWS_REGION: "eu-west-1",
  });
});

const idempotencyClient = mockClient(DynamoDBClient);
const stateTable = mockClient(DynamoDBDocumentClient);
const eventBridge = mockClient(EventBridgeClient);
let output: CapturedOutput;
let idempotencyTable: FakeIdempotencyTable;

beforeEach(() => {
  idempotencyClient.reset();
  stateTable.reset();
  eventBridge.reset();
  idempotencyTable = new FakeIdempotencyTable(idempotencyClient);
  stateTable.on(PutCommand).resolves({});
  acceptAllEvents(eventBridge);
  output = new CapturedOutput();
});

afterEach(() => {
  output.restore();
});

/** Stock was reserved for an order of `amount` minor units placed by `customerId`. */
function inventoryReserved(customerId = "CUST-5678", amount = 4_999) {
  return anEvent("InventoryReserved", {
    data: { orderId: "ORD-2001", customerId, total: { amount, currency: "EUR" } },
  });
}

describe("payments consumer", () => {
  it("records the payment once per order and publishes PaymentProcessed in the order's flow", async () => {
    // Prepare
    const reserved = inventoryReserved();

    // Act
    const response = await handler(sqsEvent(sqsRecord(reserved)), lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(stateTable.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      TableName: "payments-state",
      Item: {
        pk: "PAYMENT#ORD-2001",
        sk: "PAYMENT",
        status: "processed",
        paymentId: "PAY-ORD-2001",
        amount: { amount: 4_999, currency: "EUR" },
        reservationId: "RES-ORD-1234",
      },
      ConditionExpression: "attribute_not_exists(pk)",
    });
    expect(sentEvents(eventBridge)).toEqual([
      {
        eventBusName: "eventrail-bus",
        source: "eventrail.payments",
        detailType: "PaymentProcessed",
        metadata: expect.objectContaining({
          correlationId: reserved.detail.metadata.correlationId,
          causationId: reserved.detail.metadata.eventId,
          producer: "payments",
        }),
        data: {
          orderId: "ORD-2001",
          customerId: "CUST-5678",
          paymentId: "PAY-ORD-2001",
          amount: { amount: 4_999, currency: "EUR" },
        },
      },
    ]);
  });

  it("publishes PaymentFailed for a declined card, and the record succeeds: a decline is an answer", async () => {
    // Prepare
    const reserved = inventoryReserved("CUST-77-DECLINE");

    // Act
    const response = await handler(sqsEvent(sqsRecord(reserved)), lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sentEvents(eventBridge)).toEqual([
      expect.objectContaining({
        detailType: "PaymentFailed",
        data: {
          orderId: "ORD-2001",
          customerId: "CUST-77-DECLINE",
          amount: { amount: 4_999, currency: "EUR" },
          reason: "card-declined",
        },
      }),
    ]);
  });

  it("publishes the outcome recorded earlier when the order was already charged, without charging again", async () => {
    // Prepare
    stateTable
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }),
      );
    stateTable.on(GetCommand).resolves({
      Item: {
        pk: "PAYMENT#ORD-2001",
        sk: "PAYMENT",
        status: "declined",
        orderId: "ORD-2001",
        customerId: "CUST-5678",
        amount: { amount: 4_999, currency: "EUR" },
        reason: "insufficient-funds",
      },
    });

    // Act
    const response = await handler(sqsEvent(sqsRecord(inventoryReserved())), lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(sentEvents(eventBridge).map((event) => [event.detailType, event.data.reason])).toEqual([
      ["PaymentFailed", "insufficient-funds"],
    ]);
  });

  it("does not charge or publish again when the same event is delivered twice", async () => {
    // Prepare
    const reserved = inventoryReserved();

    // Act
    await handler(sqsEvent(sqsRecord(reserved)), lambdaContext());
    const duplicate = await handler(sqsEvent(sqsRecord(reserved)), lambdaContext());

    // Assess
    expect(duplicate.batchItemFailures).toEqual([]);
    expect(stateTable.commandCalls(PutCommand)).toHaveLength(1);
    expect(sentEvents(eventBridge)).toHaveLength(1);
  });

  it("re-publishes PaymentProcessed with the same eventId when a crash made SQS deliver the event again", async () => {
    // Prepare: the first handling charged and published, then the function died before its
    // idempotency record was completed (the in-progress record expires); the retry finds the payment.
    const reserved = inventoryReserved();
    await handler(sqsEvent(sqsRecord(reserved)), lambdaContext());
    const [recorded] = stateTable.commandCalls(PutCommand).map((call) => call.args[0].input.Item);
    idempotencyTable.items.clear();
    stateTable
      .on(PutCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: "The conditional request failed", $metadata: {} }),
      );
    stateTable.on(GetCommand).resolves({ Item: recorded });

    // Act
    const retry = await handler(sqsEvent(sqsRecord(reserved, { receiveCount: 2 })), lambdaContext());

    // Assess: two copies of one fact, which every idempotent consumer downstream tells apart by its id.
    expect(retry.batchItemFailures).toEqual([]);
    const [first, copy] = sentEvents(eventBridge);
    expect(copy?.detailType).toBe("PaymentProcessed");
    expect(copy?.metadata.eventId).toBe(first?.metadata.eventId);
    expect(copy?.data).toEqual(first?.data);
  });

  it("fails only the poisoned record of a batch", async () => {
    // Prepare
    const poisoned = sqsRecord({ ...inventoryReserved(), detail: "not an object" });

    // Act
    const response = await handler(sqsEvent(sqsRecord(inventoryReserved()), poisoned), lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poisoned.messageId }]);
    expect(sentEvents(eventBridge)).toHaveLength(1);
  });

  it("fails the record when the bus refuses the follow-up, so that SQS retries it", async () => {
    // Prepare
    refuseAllEvents(eventBridge);

    // Act
    const invocation = handler(sqsEvent(sqsRecord(inventoryReserved())), lambdaContext());

    // Assess: a batch whose every record failed fails the invocation itself
    await expect(invocation).rejects.toMatchObject({ name: "FullBatchFailureError" });
    expect(output.logs("Event processing failed")[0]?.error).toMatchObject({ name: "FollowUpPublishError" });
  });
});

describe("decidePayment", () => {
  it.each([
    { customerId: "CUST-1", amount: 4_999, outcome: "approved", decision: { approved: true } },
    {
      customerId: "CUST-1",
      amount: PAYMENT_LIMIT_MINOR_UNITS,
      outcome: "approved",
      decision: { approved: true },
    },
    {
      customerId: "CUST-1",
      amount: PAYMENT_LIMIT_MINOR_UNITS + 1,
      outcome: "limit-exceeded",
      decision: { approved: false, reason: "limit-exceeded" },
    },
    {
      customerId: "CUST-1-DECLINE",
      amount: 1,
      outcome: "card-declined",
      decision: { approved: false, reason: "card-declined" },
    },
    {
      customerId: "CUST-1-NOFUNDS",
      amount: 1,
      outcome: "insufficient-funds",
      decision: { approved: false, reason: "insufficient-funds" },
    },
  ])("answers $outcome for $customerId charged $amount", ({ customerId, amount, decision }) => {
    // Act
    const decided = decidePayment({ customerId, amount: { amount, currency: "EUR" } });

    // Assess
    expect(decided).toEqual(decision);
  });
});
