import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import { IdempotencyConfig, makeIdempotent } from "@aws-lambda-powertools/idempotency";
import { DynamoDBPersistenceLayer } from "@aws-lambda-powertools/idempotency/dynamodb";
import type { BasePersistenceLayer } from "@aws-lambda-powertools/idempotency/persistence";
import type { Logger } from "@aws-lambda-powertools/logger";
import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import type { DataOf, EventTypeName } from "../../lib/catalog";
import { followUp } from "../../lib/producer/follow-up";
import type { OutboxEntry, OutboxWriter } from "../../lib/producer/outbox-writer";
import type { EventPublisher, PublishedOutcome, UnpublishedOutcome } from "../../lib/producer/types";
import type { ConsumedEventTypes, SubscriptionName } from "../../lib/subscriptions";
import { requireEnv } from "./env";
import { type ConsumedEvent, EventRecordRejectedError, parseEventRecord } from "./event-record";
import { logger, metrics, serviceName, traced, tracer } from "./powertools";

/**
 * Raised when a follow-up event was not published. It fails the consumed record, so SQS redelivers
 * it and idempotency does not mark it done: the follow-up is retried instead of being lost.
 */
export class FollowUpPublishError extends Error {
  public override readonly name = "FollowUpPublishError";

  public constructor(
    /** The publisher's verdict, `failed` (retryable) or `invalid` (the event broke its contract). */
    public readonly outcome: UnpublishedOutcome,
  ) {
    super(
      `Follow-up ${outcome.detailType} was ${outcome.status}: ${outcome.errorCode}: ${outcome.errorMessage}; the consumed record fails so that SQS retries it`,
    );
  }
}

/** Raised when a consumer is misconfigured: a bad option, or a follow-up without a publisher. */
export class ConsumerConfigurationError extends Error {
  public override readonly name = "ConsumerConfigurationError";
}

/** What a handler gets besides the event: the record's context and the means to chain events. */
export interface ConsumerContext {
  /** The function's Logger; every line carries the event's correlationId, eventId and detail-type. */
  readonly logger: Logger;
  /** The Lambda invocation context. */
  readonly lambdaContext: Context;
  /** The SQS message this event came in. */
  readonly messageId: string;
  /** How many times SQS has delivered this message, this delivery included. */
  readonly receiveCount: number;
  /**
   * Publishes a follow-up event in the consumed event's flow (same correlationId, causationId = the
   * consumed eventId). Rejects with {@link FollowUpPublishError} unless the bus accepted it.
   *
   * Its eventId is deterministic (`followUpEventId`): derived from the consumed eventId, this
   * consumer's service name, the follow-up's detail-type and its position among the follow-ups this
   * handling of the event publishes (0 for the first call, 1 for the next, ...). A retry of the
   * record that publishes the same follow-ups in the same order (after a crash, a timeout or a
   * failed follow-up) re-publishes the same eventIds, so idempotent consumers downstream skip the
   * copies. `occurredAt` is the time of each publication, so a copy may carry a later one.
   */
  publishFollowUp<M extends EventTypeName>(detailType: M, data: DataOf<M>): Promise<PublishedOutcome>;
  /**
   * The same follow-up as an outbox entry, to commit in the handler's own DynamoDB transaction
   * with the state change it announces (add `entry.transactItem` to its TransactItems): the change
   * and the event commit together or not at all, and the outbox's pipe puts the event on the bus.
   * Same flow, deterministic eventId and position count as `publishFollowUp`; the entry's Put
   * fails its condition when the event was written before, which cancels the transaction.
   * Throws ConsumerConfigurationError unless the consumer was created with `outbox`.
   */
  followUpEntry<M extends EventTypeName>(detailType: M, data: DataOf<M>): OutboxEntry;
}

/** Handles one validated event of type `N`; throwing fails its record (SQS redelivers it). */
export type EventHandler<N extends EventTypeName> = (
  event: ConsumedEvent<N>,
  context: ConsumerContext,
) => Promise<void>;

/** One handler per consumed event type. */
export type EventHandlers = { readonly [N in EventTypeName]?: EventHandler<N> };

/** How a consumer is built. */
export interface ConsumerOptions {
  /** The event types this consumer handles and what it does with each. */
  readonly handlers: EventHandlers;
  /**
   * Gives the publisher follow-ups go through; called at the first follow-up, so a consumer that
   * never publishes never builds one.
   * @default - none: `publishFollowUp` rejects with a ConsumerConfigurationError
   */
  readonly publisher?: () => EventPublisher;
  /**
   * Gives the outbox writer follow-up entries are built with; called at the first `followUpEntry`.
   * @default - none: `followUpEntry` throws a ConsumerConfigurationError
   */
  readonly outbox?: () => OutboxWriter;
  /** Where processed eventIds are remembered. */
  readonly idempotency?: {
    /**
     * @default - a DynamoDBPersistenceLayer on the table named by `IDEMPOTENCY_TABLE_NAME`
     * (partition key `id`, TTL attribute `expiration`)
     */
    readonly persistenceStore?: BasePersistenceLayer;
    /**
     * How long a processed eventId is remembered, in seconds. Redeliveries by SQS and EventBridge come
     * well within it; a replay of older events is processed again.
     * @default 86400 (24 hours, EventBridge's longest retry window)
     */
    readonly windowSeconds?: number;
  };
}

/** An SQS-triggered Lambda handler reporting partial batch failures. */
export type ConsumerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/** What the idempotency store keeps for a processed event, and what a duplicate delivery gets back. */
interface ProcessingReceipt {
  readonly processedAt: string;
  readonly duplicate: boolean;
}

function isReceipt(value: unknown): value is ProcessingReceipt {
  return (
    typeof value === "object" &&
    value !== null &&
    "processedAt" in value &&
    typeof value.processedAt === "string"
  );
}

const DEFAULT_IDEMPOTENCY_WINDOW_SECONDS = 24 * 60 * 60;

function defaultPersistenceStore(): BasePersistenceLayer {
  return new DynamoDBPersistenceLayer({
    tableName: requireEnv("IDEMPOTENCY_TABLE_NAME"),
    awsSdkV3Client: tracer.captureAWSv3Client(new DynamoDBClient({})),
  });
}

function receiveCountOf(record: SQSRecord): number {
  const count = Number.parseInt(record.attributes.ApproximateReceiveCount, 10);
  return Number.isNaN(count) ? 1 : count;
}

/**
 * Builds a consumer: a Lambda handler for an SQS queue fed by an EventBridge rule. For each record
 * it parses the EventBridge event with the catalog schema, skips an eventId it already processed
 * (Powertools idempotency), runs the handler of the event's type with the correlation id on every
 * log line, and reports the records that failed as partial batch failures (Powertools batch), so
 * the rest of the batch is deleted from the queue and the failed ones come back until the DLQ.
 *
 * Call it at module scope: it reads its environment variables at once, so a misconfigured function
 * fails its cold start. Records of a batch are processed one at a time: the correlation keys live on
 * the shared Logger, and a batch's records often touch the same items (the same SKUs, say).
 */
export function createConsumer(options: ConsumerOptions): ConsumerHandler {
  const handled = new Set(
    (Object.keys(options.handlers) as EventTypeName[]).filter((name) => options.handlers[name] !== undefined),
  );
  const windowSeconds = options.idempotency?.windowSeconds ?? DEFAULT_IDEMPOTENCY_WINDOW_SECONDS;
  if (!Number.isInteger(windowSeconds) || windowSeconds < 1) {
    throw new ConsumerConfigurationError(
      `idempotency.windowSeconds is ${windowSeconds}; expected a whole number of seconds, at least 1 (default ${DEFAULT_IDEMPOTENCY_WINDOW_SECONDS})`,
    );
  }
  const processor = new BatchProcessor(EventType.SQS);
  const idempotencyConfig = new IdempotencyConfig({
    eventKeyJmesPath: "metadata.eventId",
    // An eventId reused for other data is a producer bug; failing the record makes it visible in the DLQ.
    payloadValidationJmesPath: "data",
    throwOnNoIdempotencyKey: true,
    expiresAfterSeconds: windowSeconds,
    responseHook: (response) =>
      isReceipt(response) ? { processedAt: response.processedAt, duplicate: true } : response,
  });
  let publisher: EventPublisher | undefined;
  const publisherOf = (): EventPublisher => {
    if (options.publisher === undefined) {
      throw new ConsumerConfigurationError(
        `Consumer ${serviceName} publishes a follow-up but was created without a publisher; pass createConsumer({ publisher }) and list the event type in its subscription's \`publishes\``,
      );
    }
    publisher ??= options.publisher();
    return publisher;
  };

  let outbox: OutboxWriter | undefined;
  const outboxOf = (): OutboxWriter => {
    if (options.outbox === undefined) {
      throw new ConsumerConfigurationError(
        `Consumer ${serviceName} writes a follow-up to the outbox but was created without one; pass createConsumer({ outbox: outboxWriterFromEnvironment() }) and give its subscription outbox: true`,
      );
    }
    outbox ??= options.outbox();
    return outbox;
  };

  const dispatch = async (event: ConsumedEvent, context: ConsumerContext): Promise<ProcessingReceipt> => {
    // `handled` holds exactly the keys with a handler, and the mapped type pairs each key with its handler.
    const handler = options.handlers[event.detailType] as EventHandler<EventTypeName>;
    await handler(event, context);
    return { processedAt: new Date().toISOString(), duplicate: false };
  };
  const processOnce = makeIdempotent(dispatch, {
    persistenceStore: options.idempotency?.persistenceStore ?? defaultPersistenceStore(),
    config: idempotencyConfig,
    // The table is shared by every consumer: keys are prefixed by the subscription, not the function
    // name, so they survive a function replacement and differ between consumers of the same event.
    keyPrefix: serviceName,
  });

  /** A new context for each handling of a record: follow-up positions count from 0 each time. */
  const contextFor = (event: ConsumedEvent, record: SQSRecord, lambdaContext: Context): ConsumerContext => {
    let followUps = 0;
    return {
      logger,
      lambdaContext,
      messageId: record.messageId,
      receiveCount: receiveCountOf(record),
      publishFollowUp: async (detailType, data) => {
        // Taken before any await: concurrent calls get the positions of the order they were made in.
        const position = followUps++;
        const request = followUp(event, { detailType, data }, { position, consumer: serviceName });
        const outcome = await publisherOf().publish(request);
        if (outcome.status !== "published") {
          throw new FollowUpPublishError(outcome);
        }
        logger.info("Published follow-up event", {
          followUp: { detailType: outcome.detailType, eventId: outcome.eventId, position },
        });
        return outcome;
      },
      followUpEntry: (detailType, data) => {
        const position = followUps++;
        return outboxOf().prepare(followUp(event, { detailType, data }, { position, consumer: serviceName }));
      },
    };
  };

  const handleRecord = async (record: SQSRecord, lambdaContext: Context): Promise<void> => {
    let event: ConsumedEvent;
    try {
      event = parseEventRecord(record, handled);
    } catch (error) {
      if (error instanceof EventRecordRejectedError) {
        logger.error("Rejected record: it fails until the queue moves it to its DLQ", {
          messageId: record.messageId,
          receiveCount: receiveCountOf(record),
          reason: error.reason,
          ...error.readable,
          error,
        });
        metrics.addMetric("RejectedRecords", MetricUnit.Count, 1);
      }
      throw error;
    }

    const keys = {
      correlationId: event.metadata.correlationId,
      eventId: event.metadata.eventId,
      detailType: event.detailType,
      messageId: record.messageId,
      ...(event.replayName === undefined ? {} : { replayName: event.replayName }),
    };
    logger.appendKeys(keys);
    try {
      if (event.replayName !== undefined) {
        logger.info("Processing an event replayed from the archive");
        metrics.addMetric("ReplayedEvents", MetricUnit.Count, 1);
      }
      const receipt = await traced(
        `### ${event.detailType}`,
        { correlationId: keys.correlationId, eventId: keys.eventId },
        () => processOnce(event, contextFor(event, record, lambdaContext)),
      );
      if (receipt.duplicate) {
        logger.info("Duplicate delivery skipped: this eventId was already processed", {
          processedAt: receipt.processedAt,
        });
        metrics.addMetric("DuplicateEvents", MetricUnit.Count, 1);
      } else {
        metrics.addMetric("ProcessedEvents", MetricUnit.Count, 1);
      }
    } catch (error) {
      logger.error("Event processing failed; SQS will redeliver it", {
        receiveCount: receiveCountOf(record),
        error,
      });
      metrics.addMetric("FailedEvents", MetricUnit.Count, 1);
      throw error;
    } finally {
      logger.removeKeys(Object.keys(keys));
    }
  };

  return async (event, lambdaContext) => {
    logger.addContext(lambdaContext);
    idempotencyConfig.registerLambdaContext(lambdaContext);
    metrics.captureColdStartMetric();
    try {
      return await traced("## handler", {}, () => {
        tracer.annotateColdStart();
        tracer.addServiceNameAnnotation();
        return processPartialResponse(
          event,
          (record: SQSRecord) => handleRecord(record, lambdaContext),
          processor,
          { context: lambdaContext, processInParallel: false },
        );
      });
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}

/** The handlers subscription `S` needs: one for each event type it consumes, and no other. */
export type SubscriptionHandlers<S extends SubscriptionName> = {
  readonly [N in ConsumedEventTypes<S>]: EventHandler<N>;
};

/**
 * {@link createConsumer} for one of the app's subscriptions: the compiler requires a handler for
 * every event type the subscription consumes (lib/subscriptions.ts) and refuses any other, so a
 * missing handler fails `npm run typecheck` instead of sending every such event to the DLQ.
 *
 * The cold start checks it again against `EVENTRAIL_CONSUMES`, the event types the function's rule
 * routes to it (EventSubscription sets it), and names the subscription and the missing or extra
 * types. Where the variable is not set (a unit test calling the handler), the compiler's check is
 * the only one. lib/subscriptions.ts itself is imported for its types only: its values would bring
 * aws-cdk-lib into the bundle.
 */
export function createSubscriptionConsumer<S extends SubscriptionName>(
  subscription: S,
  options: Omit<ConsumerOptions, "handlers"> & { readonly handlers: SubscriptionHandlers<S> },
): ConsumerHandler {
  const routed = process.env.EVENTRAIL_CONSUMES;
  if (routed !== undefined && routed.trim() !== "") {
    requireHandlersFor(subscription, routed.split(","), Object.keys(options.handlers));
  }
  return createConsumer({ ...options, handlers: options.handlers as EventHandlers });
}

/** Throws unless `handled` is exactly `consumed`, naming the subscription and the missing or extra types. */
function requireHandlersFor(
  subscription: string,
  consumed: readonly string[],
  handled: readonly string[],
): void {
  const missing = consumed.filter((type) => !handled.includes(type));
  const extra = handled.filter((type) => !consumed.includes(type));
  if (missing.length === 0 && extra.length === 0) return;
  const problems = [
    ...(missing.length > 0 ? [`has no handler for ${missing.join(", ")}`] : []),
    ...(extra.length > 0 ? [`handles ${extra.join(", ")}, which it does not consume`] : []),
  ];
  throw new ConsumerConfigurationError(
    `Subscription ${subscription} consumes ${consumed.join(", ")}, but its consumer ${problems.join(" and ")}; make the handlers match eventTypes in lib/subscriptions.ts`,
  );
}
