import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { catalog, type DataOf, type EventMetadata, type EventTypeName } from "../../../lib/catalog";

let sequence = 0;

/** A fresh id for each call, so no two test events share an eventId by accident. */
export function nextId(prefix: string): string {
  sequence += 1;
  return `${prefix}${String(sequence).padStart(6, "0")}`;
}

/** What a test may change in an event: its data, metadata, envelope fields or replay name. */
export interface EventOverrides<N extends EventTypeName> {
  readonly data?: Partial<DataOf<N>>;
  readonly metadata?: Partial<EventMetadata>;
  readonly source?: string;
  readonly replayName?: string;
}

/**
 * An EventBridge event of a catalogued type as a rule target delivers it: the catalog example as
 * data, a fresh eventId and correlationId, overridable piece by piece.
 */
export function anEvent<N extends EventTypeName>(
  detailType: N,
  overrides: EventOverrides<N> = {},
): Record<string, unknown> & { detail: { metadata: EventMetadata; data: DataOf<N> } } {
  const eventType = catalog[detailType];
  const data = { ...(eventType.example as DataOf<N>), ...overrides.data } as DataOf<N>;
  return {
    version: "0",
    id: nextId("eb-"),
    "detail-type": detailType,
    source: overrides.source ?? eventType.source,
    account: "123456789012",
    time: "2026-03-02T10:00:00Z",
    region: "eu-west-1",
    resources: [],
    ...(overrides.replayName === undefined ? {} : { "replay-name": overrides.replayName }),
    detail: {
      metadata: {
        eventId: nextId("01JEVENT"),
        schemaVersion: eventType.version,
        correlationId: nextId("01JFLOW"),
        producer: "test-producer",
        occurredAt: "2026-03-02T10:00:00Z",
        ...overrides.metadata,
      },
      data,
    },
  };
}

/** An SQS record carrying `body` (an object is serialised as JSON, a string is sent as it is). */
export function sqsRecord(
  body: unknown,
  overrides: { messageId?: string; receiveCount?: number } = {},
): SQSRecord {
  return {
    messageId: overrides.messageId ?? nextId("msg-"),
    receiptHandle: "receipt-handle",
    body: typeof body === "string" ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(overrides.receiveCount ?? 1),
      SentTimestamp: "1772445600000",
      SenderId: "AIDAEXAMPLE",
      ApproximateFirstReceiveTimestamp: "1772445600000",
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:eu-west-1:123456789012:eventrail-test",
    awsRegion: "eu-west-1",
  };
}

/** A batch of SQS records, as Lambda's event source mapping delivers it. */
export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

/** A Lambda context with 30 seconds left. */
export function lambdaContext(functionName = "eventrail-test-consumer"): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "256",
    awsRequestId: nextId("req-"),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2026/03/02/[$LATEST]0000",
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
