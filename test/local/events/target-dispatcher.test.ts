import { describe, expect, it, vi } from "vitest";
import {
  DeliveryError,
  type DeliveryReport,
  type StringAttributes,
  TargetDispatcher,
  type TargetSinks,
} from "../../../lib/local/events/target-dispatcher";
import type { LocalRuleDefinition } from "../../../lib/local/model";
import { busEvent } from "./support/bus-event";

const QUEUE = "arn:aws:sqs:us-east-1:000000000000:orders";
const DLQ = "arn:aws:sqs:us-east-1:000000000000:orders-target-dlq";

const event = busEvent();

function rule(maximumRetryAttempts: number, { withDeadLetterQueue = true } = {}): LocalRuleDefinition {
  const deadLetterArn = withDeadLetterQueue ? DLQ : undefined;
  return {
    logicalId: "Rule",
    name: "orders-rule",
    arn: "arn:aws:events:us-east-1:000000000000:rule/eventrail/orders-rule",
    busName: "eventrail",
    eventPattern: {},
    state: "ENABLED",
    targets: [
      {
        id: "q",
        arn: QUEUE,
        kind: "sqs",
        retryPolicy: { maximumRetryAttempts, maximumEventAgeInSeconds: 86_400 },
        deadLetterArn,
      },
    ],
  };
}

/** Sinks whose queue sends fail `failures` times (with the given error) before succeeding. */
function sinks(failures: number, error = new DeliveryError("SQS_ERROR", "throttled", true)) {
  const sent: { arn: string; body: string; attributes?: StringAttributes }[] = [];
  let remaining = failures;
  const fake: TargetSinks = {
    sendToQueue: vi.fn(async (arn: string, body: string, attributes?: StringAttributes) => {
      if (arn === QUEUE && remaining > 0) {
        remaining--;
        throw error;
      }
      sent.push({ arn, body, attributes });
    }),
    putToDeliveryStream: vi.fn(async () => {}),
    putToBus: vi.fn(async () => {}),
    invokeFunction: vi.fn(async () => {}),
  };
  return { fake, sent };
}

async function dispatchAndSettle(
  dispatcher: TargetDispatcher,
  definition: LocalRuleDefinition,
): Promise<void> {
  await dispatcher.dispatch(definition, event);
  await vi.waitFor(async () => {
    await dispatcher.close(false);
  });
}

describe("delivering to rule targets", () => {
  it("delivers the whole event to the queue at the first attempt", async () => {
    const { fake, sent } = sinks(0);
    const reports: DeliveryReport[] = [];
    const dispatcher = new TargetDispatcher({ sinks: fake, onReport: (r) => reports.push(r) });

    await dispatcher.dispatch(rule(185), event);

    expect(sent).toEqual([{ arn: QUEUE, body: JSON.stringify(event), attributes: undefined }]);
    expect(reports).toEqual([
      { outcome: "delivered", eventId: event.id, rule: "orders-rule", target: QUEUE, attempts: 1 },
    ]);
  });

  it("retries a retryable failure with back-off until it is delivered", async () => {
    const { fake, sent } = sinks(2);
    const reports: DeliveryReport[] = [];
    const dispatcher = new TargetDispatcher({
      sinks: fake,
      timeScale: 1_000,
      onReport: (r) => reports.push(r),
    });

    await dispatcher.dispatch(rule(185), event);
    await vi.waitFor(() => expect(reports).toHaveLength(1), { timeout: 2_000 });

    expect(sent.map((s) => s.arn)).toEqual([QUEUE]);
    expect(reports[0]).toMatchObject({ outcome: "delivered", attempts: 3 });
  });

  it("sends the event to the target DLQ with EventBridge's error attributes when retries run out", async () => {
    const { fake, sent } = sinks(10);
    const reports: DeliveryReport[] = [];
    const dispatcher = new TargetDispatcher({
      sinks: fake,
      timeScale: 1_000,
      onReport: (r) => reports.push(r),
    });

    await dispatchAndSettle(dispatcher, rule(2));
    await vi.waitFor(() => expect(reports).toHaveLength(1), { timeout: 2_000 });

    expect(sent).toHaveLength(1);
    expect(sent[0]?.arn).toBe(DLQ);
    expect(JSON.parse(sent[0]?.body ?? "")).toEqual(event);
    expect(sent[0]?.attributes).toEqual({
      ERROR_CODE: { DataType: "String", StringValue: "SQS_ERROR" },
      ERROR_MESSAGE: { DataType: "String", StringValue: "throttled" },
      RULE_ARN: { DataType: "String", StringValue: rule(2).arn },
      TARGET_ARN: { DataType: "String", StringValue: QUEUE },
      RETRY_ATTEMPTS: { DataType: "String", StringValue: "2" },
      EXHAUSTED_RETRY_CONDITION: { DataType: "String", StringValue: "MaximumRetryAttempts" },
    });
    expect(reports[0]).toMatchObject({ outcome: "dead-lettered", attempts: 3 });
  });

  it("dead-letters a failure no retry can fix at once", async () => {
    const { fake, sent } = sinks(1, new DeliveryError("RESOURCE_NOT_FOUND", "no such queue", false));
    const dispatcher = new TargetDispatcher({ sinks: fake });

    await dispatcher.dispatch(rule(185), event);

    expect(sent.map((s) => s.arn)).toEqual([DLQ]);
    expect(sent[0]?.attributes?.EXHAUSTED_RETRY_CONDITION).toBeUndefined();
  });

  it("reports a dropped event loudly when the target has no DLQ, as AWS would drop it", async () => {
    const { fake, sent } = sinks(1, new DeliveryError("RESOURCE_NOT_FOUND", "no such queue", false));
    const reports: DeliveryReport[] = [];
    const dispatcher = new TargetDispatcher({ sinks: fake, onReport: (r) => reports.push(r) });

    await dispatcher.dispatch(rule(185, { withDeadLetterQueue: false }), event);

    expect(sent).toEqual([]);
    expect(reports).toEqual([
      expect.objectContaining({
        outcome: "dropped",
        errorCode: "RESOURCE_NOT_FOUND",
        errorMessage: "no such queue",
      }),
    ]);
  });
});
