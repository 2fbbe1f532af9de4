/**
 * An error the local edge returns in the AWS wire shape: `__type` in the JSON body (and, for SQS,
 * the legacy query error code in `x-amzn-query-error`), with the HTTP status AWS uses.
 */
export class AwsServiceError extends Error {
  public override readonly name = "AwsServiceError";

  constructor(
    /** The AWS error code, e.g. `ResourceNotFoundException`, `QueueDoesNotExist`. */
    public readonly code: string,
    message: string,
    /** HTTP status: 400 for client errors, 500 for internal ones. */
    public readonly statusCode = 400,
    /** SQS only: the query-protocol code, e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
    public readonly queryErrorCode?: string,
    /** Extra members of the error body, e.g. DynamoDB's `CancellationReasons`. */
    public readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(message);
  }
}

/**
 * One AWS JSON-protocol service behind the edge: takes the operation name (the part of
 * `X-Amz-Target` after the dot) and the parsed JSON input, returns the JSON output or throws
 * {@link AwsServiceError}. An operation it does not implement throws `UnknownOperationException`.
 */
export type AwsJsonService = (operation: string, input: Record<string, unknown>) => Promise<unknown>;
