import * as z from "zod";
import { DETAIL_TYPE_PATTERN, SOURCE_PATTERN } from "../naming";

const VERSION_PATTERN = /^\d+\.\d+$/;

/**
 * The metadata every event carries in `detail.metadata`.
 *
 * `eventId` is the idempotency key: it survives replays and redrives, while EventBridge's own `id`
 * is not documented to do so.
 */
export const eventMetadataSchema = z.object({
  eventId: z.string().min(1).describe("Producer-assigned ULID; the idempotency key"),
  schemaVersion: z
    .string()
    .regex(VERSION_PATTERN)
    .describe("Version of the event type's schema, MAJOR.MINOR"),
  correlationId: z.string().min(1).describe("Shared by every event of one business flow"),
  causationId: z.string().min(1).optional().describe("eventId of the event that caused this one"),
  producer: z.string().min(1).describe("Name of the service that published the event"),
  occurredAt: z.iso.datetime({ offset: true }).describe("When the fact happened, ISO 8601"),
});

export type EventMetadata = z.infer<typeof eventMetadataSchema>;

/** What a team writes to declare one event type. */
export interface EventTypeProps<TDetailType extends string, TData extends z.ZodType> {
  /** EventBridge `source`, e.g. `eventrail.orders`. Must not start with `aws.`. */
  readonly source: string;
  /** EventBridge `detail-type`, PascalCase, e.g. `OrderPlaced`. */
  readonly detailType: TDetailType;
  /** Schema version, `MAJOR.MINOR`. Bump MAJOR for a breaking change (then declare a new type). */
  readonly version: string;
  /** Zod schema of `detail.data`. */
  readonly data: TData;
  /** One sentence: what fact this event records. */
  readonly description: string;
  /** A valid example of `detail.data`; it is checked against `data` when the type is defined. */
  readonly example: z.input<TData>;
}

/** One event type of the catalog: the single source of truth for its contract. */
export interface EventType<TDetailType extends string = string, TData extends z.ZodType = z.ZodType>
  extends EventTypeProps<TDetailType, TData> {
  /** Schema of the whole `detail`: `{ metadata, data }`. */
  readonly detail: z.ZodObject<{ metadata: typeof eventMetadataSchema; data: TData }>;
}

/** Raised when an event type declaration is itself invalid. */
export class EventTypeDefinitionError extends Error {
  public override readonly name = "EventTypeDefinitionError";
}

/**
 * Declares an event type. Validates the declaration at once, so a bad catalog fails at import
 * (and so at synth and in the tests), never at run time in a consumer.
 */
export function defineEventType<const TDetailType extends string, TData extends z.ZodType>(
  props: EventTypeProps<TDetailType, TData>,
): EventType<TDetailType, TData> {
  if (!SOURCE_PATTERN.test(props.source)) {
    throw new EventTypeDefinitionError(
      `Event type ${props.detailType}: source "${props.source}" is invalid; expected lower-case reverse-DNS such as "eventrail.orders" (not starting with "aws.")`,
    );
  }
  if (!DETAIL_TYPE_PATTERN.test(props.detailType)) {
    throw new EventTypeDefinitionError(
      `Event type detailType "${props.detailType}" is invalid; expected PascalCase letters and digits such as "OrderPlaced"`,
    );
  }
  if (!VERSION_PATTERN.test(props.version)) {
    throw new EventTypeDefinitionError(
      `Event type ${props.detailType}: version "${props.version}" is invalid; expected MAJOR.MINOR such as "1.0"`,
    );
  }
  const checked = props.data.safeParse(props.example);
  if (!checked.success) {
    throw new EventTypeDefinitionError(
      `Event type ${props.detailType}: its example does not match its own data schema: ${z.prettifyError(checked.error)}`,
    );
  }
  return {
    ...props,
    detail: z.object({ metadata: eventMetadataSchema, data: props.data }),
  };
}
