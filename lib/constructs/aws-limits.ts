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
 * The limits AWS enforces on the settings the constructs pass through, so that a value it would
 * refuse fails `cdk synth` rather than a deployment.
 */
export const AWS_LIMITS = {
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
  sqsMaxReceiveCount: { min: 1, max: 1000, limitOf: "SQS's limit for a redrive policy" },
  sqsVisibilityTimeoutSeconds: { min: 0, max: 43_200, unit: "s", limitOf: "SQS's limit" },
  sqsRetentionSeconds: { min: 60, max: 1_209_600, unit: "s", limitOf: "SQS's limit, 1 minute to 14 days" },
  eventBridgeTargetRetryAttempts: { min: 0, max: 185, limitOf: "EventBridge's limit for a target" },
  eventBridgeTargetMaxEventAgeSeconds: {
    min: 60,
    max: 86_400,
    unit: "s",
    limitOf: "EventBridge's limit for a target, 1 minute to 24 hours",
  },
  eventBridgeArchiveRetentionDays: { min: 0, unit: "days", limitOf: "EventBridge's limit; 0 keeps forever" },
  firehoseBufferingIntervalSeconds: { min: 0, max: 900, unit: "s", limitOf: "Firehose's limit for S3" },
  firehoseBufferingSizeMiB: { min: 1, max: 128, unit: "MiB", limitOf: "Firehose's limit for S3" },
  s3ExpirationDays: { min: 1, unit: "days", limitOf: "S3's limit for a lifecycle rule" },
} as const satisfies Record<string, WholeNumberRange>;

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
