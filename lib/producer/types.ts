import type { DataOf, EventMetadata, EventTypeName } from "../catalog";

/** One event to publish: its type, its data, and optional lineage. */
export interface PublishRequest<N extends EventTypeName = EventTypeName> {
  readonly detailType: N;
  readonly data: DataOf<N>;
  /** Shared by every event of one flow. @default - a new id (this event starts a flow) */
  readonly correlationId?: string;
  /** eventId of the event that caused this one (event chaining). @default - none */
  readonly causationId?: string;
  /** EventBridge `resources` (ARNs the event concerns). @default [] */
  readonly resources?: readonly string[];
  /**
   * `metadata.eventId`, the idempotency key. Give one only when it must be the same every time the
   * same fact is published again, as `followUp` does for a retried consumer's follow-ups;
   * never give one fact's id to another: consumers would skip it as a duplicate.
   * @default - a new ULID
   */
  readonly eventId?: string;
}

/** What happened to one event, reported in input order. */
export type PublishOutcome =
  | {
      readonly status: "published";
      readonly index: number;
      readonly detailType: string;
      readonly eventId: string;
      /** The id EventBridge assigned. */
      readonly eventBridgeId: string;
    }
  | {
      readonly status: "failed" | "invalid";
      readonly index: number;
      readonly detailType: string;
      readonly eventId?: string;
      readonly errorCode: string;
      readonly errorMessage: string;
    };

/** An outcome of an event EventBridge accepted. */
export type PublishedOutcome = Extract<PublishOutcome, { readonly status: "published" }>;

/** An outcome of an event that was not published: `invalid` (never sent) or `failed` (refused). */
export type UnpublishedOutcome = Extract<PublishOutcome, { readonly status: "failed" | "invalid" }>;

/** Running totals of one publishing run. */
export interface PublishCounts {
  readonly published: number;
  readonly failed: number;
  readonly invalid: number;
  /** PutEvents calls made, retries included. */
  readonly calls: number;
}

/** The result of publishing one or more events. */
export interface PublishResult extends PublishCounts {
  /** One per input event, in input order. */
  readonly outcomes: readonly PublishOutcome[];
}

/**
 * A publish request of any catalogued type, with the data of *that* type: a union correlated by
 * detail-type, so that `{ detailType: "OrderPlaced", data: <PaymentFailed data> }` does not compile.
 */
export type AnyPublishRequest = { [N in EventTypeName]: PublishRequest<N> }[EventTypeName];

/**
 * A ready PutEvents entry, as the AWS CLI and the SDK spell it (for files, replays and tools).
 * Its `Detail` must already be the full `{ metadata, data }` of a catalogued type; it is validated
 * like a request and sent as given.
 */
export interface PutEventsEntryInput {
  readonly Source: string;
  readonly DetailType: string;
  /** JSON text of `{ metadata, data }`. */
  readonly Detail: string;
  /** Must be the publisher's bus when set. @default - the publisher's bus */
  readonly EventBusName?: string;
  /** @default [] */
  readonly Resources?: readonly string[];
  /** @default - the time EventBridge receives the call */
  readonly Time?: Date;
  /** X-Ray trace header. @default - the `_X_AMZN_TRACE_ID` of the running Lambda, if any */
  readonly TraceHeader?: string;
}

/** Anything a publisher takes in a batch: a typed request, or a ready entry. */
export type PublishInput = AnyPublishRequest | PutEventsEntryInput;

/**
 * The outcomes of a run, yielded one by one in input order as they become known. Reading slowly
 * slows publishing down (backpressure): only a bounded window of events is ever held in memory.
 */
export interface PublishStream extends AsyncIterable<PublishOutcome> {
  /** Totals so far; final once iteration has ended. */
  readonly counts: PublishCounts;
}

/** Seed 000's EventPublisher: one interface, several producers behind it. */
export interface EventPublisher {
  /** Publishes one event; resolves with its outcome (rejects only in strict mode). */
  publish<N extends EventTypeName>(request: PublishRequest<N>): Promise<PublishOutcome>;
  /**
   * Publishes any number of events with batching and backpressure; resolves with every outcome
   * (rejects only in strict mode, with a `PublishError` carrying the result).
   */
  publishAll(inputs: Iterable<PublishInput> | AsyncIterable<PublishInput>): Promise<PublishResult>;
  /**
   * Like {@link EventPublisher.publishAll}, but yields outcomes as they come instead of collecting
   * them, so that streams of any length run in bounded memory.
   */
  publishStream(inputs: Iterable<PublishInput> | AsyncIterable<PublishInput>): PublishStream;
}

/** The part of a consumed event a follow-up needs for its lineage. */
export interface CausingEvent {
  readonly metadata: Pick<EventMetadata, "eventId" | "correlationId">;
}
