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

/** The result of publishing one or more events. */
export interface PublishResult {
  /** One per input event, in input order. */
  readonly outcomes: readonly PublishOutcome[];
  readonly published: number;
  readonly failed: number;
  readonly invalid: number;
  /** PutEvents calls made, retries included. */
  readonly calls: number;
}

/** Seed 000's EventPublisher: one interface, several producers behind it. */
export interface EventPublisher {
  /** Publishes one event; resolves with its outcome (rejects only in strict mode). */
  publish<N extends EventTypeName>(request: PublishRequest<N>): Promise<PublishOutcome>;
  /** Publishes any number of events with batching and backpressure. */
  publishAll(requests: Iterable<PublishRequest> | AsyncIterable<PublishRequest>): Promise<PublishResult>;
}

/** The part of a consumed event a follow-up needs for its lineage. */
export interface CausingEvent {
  readonly metadata: Pick<EventMetadata, "eventId" | "correlationId">;
}
