import { afterEach, describe, expect, it, vi } from "vitest";
import { ConsumerConfigurationError, createSubscriptionConsumer } from "../../../lambdas/shared/consumer";
import { subscriptions } from "../../../lib/subscriptions";

// The consumer kit reads its function's environment when it is loaded, as at a cold start.
vi.hoisted(() => {
  Object.assign(process.env, {
    POWERTOOLS_SERVICE_NAME: "payments",
    POWERTOOLS_METRICS_NAMESPACE: "eventrail",
    IDEMPOTENCY_TABLE_NAME: "idempotency",
    AWS_REGION: "eu-west-1",
  });
});

/** The event types the payments rule routes, as EventSubscription tells its function in EVENTRAIL_CONSUMES. */
function routedToPayments(): string {
  return subscriptions.find((s) => s.name === "payments")?.eventTypes.join(",") ?? "";
}

afterEach(() => {
  delete process.env.EVENTRAIL_CONSUMES;
});

/**
 * A consumer's handlers must match its subscription's eventTypes (lib/subscriptions.ts): the
 * `@ts-expect-error` lines prove that `npm run typecheck` refuses a mismatch; the assertions prove
 * that a mismatch that got past the compiler fails the cold start of a function built by
 * EventSubscription, naming what is wrong.
 */
describe("createSubscriptionConsumer", () => {
  it("refuses handlers that miss one of the subscription's event types", () => {
    // Prepare
    process.env.EVENTRAIL_CONSUMES = routedToPayments();

    // Act
    const create = () =>
      // @ts-expect-error payments consumes InventoryReserved, which has no handler here.
      createSubscriptionConsumer("payments", { handlers: {} });

    // Assess
    expect(create).toThrow(ConsumerConfigurationError);
    expect(create).toThrow(
      "Subscription payments consumes InventoryReserved, but its consumer has no handler for InventoryReserved; make the handlers match eventTypes in lib/subscriptions.ts",
    );
  });

  it("refuses handlers for event types the subscription does not consume", () => {
    // Prepare
    process.env.EVENTRAIL_CONSUMES = routedToPayments();

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

  it("builds the consumer when its handlers are exactly the routed event types", () => {
    // Prepare
    process.env.EVENTRAIL_CONSUMES = routedToPayments();

    // Act
    const handler = createSubscriptionConsumer("payments", {
      handlers: { InventoryReserved: async () => {} },
    });

    // Assess
    expect(handler).toBeTypeOf("function");
  });
});
