import * as path from "node:path";
import { App, Duration, Stack } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as kms from "aws-cdk-lib/aws-kms";
import { describe, expect, it } from "vitest";
import {
  EventSubscription,
  type EventSubscriptionDefinition,
  type EventSubscriptionProps,
  resolveSubscriptionSettings,
  SubscriptionConfigError,
  subscriptionEventPattern,
} from "../../lib/constructs/event-subscription";
import { PipelineStack } from "../../lib/pipeline-stack";
import { qualityControl, widgetEventTypes } from "../support/widget-catalog";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

function subscription(overrides: Partial<EventSubscriptionDefinition> = {}): EventSubscriptionDefinition {
  return { ...qualityControl, ...overrides };
}

/** Builds an EventSubscription of `definition` over the widget catalog, with `overrides` of its props. */
function subscribe(
  definition: EventSubscriptionDefinition,
  overrides: Partial<EventSubscriptionProps> = {},
): () => EventSubscription {
  return () => {
    const stack = new Stack(new App(), "Subscribed");
    return new EventSubscription(stack, "Subscription", {
      eventBus: new events.EventBus(stack, "Bus"),
      definition,
      eventTypes: widgetEventTypes,
      encryptionKey: new kms.Key(stack, "Key"),
      idempotencyTable: new dynamodb.Table(stack, "Idempotency", {
        partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
      }),
      projectRoot: PROJECT_ROOT,
      ...overrides,
    });
  };
}

describe("subscription settings", () => {
  it("applies the documented defaults", () => {
    // Act
    const settings = resolveSubscriptionSettings(subscription());

    // Assess
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

  it("takes durations as Duration and derives the visibility timeout as 6 x the function timeout", () => {
    // Act
    const settings = resolveSubscriptionSettings(
      subscription({ timeout: Duration.seconds(45), maxBatchingWindow: Duration.minutes(1), batchSize: 50 }),
    );

    // Assess
    expect(settings).toMatchObject({
      timeoutSeconds: 45,
      maxBatchingWindowSeconds: 60,
      visibilityTimeoutSeconds: 270,
    });
  });

  it("fails when the visibility timeout is under 6 x the function timeout, naming the subscription, both values and the fix", () => {
    // Act
    const act = () =>
      resolveSubscriptionSettings(
        subscription({ timeout: Duration.minutes(1), visibilityTimeout: Duration.minutes(2) }),
      );

    // Assess
    expect(act).toThrow(SubscriptionConfigError);
    expect(act).toThrow(
      /Subscription "quality-control": visibilityTimeout is 120 s but the function timeout is 60 s/,
    );
    expect(act).toThrow(/Raise visibilityTimeout to 360 s or more, leave it out, or lower timeout/);
  });

  it.each<[string, Partial<EventSubscriptionDefinition>, RegExp]>([
    ["a name with capitals", { name: "QualityControl" }, /Subscription name "QualityControl" is invalid/],
    ["no event types", { eventTypes: [] }, /eventTypes is empty/],
    [
      "a batch over 10 without a batching window",
      { batchSize: 50 },
      /batchSize is 50 with no batching window; .* Set maxBatchingWindow \(such as Duration.seconds\(1\)\), or lower batchSize to 10/,
    ],
    [
      "a batch over 10,000",
      { batchSize: 20_000, maxBatchingWindow: Duration.seconds(5) },
      /batchSize is 20000; expected a whole number from 1 to 10000 \(Lambda's limit for an SQS event source\); set batchSize within that range, or leave it out for the default, 10/,
    ],
    [
      "a batching window over 300 s",
      { maxBatchingWindow: Duration.seconds(301) },
      /maxBatchingWindow is 301 s; expected a whole number from 0 to 300 s/,
    ],
    [
      "a batching window of a fraction of a second",
      { maxBatchingWindow: Duration.millis(1_500) },
      /maxBatchingWindow is 1.5 s; expected a whole number from 0 to 300 s/,
    ],
    [
      "maximum concurrency of 1",
      { maxConcurrency: 1 },
      /maxConcurrency is 1; expected a whole number from 2 to 1000 .*; set maxConcurrency within that range, or leave it out for the default, 10/,
    ],
    [
      "maxReceiveCount of 0",
      { maxReceiveCount: 0 },
      /maxReceiveCount is 0; expected a whole number from 1 to 1000/,
    ],
    [
      "maxReceiveCount over 1000",
      { maxReceiveCount: 1001 },
      /maxReceiveCount is 1001; expected a whole number from 1 to 1000/,
    ],
    [
      "a timeout over 15 minutes",
      { timeout: Duration.seconds(901) },
      /timeout is 901 s; expected a whole number from 1 to 900 s \(Lambda's limit\); set timeout within that range, or leave it out for the default, 30 s/,
    ],
    [
      "memory under 128 MiB",
      { memorySize: 64 },
      /memorySize is 64 MiB; expected a whole number from 128 to 10240 MiB/,
    ],
    [
      "a visibility timeout over 12 hours",
      { visibilityTimeout: Duration.hours(13) },
      /visibilityTimeout is 46800 s; expected a whole number from 0 to 43200 s/,
    ],
  ])("rejects %s, naming the prop, the value, the range and the fix", (_case, overrides, message) => {
    // Act
    const act = () => resolveSubscriptionSettings(subscription(overrides));

    // Assess
    expect(act).toThrow(SubscriptionConfigError);
    expect(act).toThrow(message);
  });
});

describe("the rule pattern of a subscription", () => {
  it("matches its event types' sources and detail-types, from the event types it is given", () => {
    // Act
    const pattern = subscriptionEventPattern(subscription(), widgetEventTypes);

    // Assess
    expect(pattern).toEqual({
      source: ["acme.quality", "acme.workshop"],
      detailType: ["WidgetAssembled", "WidgetInspected"],
    });
  });

  it("adds the content filter under detail", () => {
    // Act
    const pattern = subscriptionEventPattern(
      subscription({ detailFilter: { data: { line: [3] } } }),
      widgetEventTypes,
    );

    // Assess
    expect(pattern.detail).toEqual({ data: { line: [3] } });
  });

  it("refuses an event type that is not in the catalog it is given, naming it and the fix", () => {
    // Act
    const act = () =>
      subscriptionEventPattern(subscription({ eventTypes: ["NotInTheCatalog"] }), widgetEventTypes);

    // Assess
    expect(act).toThrow(SubscriptionConfigError);
    expect(act).toThrow(
      'Subscription "quality-control": eventTypes names "NotInTheCatalog", not in the catalog it was given (WidgetAssembled, WidgetInspected); declare the event type in the catalog first, or correct the name',
    );
  });
});

describe("EventSubscription refuses props AWS would refuse, naming the prop, the value, the range and the fix", () => {
  it.each<[string, Partial<EventSubscriptionProps>, RegExp]>([
    [
      "more than 185 target retries",
      { targetRetryAttempts: 186 },
      /Subscription "quality-control": targetRetryAttempts is 186; expected a whole number from 0 to 185 \(EventBridge's limit for a target\); set targetRetryAttempts within that range, or leave it out for the default, 185/,
    ],
    [
      "a target event age under a minute",
      { targetMaxEventAge: Duration.seconds(30) },
      /targetMaxEventAge is 30 s; expected a whole number from 60 to 86400 s/,
    ],
    [
      "a target event age over 24 hours",
      { targetMaxEventAge: Duration.hours(25) },
      /targetMaxEventAge is 90000 s; expected a whole number from 60 to 86400 s/,
    ],
    [
      "a dead-letter retention over 14 days",
      { deadLetterRetention: Duration.days(15) },
      /deadLetterRetention is 1296000 s; expected a whole number from 60 to 1209600 s/,
    ],
  ])("%s", (_case, overrides, message) => {
    // Act
    const act = subscribe(qualityControl, overrides);

    // Assess
    expect(act).toThrow(SubscriptionConfigError);
    expect(act).toThrow(message);
  });

  it("refuses a published event type that is not in the catalog it is given", () => {
    // Act
    const act = subscribe(subscription({ publishes: ["NotInTheCatalog"] }));

    // Assess
    expect(act).toThrow(
      /Subscription "quality-control": publishes names "NotInTheCatalog", not in the catalog/,
    );
  });
});

describe("synthesizing a stack with a subscription AWS would refuse", () => {
  it("fails with the subscription's own message before anything deploys", () => {
    // Prepare
    const broken = subscription({ timeout: Duration.minutes(2), visibilityTimeout: Duration.minutes(5) });

    // Act
    const act = () =>
      new PipelineStack(new App(), "Broken", { eventTypes: widgetEventTypes, subscriptions: [broken] });

    // Assess
    expect(act).toThrow(
      /Subscription "quality-control": visibilityTimeout is 300 s but the function timeout is 120 s/,
    );
  });
});
