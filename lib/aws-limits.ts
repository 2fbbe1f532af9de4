/** The whole numbers AWS accepts for one numeric setting. */
export interface WholeNumberRange {
  /** The smallest value accepted. */
  readonly min: number;
  /** The largest value accepted. @default - no upper bound */
  readonly max?: number;
  /** The unit the value is counted in, such as `s` or `MiB`. @default - none */
  readonly unit?: string;
  /** Whose limit this is, such as "Lambda's limit"; the message names it. @default - not named */
  readonly limitOf?: string;
  /** What leaving the setting out gives, such as "30 s". @default - the setting has no default */
  readonly defaultValue?: string;
}

/**
 * The limits AWS enforces on the settings and requests this project passes through, in one place:
 * the constructs refuse a value AWS would refuse at `cdk synth` rather than at deployment, the local
 * pipeline refuses it in a template or a request as the service does, and the CLI checks its flags
 * against the same numbers. Each is cited in the service's API reference or quotas page.
 */
export const AWS_LIMITS = {
  // Lambda and its SQS event source mapping
  lambdaTimeoutSeconds: { min: 1, max: 900, unit: "s", limitOf: "Lambda's limit" },
  lambdaMemoryMiB: { min: 128, max: 10_240, unit: "MiB", limitOf: "Lambda's limit" },
  sqsEventSourceBatchSize: { min: 1, max: 10_000, limitOf: "Lambda's limit for an SQS event source" },
  sqsEventSourceBatchingWindowSeconds: {
    min: 0,
    max: 300,
    unit: "s",
    limitOf: "Lambda's limit for an SQS event source",
  },
  sqsEventSourceMaxConcurrency: { min: 2, max: 1000, limitOf: "Lambda's limit for an SQS event source" },
  // SQS: queue attributes and request parameters
  sqsMaxReceiveCount: { min: 1, max: 1000, limitOf: "SQS's limit for a redrive policy" },
  sqsVisibilityTimeoutSeconds: { min: 0, max: 43_200, unit: "s", limitOf: "SQS's limit" },
  sqsRetentionSeconds: { min: 60, max: 1_209_600, unit: "s", limitOf: "SQS's limit, 1 minute to 14 days" },
  sqsDelaySeconds: { min: 0, max: 900, unit: "s", limitOf: "SQS's limit" },
  sqsReceiveWaitSeconds: { min: 0, max: 20, unit: "s", limitOf: "SQS's limit" },
  sqsMaximumMessageSizeBytes: { min: 1024, max: 1_048_576, unit: "bytes", limitOf: "SQS's limit" },
  sqsKmsDataKeyReusePeriodSeconds: { min: 60, max: 86_400, unit: "s", limitOf: "SQS's limit" },
  sqsReceiveMaxMessages: { min: 1, max: 10, limitOf: "SQS's limit for ReceiveMessage" },
  sqsListMaxResults: { min: 1, max: 1000, limitOf: "SQS's limit for a list request" },
  // EventBridge
  eventBridgeTargetRetryAttempts: { min: 0, max: 185, limitOf: "EventBridge's limit for a target" },
  eventBridgeTargetMaxEventAgeSeconds: {
    min: 60,
    max: 86_400,
    unit: "s",
    limitOf: "EventBridge's limit for a target, 1 minute to 24 hours",
  },
  eventBridgeArchiveRetentionDays: { min: 0, unit: "days", limitOf: "EventBridge's limit; 0 keeps forever" },
  eventBridgePutEventsEntries: { min: 1, max: 10, limitOf: "EventBridge's limit for PutEvents" },
  /** A PutEvents entry's size, by AWS's formula: 1 MiB since January 2026 (256 KiB before). */
  eventBridgeEntryBytes: {
    min: 1,
    max: 1_048_576,
    unit: "bytes",
    limitOf: "EventBridge's limit for PutEvents",
  },
  // Firehose and S3
  firehoseBufferingIntervalSeconds: { min: 0, max: 900, unit: "s", limitOf: "Firehose's limit for S3" },
  firehoseBufferingSizeMiB: { min: 1, max: 128, unit: "MiB", limitOf: "Firehose's limit for S3" },
  firehosePutRecordBatchRecords: { min: 1, max: 500, limitOf: "Firehose's limit for PutRecordBatch" },
  s3ExpirationDays: { min: 1, unit: "days", limitOf: "S3's limit for a lifecycle rule" },
  // DynamoDB
  dynamoDbItemBytes: { min: 1, max: 409_600, unit: "bytes", limitOf: "DynamoDB's item size limit" },
  dynamoDbTransactItems: { min: 1, max: 100, limitOf: "DynamoDB's limit for a transaction" },
  // EventBridge Pipes with a DynamoDB stream source
  pipesStreamBatchSize: { min: 1, max: 10_000, limitOf: "EventBridge Pipes' limit for a stream source" },
  pipesBatchingWindowSeconds: { min: 0, max: 300, unit: "s", limitOf: "EventBridge Pipes' limit" },
  /** -1 retries until the record expires. */
  pipesMaximumRetryAttempts: { min: -1, max: 10_000, limitOf: "EventBridge Pipes' limit" },
  /** -1 never gives up on age; otherwise at least 60. */
  pipesMaximumRecordAgeSeconds: { min: -1, max: 604_800, unit: "s", limitOf: "EventBridge Pipes' limit" },
  // DynamoDB Streams
  dynamoDbStreamGetRecords: { min: 1, max: 1000, limitOf: "DynamoDB Streams' limit for GetRecords" },
} as const satisfies Record<string, WholeNumberRange>;

/**
 * What AWS gives a setting that is left out, in one place for the constructs (which document them as
 * their defaults), the local pipeline (which applies them to a template that leaves them out) and the
 * CLI.
 */
export const AWS_DEFAULTS = {
  /**
   * A standard queue created without the attribute. The largest message became 1 MiB in August
   * 2025 ("Amazon SQS increases maximum message payload size to 1 MiB"), and existing queues got it
   * without a change, so a queue that does not set `MaximumMessageSize` takes 1 MiB.
   */
  sqsQueue: {
    visibilityTimeoutSeconds: 30,
    messageRetentionSeconds: 345_600,
    delaySeconds: 0,
    receiveMessageWaitTimeSeconds: 0,
    maximumMessageSize: 1_048_576,
    kmsDataKeyReusePeriodSeconds: 300,
  },
  /** A rule target's retry policy when it sets none: 24 hours and 185 attempts. */
  eventBridgeTargetRetry: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
  /** A Lambda function created without `Timeout` or `MemorySize`. */
  lambdaFunction: { timeoutSeconds: 3, memorySize: 128 },
  /** Lambda's SQS event source mapping: 10 records, no batching window. */
  sqsEventSource: { batchSize: 10, maxBatchingWindowSeconds: 0 },
  /** DynamoDB Streams: records are kept 24 hours; a shard iterator expires 15 minutes after it is returned. */
  dynamoDbStream: { retentionHours: 24, shardIteratorMinutes: 15 },
  /** Firehose's buffering hints for an S3 destination. */
  firehoseBuffering: { intervalSeconds: 300, sizeMiB: 5 },
} as const;

/**
 * What is wrong with `value` as `prop`, when it is not a whole number within `range`: the prop, the
 * value given, the range expected and the fix; `undefined` when the value is fine. Each construct
 * throws it in its own error class, prefixed by what it configures.
 */
export function wholeNumberOutOfRange(
  prop: string,
  value: number,
  range: WholeNumberRange,
): string | undefined {
  const max = range.max ?? Number.POSITIVE_INFINITY;
  if (Number.isInteger(value) && value >= range.min && value <= max) return undefined;
  const unit = range.unit ? ` ${range.unit}` : "";
  const expected =
    range.max === undefined
      ? `a whole number${range.unit ? ` of ${range.unit}` : ""}, at least ${range.min}`
      : `a whole number from ${range.min} to ${range.max}${unit}`;
  const limitOf = range.limitOf ? ` (${range.limitOf})` : "";
  const fix =
    range.defaultValue === undefined
      ? `set ${prop} within that range`
      : `set ${prop} within that range, or leave it out for the default, ${range.defaultValue}`;
  return `${prop} is ${value}${unit}; expected ${expected}${limitOf}; ${fix}`;
}
