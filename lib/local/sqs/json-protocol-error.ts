import type { AwsServiceError } from "../aws-error";

/** An error response of an AWS JSON-protocol service, ready to write. */
export interface SerializedAwsJsonError {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Options of {@link serializeAwsJsonError}. */
export interface AwsJsonErrorOptions {
  /** The protocol version of the service: SQS speaks 1.0, EventBridge and Firehose 1.1. */
  readonly jsonVersion: "1.0" | "1.1";
  /**
   * The Smithy namespace to qualify `__type` with, as AWS does (`com.amazonaws.sqs` gives
   * `com.amazonaws.sqs#QueueDoesNotExist`). SDKs keep the part after `#`.
   * @default - the bare error code
   */
  readonly namespace?: string;
}

/**
 * Serializes an {@link AwsServiceError} the way AWS JSON 1.0/1.1 services answer: the status, a
 * body `{"__type", "message"}`, and for query-compatible services (SQS) the `x-amzn-query-error`
 * header `<query code>;Sender|Receiver`, from which the AWS SDK picks its typed exception.
 */
export function serializeAwsJsonError(
  error: AwsServiceError,
  options: AwsJsonErrorOptions,
): SerializedAwsJsonError {
  const headers: Record<string, string> = {
    "content-type": `application/x-amz-json-${options.jsonVersion}`,
  };
  if (error.queryErrorCode !== undefined) {
    headers["x-amzn-query-error"] =
      `${error.queryErrorCode};${error.statusCode >= 500 ? "Receiver" : "Sender"}`;
  }
  const type = options.namespace === undefined ? error.code : `${options.namespace}#${error.code}`;
  return {
    statusCode: error.statusCode,
    headers,
    body: JSON.stringify({ __type: type, message: error.message }),
  };
}
