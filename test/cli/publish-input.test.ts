import { describe, expect, it } from "vitest";
import { catalog } from "../../lib/catalog";
import { parsePublishLine } from "../../lib/cli/publish-input";

const cancelled = catalog.OrderCancelled.example;

describe("parsePublishLine", () => {
  it("skips blank lines", () => {
    expect(parsePublishLine("   ", 3)).toBeUndefined();
  });

  it("turns a detail-type line into a typed request, keeping lineage and resources", () => {
    // Act
    const parsed = parsePublishLine(
      JSON.stringify({
        "detail-type": "OrderCancelled",
        data: cancelled,
        correlationId: "flow-1",
        resources: ["arn:aws:s3:::b"],
      }),
      7,
    );

    // Assess
    expect(parsed).toEqual({
      kind: "accepted",
      line: 7,
      input: expect.objectContaining({
        detailType: "OrderCancelled",
        data: cancelled,
        correlationId: "flow-1",
        resources: ["arn:aws:s3:::b"],
      }),
    });
  });

  it("turns a PutEvents entry into an entry input, stringifying an object Detail and reading Time", () => {
    // Act
    const parsed = parsePublishLine(
      JSON.stringify({ Source: "s", DetailType: "OrderCancelled", Detail: { a: 1 }, Time: 1_700_000_000 }),
      1,
    );

    // Assess
    expect(parsed).toEqual({
      kind: "accepted",
      line: 1,
      input: {
        Source: "s",
        DetailType: "OrderCancelled",
        Detail: '{"a":1}',
        Time: new Date(1_700_000_000_000),
      },
    });
  });

  it.each([
    ["text that is not JSON", "{oops", "InvalidJson", /not valid JSON/],
    ["JSON of neither shape", '{"type":"OrderCancelled"}', "UnrecognizedLine", /neither shape matches/],
    [
      "a misspelt key",
      JSON.stringify({ "detail-type": "OrderCancelled", Data: cancelled }),
      "InvalidLine",
      /Unrecognized key: "Data"/,
    ],
    [
      "data that fails the schema",
      JSON.stringify({ "detail-type": "OrderCancelled", data: { ...cancelled, reason: "bored" } }),
      "EventValidationError",
      /data\.reason: .*received "bored"/,
    ],
    [
      "an unknown detail-type",
      JSON.stringify({ "detail-type": "Nope", data: {} }),
      "EventValidationError",
      /Unknown detail-type "Nope"/,
    ],
    [
      "an entry with a bad Time",
      JSON.stringify({ Source: "s", DetailType: "D", Detail: "{}", Time: "yesterday" }),
      "InvalidLine",
      /Time/,
    ],
  ])("rejects %s with its line number and reason", (_case, text, errorCode, message) => {
    expect(parsePublishLine(text, 12)).toEqual({
      kind: "rejected",
      line: 12,
      detailType: expect.any(String),
      errorCode,
      errorMessage: expect.stringMatching(message),
    });
  });
});
