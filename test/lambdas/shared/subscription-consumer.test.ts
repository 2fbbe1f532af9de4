import { describe, expect, it, vi } from "vitest";
import { ConsumerConfigurationError, createSubscriptionConsumer } from "../../../lambdas/shared/consumer";

// The consumer kit reads its function's environment when it is loaded, as at a cold start.
vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "payments",
    POWERTOOLS_METRICS_NAMESPACE: "eventrail",
    IDEMPOTENCY_TABLE_NAME: "idempotency",
    AWS_REGION: "eu-west-1",
  });
});

/**
 * A consumer's handlers must match its subscription's eventTypes (lib/subscriptions.ts): the
 * `@ts-expect-error` lines prove that `npm run typecheck` refuses a mismatch; the assertions prove
 * that a mismatch that got past the compiler fails the cold start, naming what is wrong.
 */
describe("createSubscriptionConsumer", () => {
  it("refuses handlers that miss one of the subscription's event types", () => {
    // Act
    const create = () =>
      // @ts-expect-error payments consumes InventoryReserved, which has no handler here.
      createSubscriptionConsumer("payments", { handlers: {} });

    // Assess
    expect(create).toThrow(ConsumerConfigurationError);
    expect(create).toThrow(
      "Subscription payments consumes InventoryReserved, but its handler has no handler for InventoryReserved",
    );
  });

  it("refuses handlers for event types the subscription does not consume", () => {
    // Act
    const create = () =>
      createSubscriptionConsumer("payments", {
        handlers: {
          InventoryReserved: async () => {},
          // @ts-expect-error payments does not consume OrderPlaced: its rule never routes one here.
          OrderPlaced: async () => {},
        },
      });

    // Assess
    expect(create).toThrow("handles OrderPlaced, which it does not consume");
  });
});
