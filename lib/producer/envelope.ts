import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { monotonicFactory } from "ulid";
import type { z } from "zod";
import { type EventType, eventTypes, findEventType } from "../catalog";
import { auditRecordSize, putEventsEntrySize } from "./entry-size";
import { EventValidationError } from "./errors";
import type { AnyPublishRequest, PublishInput, PublishRequest, PutEventsEntryInput } from "./types";

/** One factory per process: ids from every publisher in it sort in the order they were made. */
const nextUlid = monotonicFactory();

/** A new event id: a ULID, sortable by creation time and strictly increasing within this process. */
export function newEventId(): string {
  return nextUlid();
}

/** What the envelope needs besides the request: where it goes and who sends it. */
export interface EnvelopeContext {
  /** The bus the entry is addressed to (`EventBusName`). */
  readonly eventBusName: string;
  /** The publishing service, written to `metadata.producer`. */
  readonly producer: string;
  /** X-Ray trace header. @default - `_X_AMZN_TRACE_ID` from the environment when set (Lambda sets it per invocation) */
  readonly traceHeader?: string;
  /** When the event occurred (`metadata.occurredAt`). @default - now */
  readonly now?: Date;
}

/** A validated event, ready to go into a PutEvents call. */
export interface PreparedEvent {
  readonly detailType: string;
  /** `metadata.eventId`: the idempotency key. */
  readonly eventId: string;
  readonly entry: PutEventsRequestEntry;
  /** Bytes by AWS's PutEvents entry-size formula. */
  readonly size: number;
  /** Bytes of the audit trail's record of the event, by {@link auditRecordSize}. */
  readonly auditSize: number;
}

/** A request whose types are not known at compile time (read from a file, a queue, a CLI). */
export interface UncheckedPublishRequest {
  readonly detailType: string;
  readonly data: unknown;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly resources?: readonly string[];
}

/** Whether an input is a ready PutEvents entry rather than a typed request. */
export function isPutEventsEntryInput(input: PublishInput | PublishRequest): input is PutEventsEntryInput {
  return typeof (input as Partial<PutEventsEntryInput>).DetailType === "string";
}

/**
 * Builds the PutEvents entry of a request: `Source` and `DetailType` from the catalog, `Detail` =
 * `{ metadata, data }` with the metadata filled in (`eventId` given or a new ULID, `occurredAt`,
 * `schemaVersion`, `producer`, `correlationId` given or the event's own id, `causationId` when
 * chaining), `EventBusName`, `Resources` and `TraceHeader`. Validates against the catalog first.
 *
 * @throws EventValidationError when the detail-type is unknown or the data does not match its schema
 */
export function toPutEventsEntry(
  request: PublishRequest | AnyPublishRequest,
  context: EnvelopeContext,
): PutEventsRequestEntry {
  return prepareRequest(request, context).entry;
}

/**
 * Validates a request and builds its entry; see {@link toPutEventsEntry}. `Detail` holds the data
 * as the schema parsed it, so what is sent is exactly what the catalog describes.
 *
 * @throws EventValidationError when the detail-type is unknown or the data does not match its schema
 */
export function prepareRequest(
  request: PublishRequest | AnyPublishRequest,
  context: EnvelopeContext,
): PreparedEvent {
  const eventType = requireEventType(request.detailType);
  const eventId = request.eventId ?? newEventId();
  const metadata = {
    eventId,
    schemaVersion: eventType.version,
    correlationId: request.correlationId ?? eventId,
    ...(request.causationId === undefined ? {} : { causationId: request.causationId }),
    producer: context.producer,
    occurredAt: (context.now ?? new Date()).toISOString(),
  };
  const detail = parseDetail(eventType, { metadata, data: request.data });
  const traceHeader = context.traceHeader ?? process.env._X_AMZN_TRACE_ID;
  const entry: PutEventsRequestEntry = {
    Source: eventType.source,
    DetailType: eventType.detailType,
    Detail: JSON.stringify(detail),
    EventBusName: context.eventBusName,
    ...(request.resources === undefined ? {} : { Resources: [...request.resources] }),
    ...(traceHeader === undefined ? {} : { TraceHeader: traceHeader }),
  };
  return {
    detailType: eventType.detailType,
    eventId,
    entry,
    size: putEventsEntrySize(entry),
    // Detail is JSON.stringify's compact text: what the audit trail stores.
    auditSize: auditRecordSize(entry),
  };
}

/**
 * Validates a ready entry against the catalog (known detail-type, matching source, `Detail` a valid
 * `{ metadata, data }` of the same major version, no other bus) and returns it addressed to the
 * context's bus. `Detail` is sent as given: it already carries its own metadata.
 *
 * @throws EventValidationError naming the first field that is wrong
 */
export function prepareEntry(input: PutEventsEntryInput, context: EnvelopeContext): PreparedEvent {
  const eventType = requireEventType(input.DetailType);
  if (input.Source !== eventType.source) {
    throw invalid(
      eventType.detailType,
      `Source "${input.Source}" does not match the catalog; expected "${eventType.source}" for ${eventType.detailType}. Fix Source or DetailType.`,
    );
  }
  if (input.EventBusName !== undefined && input.EventBusName !== context.eventBusName) {
    throw invalid(
      eventType.detailType,
      `EventBusName "${input.EventBusName}" differs from the publisher's bus "${context.eventBusName}". Remove EventBusName from the entry or publish to "${input.EventBusName}".`,
    );
  }
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(input.Detail);
  } catch (error) {
    throw invalid(
      eventType.detailType,
      `Detail is not valid JSON (${(error as Error).message}); expected the JSON text of { "metadata": {...}, "data": {...} }.`,
    );
  }
  const detail = parseDetail(eventType, parsedJson);
  const major = detail.metadata.schemaVersion.split(".")[0];
  if (major !== eventType.version.split(".")[0]) {
    throw invalid(
      eventType.detailType,
      `metadata.schemaVersion "${detail.metadata.schemaVersion}" is not compatible with the catalog's ${eventType.detailType} ${eventType.version}; expected major version ${eventType.version.split(".")[0]}. Declare a new event type for a breaking change.`,
    );
  }
  const traceHeader = input.TraceHeader ?? context.traceHeader ?? process.env._X_AMZN_TRACE_ID;
  const entry: PutEventsRequestEntry = {
    Source: input.Source,
    DetailType: input.DetailType,
    Detail: input.Detail,
    EventBusName: context.eventBusName,
    ...(input.Resources === undefined ? {} : { Resources: [...input.Resources] }),
    ...(input.Time === undefined ? {} : { Time: input.Time }),
    ...(traceHeader === undefined ? {} : { TraceHeader: traceHeader }),
  };
  return {
    detailType: eventType.detailType,
    eventId: detail.metadata.eventId,
    entry,
    size: putEventsEntrySize(entry),
    // EventBridge may deliver the detail as sent or re-serialized (compact): count the larger.
    auditSize: Math.max(
      auditRecordSize(entry),
      auditRecordSize({ ...entry, Detail: JSON.stringify(parsedJson) }),
    ),
  };
}

/**
 * Checks a request whose types are only known at run time (a line of a file, say) and returns it
 * as a typed request.
 *
 * @throws EventValidationError when the detail-type is unknown or the data does not match its schema
 */
export function parsePublishRequest(request: UncheckedPublishRequest): AnyPublishRequest {
  const eventType = requireEventType(request.detailType);
  const checked = eventType.data.safeParse(request.data);
  if (!checked.success) {
    throw schemaError(eventType, checked.error, request.data, ["data"]);
  }
  // The schema of this very detail-type accepted the data: the pairing the union expresses holds.
  return request as AnyPublishRequest;
}

function requireEventType(detailType: unknown): EventType {
  const eventType = typeof detailType === "string" ? findEventType(detailType) : undefined;
  if (eventType === undefined) {
    const known = eventTypes.map((t) => t.detailType).join(", ");
    throw invalid(
      String(detailType),
      `Unknown detail-type ${JSON.stringify(detailType)}: it is not in the event catalog. Expected one of: ${known}. Run "eventrail catalog" to see them.`,
    );
  }
  return eventType;
}

type ParsedDetail = z.output<EventType["detail"]>;

function parseDetail(eventType: EventType, detail: unknown): ParsedDetail {
  const checked = eventType.detail.safeParse(detail);
  if (!checked.success) throw schemaError(eventType, checked.error, detail, []);
  return checked.data;
}

function schemaError(
  eventType: EventType,
  error: z.ZodError,
  input: unknown,
  /** Where `input` sits in the detail, for the paths in the message. */
  prefix: readonly string[],
): EventValidationError {
  const issues = error.issues.map((issue) => {
    const where = [...prefix, ...issue.path.map(String)].join(".") || "(root)";
    return `${where}: ${issue.message} (received ${describeValue(valueAt(input, issue.path))})`;
  });
  return new EventValidationError(
    `${eventType.detailType} event does not match its catalog schema ${eventType.version}: ${issues.join("; ")}. ` +
      `Fix the event so it matches (run "eventrail catalog --json" for the JSON Schema).`,
    eventType.detailType,
    issues,
  );
}

function invalid(detailType: string, message: string): EventValidationError {
  return new EventValidationError(`${detailType} event is invalid: ${message}`, detailType, [message]);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/** A short rendering of a received value for an error message; long values are cut. */
function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
