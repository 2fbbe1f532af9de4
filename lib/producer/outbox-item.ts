/**
 * The outbox item: one event, written to the outbox table in the same DynamoDB transaction as the
 * state change it announces. The table's stream gives the pipe each new item (`INSERT`), the
 * pipe's enrichment turns it back into the event ({@link eventOfOutboxImage}), and the pipe puts
 * that on the bus. This module is the one definition of the item that the writer, the relay
 * function, the construct and the local pipeline share.
 */

/** The outbox table's partition key attribute (the table has no sort key). */
export const OUTBOX_KEY_ATTRIBUTE = "pk";

/** The attribute DynamoDB's time to live reads: epoch seconds after which the item may be deleted. */
export const OUTBOX_TTL_ATTRIBUTE = "expiresAt";

/** How long an item is kept after it was written, by default: long past its delivery, for inspection. */
export const DEFAULT_OUTBOX_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/** The pipe's filter: new items only. A time-to-live deletion (`REMOVE`) or an overwrite is no event. */
export const OUTBOX_PIPE_FILTER_PATTERN = { eventName: ["INSERT"] } as const;

/** An outbox item, as plain values (what `@aws-sdk/lib-dynamodb` marshals). */
export interface OutboxItem {
  /** `EVENT#<eventId>`: one item per event, so writing one event twice fails its condition. */
  readonly pk: string;
  /** `metadata.eventId`. */
  readonly eventId: string;
  /** EventBridge `source`. */
  readonly source: string;
  /** EventBridge `detail-type`. */
  readonly detailType: string;
  /** The event's detail, `{ metadata, data }`, as JSON text: sent to the bus exactly as written. */
  readonly detail: string;
  /** EventBridge `time`: `metadata.occurredAt`. */
  readonly time: string;
  /** EventBridge `resources`, when the event has any. */
  readonly resources?: readonly string[];
  /** `metadata.correlationId`, to find a flow's items. */
  readonly correlationId: string;
  /** Epoch seconds after which time to live deletes the item ({@link OUTBOX_TTL_ATTRIBUTE}). */
  readonly expiresAt: number;
}

/** The outbox item's key of an event. */
export function outboxKey(eventId: string): { readonly pk: string } {
  return { pk: `EVENT#${eventId}` };
}

/** The event an outbox item holds, as the pipe's target puts it on the bus. */
export interface OutboxEvent {
  readonly source: string;
  readonly detailType: string;
  readonly time: string;
  readonly resources: readonly string[];
  /** The detail as a JSON value (the target's `InputTemplate` is `<$.detail>`). */
  readonly detail: unknown;
}

/** Raised when a stream record does not hold an outbox item; the batch fails and ends in the pipe's DLQ. */
export class OutboxRecordError extends Error {
  public override readonly name = "OutboxRecordError";
}

/** A DynamoDB attribute value as a stream record carries it. */
type StreamAttribute = { readonly S?: string; readonly N?: string; readonly L?: readonly StreamAttribute[] };

/**
 * Reads the event out of an outbox item's new image, as a stream record carries it (DynamoDB's
 * typed JSON: `{ "source": { "S": "..." }, ... }`).
 *
 * @throws OutboxRecordError naming the attribute that is missing or malformed, and the item
 */
export function eventOfOutboxImage(image: Readonly<Record<string, unknown>> | undefined): OutboxEvent {
  if (image === undefined || image === null || typeof image !== "object") {
    throw new OutboxRecordError(
      "The stream record has no NewImage: the outbox table's stream must use the NEW_IMAGE (or NEW_AND_OLD_IMAGES) view",
    );
  }
  const pk = stringAttribute(image, OUTBOX_KEY_ATTRIBUTE, "(unknown item)");
  const text = stringAttribute(image, "detail", pk);
  let detail: unknown;
  try {
    detail = JSON.parse(text);
  } catch (error) {
    throw new OutboxRecordError(
      `Outbox item ${pk}: its detail is not JSON (${error instanceof Error ? error.message : String(error)}); write items with OutboxWriter`,
    );
  }
  if (detail === null || typeof detail !== "object" || Array.isArray(detail)) {
    throw new OutboxRecordError(
      `Outbox item ${pk}: its detail must be a JSON object; write items with OutboxWriter`,
    );
  }
  const resources = image.resources as StreamAttribute | undefined;
  return {
    source: stringAttribute(image, "source", pk),
    detailType: stringAttribute(image, "detailType", pk),
    time: stringAttribute(image, "time", pk),
    resources: (resources?.L ?? []).flatMap((value) => (typeof value.S === "string" ? [value.S] : [])),
    detail,
  };
}

function stringAttribute(image: Readonly<Record<string, unknown>>, name: string, item: string): string {
  const value = (image[name] as StreamAttribute | undefined)?.S;
  if (typeof value !== "string" || value === "") {
    throw new OutboxRecordError(
      `Outbox item ${item}: attribute ${name} is missing or not a non-empty string; write items with OutboxWriter`,
    );
  }
  return value;
}
