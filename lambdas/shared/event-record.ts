import { parse } from "@aws-lambda-powertools/parser";
import type { SQSRecord } from "aws-lambda";
import * as z from "zod";
import {
  catalog,
  type EventMetadata,
  type EventTypeName,
  isEventTypeName,
  type ParsedDataOf,
} from "../../lib/catalog";

/**
 * The EventBridge envelope as a rule target writes it into an SQS message body. Same shape as
 * Powertools' `EventBridgeSchema`, declared here because Powertools' schema modules import Zod as
 * `{ z }`, which makes esbuild bundle Zod's whole namespace (every locale, about 450 KB minified)
 * into each consumer.
 */
export const eventBridgeEnvelopeSchema = z.object({
  version: z.string(),
  id: z.string(),
  source: z.string(),
  account: z.string(),
  time: z.iso.datetime({ offset: true }),
  region: z.string(),
  resources: z.array(z.string()),
  "detail-type": z.string(),
  detail: z.unknown(),
  "replay-name": z.string().optional(),
});

/** An EventBridge event as received, its `detail` not yet validated. */
export type EventBridgeEnvelope = z.infer<typeof eventBridgeEnvelopeSchema>;

/** A validated event of the catalog, as a consumer's handler receives it. */
export interface ConsumedEvent<N extends EventTypeName = EventTypeName> {
  readonly detailType: N;
  /** `detail.data`, parsed with the catalog's schema of `N`. */
  readonly data: ParsedDataOf<N>;
  /** `detail.metadata`: eventId (the idempotency key), correlationId, causationId, producer... */
  readonly metadata: EventMetadata;
  /** The archive replay that re-sent this event; absent for a live event. */
  readonly replayName?: string;
  /** The envelope as received (`id`, `time`, `resources`...), `detail` unvalidated. */
  readonly raw: EventBridgeEnvelope;
}

/** Why an SQS record could not become a {@link ConsumedEvent}. */
export type RejectionReason =
  /** The message body is not JSON. */
  | "invalid-json"
  /** The body is JSON but not an EventBridge event. */
  | "invalid-envelope"
  /** The catalog has no event type with this source and detail-type. */
  | "unknown-event-type"
  /** The event type is catalogued, but this consumer has no handler for it: a routing mistake. */
  | "unhandled-event-type"
  /** `detail.metadata.schemaVersion` has another MAJOR version than the catalog's type. */
  | "unsupported-schema-version"
  /** `detail` fails the catalog's schema. */
  | "invalid-detail";

/**
 * A record that can never be processed as it is. It fails its batch item, so SQS redelivers it
 * until `maxReceiveCount` moves it to the queue's DLQ, where an operator can inspect it.
 */
export class EventRecordRejectedError extends Error {
  public override readonly name = "EventRecordRejectedError";

  public constructor(
    /** What is wrong with the record, as a stable code for logs and tests. */
    public readonly reason: RejectionReason,
    message: string,
    /** What could still be read of the record, so its log line can be tied to a flow. */
    public readonly readable: { readonly correlationId?: string; readonly eventId?: string } = {},
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Zod-style issues as Powertools' `parse` reports them (Standard Schema issues). */
interface SchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

function describeIssues(issues: readonly SchemaIssue[]): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? [])
        .map((segment) => String(typeof segment === "object" ? segment.key : segment))
        .join(".");
      return `${path === "" ? "(root)" : path}: ${issue.message}`;
    })
    .join("; ");
}

function issuesOf(error: Error): readonly SchemaIssue[] {
  return Array.isArray(error.cause) ? (error.cause as SchemaIssue[]) : [{ message: error.message }];
}

/** The ids a malformed detail may still carry, read without trusting its shape. */
function readableIds(detail: unknown): { correlationId?: string; eventId?: string } {
  const metadata = z
    .object({
      metadata: z.object({ correlationId: z.string().optional(), eventId: z.string().optional() }),
    })
    .safeParse(detail);
  return metadata.success ? metadata.data.metadata : {};
}

function majorOf(version: string): string {
  return version.split(".", 1)[0] ?? version;
}

/**
 * Turns one SQS record of an EventBridge rule target into a validated catalog event, or throws an
 * {@link EventRecordRejectedError} that says why not. Validation is staged (JSON, envelope, event
 * type, version, detail) so that every rejection carries a precise reason.
 *
 * @param record - the SQS record whose body is the EventBridge event
 * @param handled - the event types this consumer has handlers for
 */
export function parseEventRecord(record: SQSRecord, handled: ReadonlySet<EventTypeName>): ConsumedEvent {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch (error) {
    throw new EventRecordRejectedError(
      "invalid-json",
      `Message ${record.messageId}: body is not JSON (${(error as Error).message}); expected an EventBridge event as a rule target delivers it`,
      {},
      { cause: error },
    );
  }

  const envelope = parse(body, undefined, eventBridgeEnvelopeSchema, true);
  if (!envelope.success) {
    throw new EventRecordRejectedError(
      "invalid-envelope",
      `Message ${record.messageId}: body is not an EventBridge event: ${describeIssues(issuesOf(envelope.error))}`,
      readableIds((body as { detail?: unknown } | null)?.detail),
      { cause: envelope.error },
    );
  }
  const raw = envelope.data;
  const detailType = raw["detail-type"];
  const readable = readableIds(raw.detail);

  if (!isEventTypeName(detailType) || catalog[detailType].source !== raw.source) {
    throw new EventRecordRejectedError(
      "unknown-event-type",
      `Message ${record.messageId}: the catalog has no event type "${detailType}" from source "${raw.source}"; declare it in lib/catalog or fix the producer`,
      readable,
    );
  }
  if (!handled.has(detailType)) {
    throw new EventRecordRejectedError(
      "unhandled-event-type",
      `Message ${record.messageId}: this consumer handles ${[...handled].join(", ")}, not ${detailType}; its subscription's rule routes more than its handlers cover`,
      readable,
    );
  }

  const eventType = catalog[detailType];
  const declaredVersion = (raw.detail as { metadata?: { schemaVersion?: unknown } } | null)?.metadata
    ?.schemaVersion;
  if (typeof declaredVersion === "string" && majorOf(declaredVersion) !== majorOf(eventType.version)) {
    throw new EventRecordRejectedError(
      "unsupported-schema-version",
      `Message ${record.messageId}: ${detailType} schemaVersion "${declaredVersion}" is not compatible with the catalog's "${eventType.version}" (same MAJOR expected)`,
      readable,
    );
  }

  const detail = parse(raw.detail, undefined, eventType.detail, true);
  if (!detail.success) {
    throw new EventRecordRejectedError(
      "invalid-detail",
      `Message ${record.messageId}: ${detailType} detail does not match the catalog schema ${eventType.version}: ${describeIssues(issuesOf(detail.error))}`,
      readable,
      { cause: detail.error },
    );
  }

  const replayName = raw["replay-name"];
  return {
    detailType,
    // The catalog's schemas are keyed by detail-type, so this is the data of `detailType`.
    data: detail.data.data as ParsedDataOf<typeof detailType>,
    metadata: detail.data.metadata,
    ...(replayName === undefined ? {} : { replayName }),
    raw,
  };
}
