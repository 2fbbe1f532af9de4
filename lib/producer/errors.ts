import type { PublishResult, UnpublishedOutcome } from "./types";

/** How many failures a {@link PublishError} message spells out before summarising the rest. */
const FAILURES_IN_MESSAGE = 5;

/**
 * An event was rejected before any network call: its detail-type is not in the catalog, its data
 * or metadata do not match the catalog schema, or a ready-made entry is malformed.
 */
export class EventValidationError extends Error {
  public override readonly name: string = "EventValidationError";

  constructor(
    message: string,
    /** The detail-type of the rejected event, as given. */
    public readonly detailType: string,
    /** One line per problem, each naming the path and what was expected. */
    public readonly issues: readonly string[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * An event is larger than the PutEvents entry-size limit (computed with AWS's formula), so
 * EventBridge would refuse it; it is rejected before sending.
 */
export class EventTooLargeError extends EventValidationError {
  public override readonly name: string = "EventTooLargeError";

  constructor(
    detailType: string,
    /** The size in bytes: the entry's, by AWS's PutEvents entry-size formula, unless a subclass says otherwise. */
    public readonly size: number,
    /** The configured limit in bytes (`maxEntryBytes`, or the subclass's own). */
    public readonly limit: number,
    /** @default - the message for the PutEvents entry-size limit */
    message?: string,
  ) {
    super(
      message ??
        `${detailType} event is ${size.toLocaleString("en-US")} bytes by the PutEvents entry-size formula; ` +
          `the limit is ${limit.toLocaleString("en-US")} bytes (maxEntryBytes). ` +
          "Store large payloads elsewhere (e.g. S3) and publish a reference, or raise maxEntryBytes if your bus accepts 1 MB entries.",
      detailType,
      [`size ${size} > limit ${limit}`],
    );
  }
}

/**
 * An event fits EventBridge but not the audit trail: its audit record (the EventBridge event as
 * JSON, envelope included, plus a newline; see `auditRecordSize`) exceeds `maxAuditRecordBytes`,
 * by default Firehose's 1,000 KiB record limit. EventBridge would accept it and Firehose refuse it,
 * so it would take effect without ever being audited; it is rejected before sending instead.
 */
export class AuditRecordTooLargeError extends EventTooLargeError {
  public override readonly name: string = "AuditRecordTooLargeError";

  constructor(
    detailType: string,
    /** The audit record's size in bytes, by `auditRecordSize`. */
    size: number,
    /** The configured limit in bytes (`maxAuditRecordBytes`). */
    limit: number,
  ) {
    super(
      detailType,
      size,
      limit,
      `${detailType} event would make an audit record of ${size.toLocaleString("en-US")} bytes ` +
        "(the EventBridge event as JSON, envelope included, plus a newline); " +
        `the audit trail takes at most ${limit.toLocaleString("en-US")} bytes (maxAuditRecordBytes; Firehose's record limit is 1,000 KiB = 1,024,000 bytes), ` +
        "although EventBridge accepts entries up to 1 MiB, so the event would take effect without being audited. " +
        "Store the payload in S3 and publish a reference to it (claim-check pattern), " +
        "or pass maxAuditRecordBytes: false if no audit trail records this bus.",
    );
  }
}

/** A `PublishStream` was iterated a second time; each stream publishes its input once. */
export class PublishStreamConsumedError extends Error {
  public override readonly name = "PublishStreamConsumedError";

  constructor() {
    super(
      "This PublishStream was already iterated; a stream publishes its input once. Call publishStream again to publish again.",
    );
  }
}

/** A publisher was configured with a setting it cannot work with. */
export class PublisherConfigurationError extends Error {
  public override readonly name = "PublisherConfigurationError";
}

/**
 * Raised in strict mode when any event was not published: it lists every such event (invalid, or
 * failed with a non-retryable code, or failed after the last attempt) so that nothing is swallowed.
 */
export class PublishError extends Error {
  public override readonly name = "PublishError";

  constructor(
    /** Every event that was not published, in input order. */
    public readonly failures: readonly UnpublishedOutcome[],
    /** The whole result, when the publish call collected one (`publishAll`, `publish`). */
    public readonly result?: PublishResult,
  ) {
    super(describeFailures(failures, result));
  }
}

function describeFailures(failures: readonly UnpublishedOutcome[], result?: PublishResult): string {
  const total = result ? ` of ${result.outcomes.length}` : "";
  const listed = failures
    .slice(0, FAILURES_IN_MESSAGE)
    .map((f) => `#${f.index} ${f.detailType} ${f.status} ${f.errorCode}: ${f.errorMessage}`);
  const more =
    failures.length > FAILURES_IN_MESSAGE ? [`and ${failures.length - FAILURES_IN_MESSAGE} more`] : [];
  return (
    `${failures.length}${total} event(s) were not published: ${[...listed, ...more].join("; ")}. ` +
    "Inspect error.failures; invalid events need their data fixed, failed ones can be published again."
  );
}
