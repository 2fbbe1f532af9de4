import { AwsServiceError } from "../aws-error";

/**
 * The SQS error codes the local SQS returns, with the HTTP status and the query-protocol code
 * (`x-amzn-query-error`) that AWS's Smithy model for SQS assigns to each (`@awsQueryError`). The AWS
 * SDK maps the query code back to its typed exception, so both must match the model.
 */
const SQS_ERRORS = {
  QueueDoesNotExist: { status: 400, queryCode: "AWS.SimpleQueueService.NonExistentQueue" },
  InvalidParameterValue: { status: 400, queryCode: "InvalidParameterValue" },
  MissingParameter: { status: 400, queryCode: "MissingParameter" },
  InvalidAttributeName: { status: 400, queryCode: "InvalidAttributeName" },
  InvalidMessageContents: { status: 400, queryCode: "InvalidMessageContents" },
  ReceiptHandleIsInvalid: { status: 404, queryCode: "ReceiptHandleIsInvalid" },
  MessageNotInflight: { status: 400, queryCode: "AWS.SimpleQueueService.MessageNotInflight" },
  EmptyBatchRequest: { status: 400, queryCode: "AWS.SimpleQueueService.EmptyBatchRequest" },
  TooManyEntriesInBatchRequest: {
    status: 400,
    queryCode: "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
  },
  BatchEntryIdsNotDistinct: { status: 400, queryCode: "AWS.SimpleQueueService.BatchEntryIdsNotDistinct" },
  InvalidBatchEntryId: { status: 400, queryCode: "AWS.SimpleQueueService.InvalidBatchEntryId" },
  BatchRequestTooLong: { status: 400, queryCode: "AWS.SimpleQueueService.BatchRequestTooLong" },
  ResourceNotFoundException: { status: 404, queryCode: "ResourceNotFoundException" },
  UnsupportedOperation: { status: 400, queryCode: "AWS.SimpleQueueService.UnsupportedOperation" },
  // Not an SQS model error: the JSON protocol's answer to an X-Amz-Target naming no operation at
  // all. Its query code is the query protocol's `InvalidAction` for the same mistake.
  UnknownOperationException: { status: 400, queryCode: "InvalidAction" },
  InternalError: { status: 500, queryCode: "InternalError" },
} as const satisfies Record<string, { status: number; queryCode: string }>;

/** An error code the local SQS can return. */
export type SqsErrorCode = keyof typeof SQS_ERRORS;

/** Builds the {@link AwsServiceError} AWS returns for `code`, with its status and query code. */
export function sqsError(code: SqsErrorCode, message: string): AwsServiceError {
  const { status, queryCode } = SQS_ERRORS[code];
  return new AwsServiceError(code, message, status, queryCode);
}

/**
 * A queue definition or store option the engine cannot run with, found when the store opens (a
 * value out of SQS's range, a redrive target that is not one of the store's queues, a duplicate).
 */
export class SqsConfigurationError extends Error {
  public override readonly name = "SqsConfigurationError";
}

/**
 * The durable state under the state directory cannot be read or written: a journal line that is
 * not a record, a record of an unknown format version, a failed write or fsync.
 */
export class SqsJournalError extends Error {
  public override readonly name = "SqsJournalError";

  constructor(
    message: string,
    /** The journal file concerned. */
    public readonly path: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * `value` when it is a whole number within `range`, else the `InvalidParameterValue` SQS answers
 * for `parameter`. Every request parameter SQS bounds is checked through this, against the limits in
 * `lib/aws-limits.ts`.
 */
export function checkSqsParameter(
  parameter: string,
  value: number,
  range: { readonly min: number; readonly max: number },
): number {
  if (!Number.isInteger(value) || value < range.min || value > range.max) {
    throw sqsError(
      "InvalidParameterValue",
      `Value ${value} for parameter ${parameter} is invalid. Reason: must be an integer between ${range.min} and ${range.max}.`,
    );
  }
  return value;
}
