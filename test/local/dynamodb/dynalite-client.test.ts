import { describe, expect, it } from "vitest";
import { toServiceError } from "../../../lib/local/dynamodb/dynalite-client";

describe("toServiceError", () => {
  it("keeps the short code, the message, the status and the other body members", () => {
    // Prepare
    const body = JSON.stringify({
      __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException",
      message: "The conditional request failed",
      Item: { id: { S: "a" } },
    });

    // Act
    const error = toServiceError("PutItem", 400, body);

    // Assess
    expect(error).toMatchObject({
      code: "ConditionalCheckFailedException",
      message: "The conditional request failed",
      statusCode: 400,
      details: { Item: { id: { S: "a" } } },
    });
  });

  it("reads the capitalised Message of dynalite's serialization errors", () => {
    // Act
    const error = toServiceError(
      "PutItem",
      400,
      JSON.stringify({
        __type: "com.amazon.coral.service#SerializationException",
        Message: "NUMBER_VALUE cannot be converted to String",
      }),
    );

    // Assess
    expect(error).toMatchObject({
      code: "SerializationException",
      message: "NUMBER_VALUE cannot be converted to String",
      details: undefined,
    });
  });

  it("explains an operation dynalite does not implement", () => {
    // Act
    const error = toServiceError(
      "ExecuteStatement",
      400,
      JSON.stringify({ __type: "com.amazon.coral.service#UnknownOperationException" }),
    );

    // Assess
    expect(error.code).toBe("UnknownOperationException");
    expect(error.message).toMatch(/^The local DynamoDB \(dynalite\) does not implement ExecuteStatement\./);
  });

  it("answers an internal failure quoting a body that is not a DynamoDB error", () => {
    // Act
    const error = toServiceError("Scan", 404, "<UnknownOperationException/>\n");

    // Assess
    expect(error).toMatchObject({ code: "InternalFailure", statusCode: 500 });
    expect(error.message).toContain(
      'HTTP 404 and a body that is not a DynamoDB JSON answer: "<UnknownOperationException/>\\n"',
    );
  });
});
