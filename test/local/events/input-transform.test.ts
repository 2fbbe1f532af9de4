import { describe, expect, it } from "vitest";
import { InputTransformError, readJsonPath, targetInput } from "../../../lib/local/events/input-transform";
import type { LocalRuleTarget } from "../../../lib/local/model";
import { busEvent } from "./support/bus-event";

const event = busEvent({
  detail: { data: { orderId: "ORD-1", items: [{ sku: "ABC", quantity: 2 }] }, "odd-key": true },
});

function target(overrides: Partial<LocalRuleTarget> = {}): LocalRuleTarget {
  return {
    id: "t",
    arn: "arn:aws:sqs:us-east-1:000000000000:q",
    kind: "sqs",
    retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
    ...overrides,
  };
}

describe("what a target receives", () => {
  it("is the whole event by default", () => {
    expect(JSON.parse(targetInput(event, target()))).toEqual(event);
  });

  it("is the constant Input when set", () => {
    expect(targetInput(event, target({ input: '{"fixed":1}' }))).toBe('{"fixed":1}');
  });

  it("is the part InputPath selects", () => {
    expect(JSON.parse(targetInput(event, target({ inputPath: "$.detail.data" })))).toEqual(event.detail.data);
  });

  it("fills an InputTransformer template, quoting strings outside string literals", () => {
    const transformed = targetInput(
      event,
      target({
        inputTransformer: {
          inputPathsMap: {
            order: "$.detail.data.orderId",
            sku: "$.detail.data.items[0].sku",
            odd: "$.detail['odd-key']",
          },
          inputTemplate: '{"order": <order>, "text": "order <order> starts with <sku>", "odd": <odd>}',
        },
      }),
    );

    expect(JSON.parse(transformed)).toEqual({
      order: "ORD-1",
      text: "order ORD-1 starts with ABC",
      odd: true,
    });
  });

  it("leaves text in angle brackets that names no variable alone", () => {
    const transformed = targetInput(
      event,
      target({ inputTransformer: { inputPathsMap: {}, inputTemplate: '"a <b> c"' } }),
    );

    expect(transformed).toBe('"a <b> c"');
  });

  it("refuses a JSONPath it cannot read, naming it", () => {
    expect(() => readJsonPath(event, "detail.data")).toThrow(InputTransformError);
    expect(() => readJsonPath(event, "$..data")).toThrow(/JSONPath "\$\.\.data" is not supported/);
  });
});
