import { randomUUID } from "node:crypto";
import type { PutEventsRequestEntry, PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import type { EventMetadata, EventTypeName, ParsedDataOf } from "../catalog";
import { BatchingPublisher, type PublisherOptions } from "./batching-publisher";

/** One event the in-memory publisher accepted, as EventBridge would have received it. */
export interface PublishedEvent {
  /** The PutEvents entry exactly as it would have been sent. */
  readonly entry: PutEventsRequestEntry;
  readonly source: string;
  readonly detailType: string;
  /** `Detail`, parsed: `{ metadata, data }`. */
  readonly detail: { readonly metadata: EventMetadata; readonly data: unknown };
  /** The id standing in for the one EventBridge would assign. */
  readonly eventBridgeId: string;
}

/** A simulated per-entry failure, as PutEvents reports one. */
export interface SimulatedFailure {
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** Settings of an {@link InMemoryPublisher}; everything is optional. */
export interface InMemoryPublisherOptions extends Partial<PublisherOptions> {
  /**
   * Decides, per entry and per attempt, whether PutEvents "fails" it; lets producers test their
   * handling of throttling (`ThrottlingException` is retried) and of refusals.
   * @default - every entry is accepted
   */
  readonly failEntry?: (entry: PutEventsRequestEntry, attempt: number) => SimulatedFailure | undefined;
  /**
   * Keep accepted events in `published`. Turn it off to validate and count inputs of any length
   * in bounded memory (a dry run).
   * @default true
   */
  readonly record?: boolean;
}

/**
 * A publisher for producers' own unit tests: the same validation, envelope, batching, retries and
 * result shape as {@link EventBridgePublisher}, but it records accepted events in
 * {@link InMemoryPublisher.published} instead of calling AWS. Backoff does not wait by default.
 *
 * @example
 * const publisher = new InMemoryPublisher({ producer: "checkout" });
 * await placeOrder(publisher, order);
 * expect(publisher.ofType("OrderPlaced")[0]?.data.orderId).toBe(order.orderId);
 */
export class InMemoryPublisher extends BatchingPublisher {
  readonly #published: PublishedEvent[] = [];
  readonly #attempts = new Map<string, number>();
  readonly #failEntry: InMemoryPublisherOptions["failEntry"];
  readonly #record: boolean;

  constructor(options: InMemoryPublisherOptions = {}) {
    super({
      sleep: async () => {},
      ...options,
      eventBusName: options.eventBusName ?? "in-memory",
      producer: options.producer ?? "test",
    });
    this.#failEntry = options.failEntry;
    this.#record = options.record ?? true;
  }

  /** Every accepted event, in the order the calls were made. */
  public get published(): readonly PublishedEvent[] {
    return this.#published;
  }

  /** The `{ metadata, data }` of the accepted events of one type, with the data typed. */
  public ofType<N extends EventTypeName>(
    detailType: N,
  ): readonly { readonly metadata: EventMetadata; readonly data: ParsedDataOf<N> }[] {
    return this.#published
      .filter((event) => event.detailType === detailType)
      .map((event) => event.detail as { metadata: EventMetadata; data: ParsedDataOf<N> });
  }

  /** Forgets every recorded event. */
  public clear(): void {
    this.#published.length = 0;
    this.#attempts.clear();
  }

  protected override async putEvents(
    entries: readonly PutEventsRequestEntry[],
  ): Promise<readonly PutEventsResultEntry[]> {
    return entries.map((entry) => {
      const eventBridgeId = randomUUID();
      if (this.#failEntry === undefined && !this.#record) return { EventId: eventBridgeId };
      const detail = JSON.parse(entry.Detail ?? "{}") as PublishedEvent["detail"];
      if (this.#failEntry !== undefined) {
        // Attempts are counted per event only when failures are simulated: nothing else needs them.
        const attempt = (this.#attempts.get(detail.metadata.eventId) ?? 0) + 1;
        this.#attempts.set(detail.metadata.eventId, attempt);
        const failure = this.#failEntry(entry, attempt);
        if (failure !== undefined) {
          return { ErrorCode: failure.errorCode, ErrorMessage: failure.errorMessage };
        }
      }
      if (!this.#record) return { EventId: eventBridgeId };
      this.#published.push({
        entry,
        source: entry.Source ?? "",
        detailType: entry.DetailType ?? "",
        detail,
        eventBridgeId,
      });
      return { EventId: eventBridgeId };
    });
  }
}
