import type { PutEventsRequestEntry, PutEventsResultEntry } from "@aws-sdk/client-eventbridge";
import type { EventTypeName } from "../catalog";
import { fullJitterDelay, sleep } from "./backoff";
import {
  DEFAULT_MAX_AUDIT_RECORD_BYTES,
  DEFAULT_MAX_ENTRY_BYTES,
  LEGACY_MAX_ENTRY_BYTES,
} from "./entry-size";
import {
  type EnvelopeContext,
  isPutEventsEntryInput,
  type PreparedEvent,
  prepareEntry,
  prepareRequest,
} from "./envelope";
import {
  AuditRecordTooLargeError,
  EventTooLargeError,
  EventValidationError,
  PublishError,
  PublisherConfigurationError,
} from "./errors";
import { type IndexedEvent, PublishRun } from "./publish-run";
import type {
  EventPublisher,
  PublishInput,
  PublishOutcome,
  PublishRequest,
  PublishResult,
  PublishStream,
  UnpublishedOutcome,
} from "./types";

/** The per-entry error codes EventBridge documents as retryable. */
export const RETRYABLE_ENTRY_ERROR_CODES: readonly string[] = ["ThrottlingException", "InternalFailure"];

/** Settings shared by every publisher. */
export interface PublisherOptions {
  /** The event bus every entry is addressed to (name or ARN). */
  readonly eventBusName: string;
  /** The publishing service's name, written to `metadata.producer`. */
  readonly producer: string;
  /**
   * The PutEvents size limit, by AWS's entry-size formula, for one entry and for the sum of one
   * call's entries. Use `LEGACY_MAX_ENTRY_BYTES` (256 KiB) for buses or regions that keep the old limit.
   * @default DEFAULT_MAX_ENTRY_BYTES (1 MiB)
   */
  readonly maxEntryBytes?: number;
  /**
   * The largest audit record an event may make, in bytes: the event as EventBridge delivers it to
   * the audit trail's Firehose stream (envelope included, plus a newline; see `auditRecordSize`).
   * An event over it is rejected before sending (`AuditRecordTooLargeError`): EventBridge would
   * accept it, but Firehose refuses records over 1,000 KiB, so it would take effect unaudited.
   * Pass `false` for a bus no audit trail records, to publish entries up to `maxEntryBytes`.
   * @default DEFAULT_MAX_AUDIT_RECORD_BYTES (1,024,000 bytes, Firehose's 1,000 KiB record limit)
   */
  readonly maxAuditRecordBytes?: number | false;
  /** PutEvents calls to keep in flight at once (each with up to 10 events). @default 16 */
  readonly maxInFlight?: number;
  /** Attempts per event, the first included, for retryable per-entry errors. @default 5 */
  readonly maxAttempts?: number;
  /**
   * Throw instead of reporting: `publish` throws `EventValidationError` for an invalid event and
   * `PublishError` for a failed one; `publishAll` and `publishStream` throw `PublishError` listing
   * every unpublished event once all have been tried.
   * @default false
   */
  readonly strict?: boolean;
  /** First backoff ceiling; it doubles per attempt (full jitter). @default 100 */
  readonly baseDelayMs?: number;
  /** Highest backoff ceiling. @default 5000 */
  readonly maxDelayMs?: number;
  /** How long a partly filled batch waits for a slow async input before it is sent anyway. @default 10 */
  readonly lingerMs?: number;
  /** Per-entry error codes worth another attempt. @default RETRYABLE_ENTRY_ERROR_CODES */
  readonly retryableErrorCodes?: readonly string[];
  /** The clock for `metadata.occurredAt`. @default - the system clock */
  readonly clock?: () => Date;
  /** Waits between attempts; tests pass one that does not wait. @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Numbers in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
}

/**
 * The publishing logic every transport shares: catalog validation, envelope, size checks (the
 * PutEvents entry limit and the audit trail's record limit), batching, bounded concurrency with
 * backpressure, retries of retryable failed entries only, outcomes in input order, strict mode. A
 * subclass only says how one PutEvents call is made.
 */
export abstract class BatchingPublisher implements EventPublisher {
  /** The bus entries are addressed to. */
  public readonly eventBusName: string;
  /** Written to `metadata.producer`. */
  public readonly producer: string;
  /** The size limit in bytes, per entry and per call. */
  public readonly maxEntryBytes: number;
  /** The audit record size limit in bytes, per event; `false` when no audit trail is to be fitted. */
  public readonly maxAuditRecordBytes: number | false;
  /** PutEvents calls kept in flight at once. */
  public readonly maxInFlight: number;
  /** Attempts per event for retryable failures. */
  public readonly maxAttempts: number;
  /** Whether failures throw instead of being reported. */
  public readonly strict: boolean;

  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #lingerMs: number;
  readonly #retryable: ReadonlySet<string>;
  readonly #clock: () => Date;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(options: PublisherOptions) {
    this.eventBusName = requireText("eventBusName", options.eventBusName, '"orders-bus"');
    this.producer = requireText("producer", options.producer, '"checkout-service"');
    this.maxEntryBytes = requireInteger(
      "maxEntryBytes",
      options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES,
      1,
      `${DEFAULT_MAX_ENTRY_BYTES} (1 MiB) or ${LEGACY_MAX_ENTRY_BYTES} (256 KiB)`,
    );
    this.maxAuditRecordBytes =
      options.maxAuditRecordBytes === false
        ? false
        : requireInteger(
            "maxAuditRecordBytes",
            options.maxAuditRecordBytes ?? DEFAULT_MAX_AUDIT_RECORD_BYTES,
            1,
            `${DEFAULT_MAX_AUDIT_RECORD_BYTES} (Firehose's 1,000 KiB) or false (no audit trail)`,
          );
    this.maxInFlight = requireInteger("maxInFlight", options.maxInFlight ?? 16, 1, "16");
    this.maxAttempts = requireInteger("maxAttempts", options.maxAttempts ?? 5, 1, "5");
    this.strict = options.strict ?? false;
    this.#baseDelayMs = requireInteger("baseDelayMs", options.baseDelayMs ?? 100, 0, "100");
    this.#maxDelayMs = requireInteger("maxDelayMs", options.maxDelayMs ?? 5_000, 0, "5000");
    this.#lingerMs = requireInteger("lingerMs", options.lingerMs ?? 10, 0, "10");
    this.#retryable = new Set(options.retryableErrorCodes ?? RETRYABLE_ENTRY_ERROR_CODES);
    this.#clock = options.clock ?? (() => new Date());
    this.#sleep = options.sleep ?? sleep;
    this.#random = options.random ?? Math.random;
  }

  /**
   * Makes one PutEvents call and returns its result entries, one per entry in the same order.
   * Throws when the call as a whole fails; every entry of the call is then reported failed with
   * the error's name and message (call-level retries are the SDK client's business).
   */
  protected abstract putEvents(
    entries: readonly PutEventsRequestEntry[],
  ): Promise<readonly PutEventsResultEntry[]>;

  /** {@inheritDoc EventPublisher.publish} */
  public async publish<N extends EventTypeName>(request: PublishRequest<N>): Promise<PublishOutcome> {
    let prepared: IndexedEvent;
    try {
      prepared = { ...this.#validate(request), index: 0 };
    } catch (error) {
      if (this.strict) throw error;
      return invalidOutcome(request, 0, error);
    }
    let calls = 0;
    const [outcome] = await this.#deliver([prepared], () => {
      calls++;
    });
    if (outcome === undefined) throw new Error("deliver returned no outcome for a one-event batch");
    if (this.strict && outcome.status !== "published") {
      throw new PublishError([outcome], { outcomes: [outcome], published: 0, failed: 1, invalid: 0, calls });
    }
    return outcome;
  }

  /** {@inheritDoc EventPublisher.publishAll} */
  public async publishAll(
    inputs: Iterable<PublishInput> | AsyncIterable<PublishInput>,
  ): Promise<PublishResult> {
    const run = new PublishRun(inputs, this.#hooks(), false);
    const outcomes: PublishOutcome[] = [];
    for await (const outcome of run) outcomes.push(outcome);
    const result: PublishResult = { outcomes, ...run.counts };
    if (this.strict && result.published < outcomes.length) {
      throw new PublishError(
        outcomes.filter((o): o is UnpublishedOutcome => o.status !== "published"),
        result,
      );
    }
    return result;
  }

  /** {@inheritDoc EventPublisher.publishStream} */
  public publishStream(inputs: Iterable<PublishInput> | AsyncIterable<PublishInput>): PublishStream {
    return new PublishRun(inputs, this.#hooks(), this.strict);
  }

  #hooks() {
    return {
      maxInFlight: this.maxInFlight,
      maxEntryBytes: this.maxEntryBytes,
      lingerMs: this.#lingerMs,
      prepare: (input: PublishInput, index: number) => this.#prepare(input, index),
      deliver: (events: readonly IndexedEvent[], onCall: () => void) => this.#deliver(events, onCall),
    };
  }

  #context(): EnvelopeContext {
    return { eventBusName: this.eventBusName, producer: this.producer, now: this.#clock() };
  }

  /** Validates and sizes one input; never throws: a rejected input becomes an `invalid` outcome. */
  #prepare(input: PublishInput, index: number): IndexedEvent | UnpublishedOutcome {
    try {
      return { ...this.#validate(input), index };
    } catch (error) {
      return invalidOutcome(input, index, error);
    }
  }

  /** @throws EventValidationError, EventTooLargeError or AuditRecordTooLargeError */
  #validate(input: PublishInput | PublishRequest): PreparedEvent {
    const prepared = isPutEventsEntryInput(input)
      ? prepareEntry(input, this.#context())
      : prepareRequest(input, this.#context());
    if (prepared.size > this.maxEntryBytes) {
      throw new EventTooLargeError(prepared.detailType, prepared.size, this.maxEntryBytes);
    }
    if (this.maxAuditRecordBytes !== false && prepared.auditSize > this.maxAuditRecordBytes) {
      throw new AuditRecordTooLargeError(prepared.detailType, prepared.auditSize, this.maxAuditRecordBytes);
    }
    return prepared;
  }

  /**
   * Sends one batch; resubmits only the entries that failed with a retryable code, after a full
   * jitter backoff, until `maxAttempts`. Never rejects: every event gets an outcome.
   */
  async #deliver(events: readonly IndexedEvent[], onCall: () => void): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = [];
    let pending = events;
    for (let attempt = 1; pending.length > 0; attempt++) {
      const retry: IndexedEvent[] = [];
      onCall();
      let results: readonly PutEventsResultEntry[];
      try {
        results = await this.putEvents(pending.map((e) => e.entry));
      } catch (error) {
        const code = error instanceof Error ? error.name : "UnknownError";
        const message = error instanceof Error ? error.message : String(error);
        for (const event of pending) outcomes.push(failed(event, code, message));
        break;
      }
      pending.forEach((event, i) => {
        const result = results[i];
        if (result?.EventId && !result.ErrorCode) {
          outcomes.push({
            status: "published",
            index: event.index,
            detailType: event.detailType,
            eventId: event.eventId,
            eventBridgeId: result.EventId,
          });
          return;
        }
        const code = result?.ErrorCode ?? "MissingResultEntry";
        const message =
          result?.ErrorMessage ??
          `PutEvents returned ${results.length} result entries for ${pending.length} entries; this one has neither an EventId nor an ErrorCode`;
        if (!this.#retryable.has(code)) outcomes.push(failed(event, code, message));
        else if (attempt < this.maxAttempts) retry.push(event);
        else outcomes.push(failed(event, code, `${message} (gave up after ${attempt} attempts)`));
      });
      if (retry.length > 0) {
        await this.#sleep(fullJitterDelay(attempt, this.#baseDelayMs, this.#maxDelayMs, this.#random));
      }
      pending = retry;
    }
    return outcomes;
  }
}

function failed(event: IndexedEvent, errorCode: string, errorMessage: string): UnpublishedOutcome {
  return {
    status: "failed",
    index: event.index,
    detailType: event.detailType,
    eventId: event.eventId,
    errorCode,
    errorMessage,
  };
}

function invalidOutcome(
  input: PublishInput | PublishRequest,
  index: number,
  error: unknown,
): UnpublishedOutcome {
  const reason =
    error instanceof EventValidationError
      ? error
      : new EventValidationError(
          `Event could not be prepared: ${error instanceof Error ? error.message : String(error)}`,
          detailTypeOf(input),
          [],
          { cause: error },
        );
  return {
    status: "invalid",
    index,
    detailType: detailTypeOf(input),
    errorCode: reason.name,
    errorMessage: reason.message,
  };
}

function detailTypeOf(input: PublishInput | PublishRequest): string {
  const value = isPutEventsEntryInput(input)
    ? input.DetailType
    : (input as { detailType?: unknown }).detailType;
  return typeof value === "string" ? value : "unknown";
}

function requireText(name: string, value: string, example: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new PublisherConfigurationError(
      `${name} must be a non-empty string; received ${JSON.stringify(value)}. Pass e.g. { ${name}: ${example} }.`,
    );
  }
  return value;
}

function requireInteger(name: string, value: number, min: number, example: string): number {
  if (!Number.isInteger(value) || value < min) {
    throw new PublisherConfigurationError(
      `${name} must be an integer of at least ${min}; received ${JSON.stringify(value)}. Pass e.g. ${example}, or leave it out for the default.`,
    );
  }
  return value;
}
