import { DynamoDBClient, TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handler } from "../../../lambdas/payments/handler";
import { decidePayment, PAYMENT_LIMIT_MINOR_UNITS } from "../../../lambdas/payments/payment";
import { anEvent, lambdaContext, sqsEvent, sqsRecord } from "../support/events";
import { FakeIdempotencyTable } from "../support/idempotency-table";
import { committedOutboxEvents } from "../support/outbox";
import { CapturedOutput } from "../support/output";

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "payments",
    POWERTOOLS_METRICS_NAMESPACE: "eventrail",
    IDEMPOTENCY_TABLE_NAME: "idempotency",
    STATE_TABLE_NAME: "payments-state",
    OUTBOX_TABLE_NAME: "outbox",
    EVENTRAIL_PRODUCER: "payments",
    AWS_REGION: "eu-west-1",
  });
});

const idempotencyClient = mockClient(DynamoDBClient);
const stateTable = mockClient(DynamoDBDocumentClient);
let output: CapturedOutput;

beforeEach(() => {
  idempotencyClient.reset();
  stateTable.reset();
  new FakeIdempotencyTable(idempotencyClient);
  stateTable.on(TransactWriteCommand).resolves({});
  output = new CapturedOutput();
});

afterEach(() => {
  output.restore();
});

/** DynamoDB's answer when the order has a payment already: the payment's condition failed. */
function alreadyCharged() {
  return new TransactionCanceledException({
    message: "Transaction cancelled, please refer cancellation reasons for specific reasons",
    $metadata: {},
    CancellationReasons: [{ Code: "ConditionalCheckFailed" }, { Code: "None" }],
  });
}

/** Stock was reserved for an order of `amount` minor units placed by `customerId`. */
function inventoryReserved(customerId = "CUST-5678", amount = 4_999) {
  return anEvent("InventoryReserved", {
    data: { orderId: "ORD-2001", customerId, total: { amount, currency: "EUR" } },
  });
}

describe("payments consumer", () => {
  it("records the payment once per order and writes PaymentProcessed, in the order's flow, in the same transaction", async () => {
    // Prepare
    const reserved = inventoryReserved();

    // Act
    const response = await handler(sqsEvent(sqsRecord(reserved)), lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    const actions = stateTable.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(actions).toHaveLength(2);
    expect(actions[1]?.Put?.TableName).toBe("outbox");
    expect(actions[0]?.Put).toMatchObject({
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
    expect(await committedOutboxEvents(stateTable)).toEqual([
      {
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

  it("writes PaymentFailed for a declined card, and the record succeeds: a decline is an answer", async () => {
    // Prepare
    const reserved = inventoryReserved("CUST-77-DECLINE");

    // Act
    const response = await handler(sqsEvent(sqsRecord(reserved)), lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([]);
    expect(await committedOutboxEvents(stateTable)).toEqual([
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

  it("neither charges nor writes an answer again when the order was charged before: its answer was committed then", async () => {
    // Prepare
    stateTable.on(TransactWriteCommand).rejects(alreadyCharged());
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
    expect(await committedOutboxEvents(stateTable)).toEqual([]);
    expect(output.logs("The order was charged by an earlier attempt")).toHaveLength(1);
  });

  it("does not charge or publish again when the same event is delivered twice", async () => {
    // Prepare
    const reserved = inventoryReserved();

    // Act
    await handler(sqsEvent(sqsRecord(reserved)), lambdaContext());
    const duplicate = await handler(sqsEvent(sqsRecord(reserved)), lambdaContext());

    // Assess
    expect(duplicate.batchItemFailures).toEqual([]);
    expect(stateTable.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(await committedOutboxEvents(stateTable)).toHaveLength(1);
  });

  it("writes the same PaymentProcessed eventId when a crash made SQS deliver the event again before it committed", async () => {
    // Prepare: the first handling's transaction failed (a conflict), so nothing was charged or written.
    stateTable.on(TransactWriteCommand).rejectsOnce(
      new TransactionCanceledException({
        message: "Transaction cancelled",
        $metadata: {},
        CancellationReasons: [{ Code: "TransactionConflict" }, { Code: "None" }],
      }),
    );
    const reserved = inventoryReserved();
    await expect(handler(sqsEvent(sqsRecord(reserved)), lambdaContext())).rejects.toMatchObject({
      name: "FullBatchFailureError",
    });

    // Act
    const retry = await handler(sqsEvent(sqsRecord(reserved, { receiveCount: 2 })), lambdaContext());

    // Assess: one answer, with the id the first attempt would have written.
    expect(retry.batchItemFailures).toEqual([]);
    const attempts = stateTable
      .commandCalls(TransactWriteCommand)
      .map(
        (call) =>
          JSON.parse(String(call.args[0].input.TransactItems?.[1]?.Put?.Item?.detail)).metadata.eventId,
      );
    expect(attempts).toHaveLength(2);
    expect(attempts[1]).toBe(attempts[0]);
    expect(await committedOutboxEvents(stateTable)).toHaveLength(1);
  });

  it("fails only the poisoned record of a batch", async () => {
    // Prepare
    const poisoned = sqsRecord({ ...inventoryReserved(), detail: "not an object" });

    // Act
    const response = await handler(sqsEvent(sqsRecord(inventoryReserved()), poisoned), lambdaContext());

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poisoned.messageId }]);
    expect(await committedOutboxEvents(stateTable)).toHaveLength(1);
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
