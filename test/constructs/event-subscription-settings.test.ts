import { describe, expect, it } from "vitest";
import {
  resolveSubscriptionSettings,
  SubscriptionConfigError,
  subscriptionEventPattern,
} from "../../lib/constructs/event-subscription";
import type { SubscriptionDefinition } from "../../lib/subscriptions";

function subscription(overrides: Partial<SubscriptionDefinition> = {}): SubscriptionDefinition {
  return {
    name: "shipping",
    description: "test",
    eventTypes: ["OrderPlaced"],
    entry: "test/fixtures/noop-handler.ts",
    ...overrides,
  };
}

describe("subscription settings", () => {
  it("applies the documented defaults", () => {
    const settings = resolveSubscriptionSettings(subscription());

    expect(settings).toEqual({
      timeoutSeconds: 30,
      memorySize: 256,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      maxConcurrency: 10,
      maxReceiveCount: 5,
      visibilityTimeoutSeconds: 180,
    });
  });

  it("derives the visibility timeout as 6 x the function timeout", () => {
    expect(resolveSubscriptionSettings(subscription({ timeoutSeconds: 45 })).visibilityTimeoutSeconds).toBe(
      270,
    );
  });

  it("fails when the visibility timeout is under 6 x the function timeout, naming the subscription, both values and the fix", () => {
    const act = () =>
      resolveSubscriptionSettings(subscription({ timeoutSeconds: 60, visibilityTimeoutSeconds: 120 }));

    expect(act).toThrow(SubscriptionConfigError);
    expect(act).toThrow(
      /Subscription "shipping": visibilityTimeoutSeconds is 120 but the function timeout is 60 s/,
    );
    expect(act).toThrow(/Raise visibilityTimeoutSeconds to 360 or more, or lower timeoutSeconds/);
  });

  it.each([
    ["a name with capitals", { name: "Shipping" }, /Subscription name "Shipping" is invalid/],
    ["no event types", { eventTypes: [] }, /eventTypes is empty/],
    [
      "an event type outside the catalog",
      { eventTypes: ["OrderShipped" as never] },
      /"OrderShipped" is not in the catalog/,
    ],
    [
      "a batch over 10 without a batching window",
      { batchSize: 50 },
      /batchSize is 50 with no batching window/,
    ],
    [
      "a batch over 10,000",
      { batchSize: 20_000, maxBatchingWindowSeconds: 5 },
      /batchSize is 20000; expected .* 1 to 10000/,
    ],
    ["a batching window over 300 s", { maxBatchingWindowSeconds: 301 }, /maxBatchingWindowSeconds is 301/],
    [
      "maximum concurrency of 1",
      { maxConcurrency: 1 },
      /maxConcurrency is 1; expected a whole number from 2 to 1000/,
    ],
    ["maxReceiveCount of 0", { maxReceiveCount: 0 }, /maxReceiveCount is 0/],
    ["a timeout over 15 minutes", { timeoutSeconds: 901 }, /timeoutSeconds is 901/],
  ])("rejects %s", (_case, overrides, message) => {
    expect(() => resolveSubscriptionSettings(subscription(overrides))).toThrow(message);
  });
});

describe("the rule pattern of a subscription", () => {
  it("matches its event types' sources and detail-types", () => {
    const pattern = subscriptionEventPattern(
      subscription({ eventTypes: ["OrderPlaced", "InventoryReserved", "OrderCancelled"] }),
    );

    expect(pattern).toEqual({
      source: ["eventrail.inventory", "eventrail.orders"],
      detailType: ["OrderPlaced", "InventoryReserved", "OrderCancelled"],
    });
  });

  it("adds the content filter under detail", () => {
    const pattern = subscriptionEventPattern(
      subscription({ detailFilter: { data: { total: { currency: ["EUR"] } } } }),
    );

    expect(pattern.detail).toEqual({ data: { total: { currency: ["EUR"] } } });
  });
});

describe("synthesizing a stack with a subscription AWS would refuse", () => {
  it("fails with the subscription's own message before anything deploys", async () => {
    const { App } = await import("aws-cdk-lib");
    const { PipelineStack } = await import("../../lib/pipeline-stack");
    const app = new App();

    const act = () =>
      new PipelineStack(app, "Broken", {
        subscriptions: [subscription({ timeoutSeconds: 120, visibilityTimeoutSeconds: 300 })],
      });

    expect(act).toThrow(
      /Subscription "shipping": visibilityTimeoutSeconds is 300 but the function timeout is 120 s/,
    );
  });
});
