import { describe, expect, it } from "vitest";
import { evaluateBatchResponse } from "../../../lib/local/lambda/batch-response";

const BATCH = ["m1", "m2", "m3"];

describe("evaluateBatchResponse", () => {
  it.each([
    ["a null response", null],
    ["an undefined response", undefined],
    ["an empty object", {}],
    ["an object without batchItemFailures", { statusCode: 200 }],
    ["a null batchItemFailures", { batchItemFailures: null }],
    ["an empty batchItemFailures", { batchItemFailures: [] }],
  ])("treats %s as a complete success", (_case, response) => {
    // Act
    const verdict = evaluateBatchResponse(response, BATCH);

    // Assess
    expect(verdict).toEqual({ kind: "all-succeeded" });
  });

  it("lists the failed message ids once each, in the order given", () => {
    // Act
    const verdict = evaluateBatchResponse(
      { batchItemFailures: [{ itemIdentifier: "m3" }, { itemIdentifier: "m1" }, { itemIdentifier: "m3" }] },
      BATCH,
    );

    // Assess
    expect(verdict).toEqual({ kind: "some-failed", failedMessageIds: ["m3", "m1"] });
  });

  it.each([
    [
      "a string response",
      "ok",
      'the response must be an object like {"batchItemFailures":[{"itemIdentifier":"<messageId>"}]}, got "ok"',
    ],
    ["a list response", [{ itemIdentifier: "m1" }], "the response must be an object"],
    [
      "a batchItemFailures that is not a list",
      { batchItemFailures: "m1" },
      'batchItemFailures must be a list, got "m1"',
    ],
    [
      "a null itemIdentifier",
      { batchItemFailures: [{ itemIdentifier: null }] },
      "batchItemFailures[0] must be",
    ],
    [
      "an empty itemIdentifier",
      { batchItemFailures: [{ itemIdentifier: "" }] },
      'with a non-empty string, got {"itemIdentifier":""}',
    ],
    ["a misspelled key", { batchItemFailures: [{ itemId: "m1" }] }, 'got {"itemId":"m1"}'],
    [
      "an entry that is not an object",
      { batchItemFailures: ["m1"] },
      'batchItemFailures[0] must be {"itemIdentifier":"<messageId>"}',
    ],
    [
      "an id that is not in the batch",
      { batchItemFailures: [{ itemIdentifier: "m1" }, { itemIdentifier: "m9" }] },
      'batchItemFailures[1].itemIdentifier "m9" is not the messageId of a record in the batch',
    ],
  ])("treats %s as a failure of the whole batch", (_case, response, reason) => {
    // Act
    const verdict = evaluateBatchResponse(response, BATCH);

    // Assess
    expect(verdict).toEqual({ kind: "invalid", reason: expect.stringContaining(reason) });
  });
});
