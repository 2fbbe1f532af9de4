import { describe, expect, it } from "vitest";
import { AwsServiceError } from "../../../lib/local/aws-error";
import { serializeAwsJsonError } from "../../../lib/local/sqs/json-protocol-error";

describe("serializing an AWS error for the JSON protocols", () => {
  it("writes __type qualified by the namespace, the message, and the query code as a Sender fault", () => {
    const error = new AwsServiceError(
      "QueueDoesNotExist",
      "no such queue",
      400,
      "AWS.SimpleQueueService.NonExistentQueue",
    );

    const serialized = serializeAwsJsonError(error, { jsonVersion: "1.0", namespace: "com.amazonaws.sqs" });

    expect(serialized).toEqual({
      statusCode: 400,
      headers: {
        "content-type": "application/x-amz-json-1.0",
        "x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender",
      },
      body: JSON.stringify({ __type: "com.amazonaws.sqs#QueueDoesNotExist", message: "no such queue" }),
    });
  });

  it("marks a 5xx as a Receiver fault and omits the query header when there is no query code", () => {
    const internal = new AwsServiceError("InternalError", "disk full", 500, "InternalError");
    const plain = new AwsServiceError("ResourceNotFoundException", "no bus", 400);

    const fromInternal = serializeAwsJsonError(internal, { jsonVersion: "1.0" });
    const fromPlain = serializeAwsJsonError(plain, { jsonVersion: "1.1" });

    expect(fromInternal.headers["x-amzn-query-error"]).toBe("InternalError;Receiver");
    expect(fromPlain.headers).toEqual({ "content-type": "application/x-amz-json-1.1" });
    expect(JSON.parse(fromPlain.body)).toEqual({ __type: "ResourceNotFoundException", message: "no bus" });
  });
});
