import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handler } from "../../../lambdas/analytics/handler";
import { subscriptions } from "../../../lib/subscriptions";
import { anEvent, lambdaContext, sqsEvent, sqsRecord } from "../support/events";
import { FakeIdempotencyTable } from "../support/idempotency-table";
import { CapturedOutput } from "../support/output";

vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "analytics",
    POWERTOOLS_METRICS_NAMESPACE: "eventrail",
    IDEMPOTENCY_TABLE_NAME: "idempotency",
    AWS_REGION: "eu-west-1",
  });
});

const idempotencyClient = mockClient(DynamoDBClient);
let output: CapturedOutput;

beforeEach(() => {
  idempotencyClient.reset();
  new FakeIdempotencyTable(idempotencyClient);
  output = new CapturedOutput();
});

afterEach(() => {
  output.restore();
});

describe("analytics consumer", () => {
  it.each(subscriptions.find((subscription) => subscription.name === "analytics")?.eventTypes ?? [])(
    "counts %s as a metric named after it, with the service dimension",
    async (detailType) => {
      // Prepare
      const batch = sqsEvent(sqsRecord(anEvent(detailType)), sqsRecord(anEvent(detailType)));

      // Act
      const response = await handler(batch, lambdaContext());

      // Assess
      expect(response.batchItemFailures).toEqual([]);
      expect(output.metric(detailType)).toEqual([
        { value: 1, dimensions: { service: "analytics" } },
        { value: 1, dimensions: { service: "analytics" } },
      ]);
    },
  );

  it("records each order's value in minor units, per currency", async () => {
    // Prepare
    const batch = sqsEvent(
      sqsRecord(anEvent("OrderPlaced", { data: { total: { amount: 4_999, currency: "EUR" } } })),
      sqsRecord(anEvent("OrderPlaced", { data: { total: { amount: 1_250, currency: "USD" } } })),
    );

    // Act
    await handler(batch, lambdaContext());

    // Assess
    expect(output.metric("OrderValue")).toEqual([
      { value: 4_999, dimensions: { service: "analytics", currency: "EUR" } },
      { value: 1_250, dimensions: { service: "analytics", currency: "USD" } },
    ]);
  });

  it("records the amount of each processed payment as ChargedValue", async () => {
    // Prepare
    const paid = anEvent("PaymentProcessed", { data: { amount: { amount: 7_500, currency: "GBP" } } });

    // Act
    await handler(sqsEvent(sqsRecord(paid)), lambdaContext());

    // Assess
    expect(output.metric("ChargedValue")).toEqual([
      { value: 7_500, dimensions: { service: "analytics", currency: "GBP" } },
    ]);
  });

  it("does not count an event twice when it is delivered twice", async () => {
    // Prepare
    const placed = anEvent("OrderPlaced");

    // Act
    await handler(sqsEvent(sqsRecord(placed)), lambdaContext());
    await handler(sqsEvent(sqsRecord(placed)), lambdaContext());

    // Assess
    expect(output.metric("OrderPlaced")).toHaveLength(1);
    expect(output.metric("OrderValue")).toHaveLength(1);
  });

  it("fails only the poisoned record and still counts the rest", async () => {
    // Prepare
    const poisoned = sqsRecord(anEvent("PaymentFailed", { data: { reason: "gremlins" as "card-declined" } }));

    // Act
    const response = await handler(
      sqsEvent(sqsRecord(anEvent("PaymentFailed")), poisoned, sqsRecord(anEvent("PaymentFailed"))),
      lambdaContext(),
    );

    // Assess
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poisoned.messageId }]);
    expect(output.metric("PaymentFailed").map(({ value }) => value)).toEqual([1, 1]);
  });
});
