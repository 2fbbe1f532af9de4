import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { type DynamoDBDocumentClient, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import { AWS_LIMITS } from "../aws-limits";
import type { EventTypeName } from "../catalog";
import { DEFAULT_MAX_AUDIT_RECORD_BYTES, DEFAULT_MAX_ENTRY_BYTES, putEventsEntrySize } from "./entry-size";
import { prepareRequest } from "./envelope";
import {
  AuditRecordTooLargeError,
  EventTooLargeError,
  EventValidationError,
  PublisherConfigurationError,
} from "./errors";
import {
  DEFAULT_OUTBOX_RETENTION_SECONDS,
  OUTBOX_KEY_ATTRIBUTE,
  type OutboxItem,
  outboxKey,
} from "./outbox-item";
import type { AnyPublishRequest, PublishRequest } from "./types";

/** A transaction action as `@aws-sdk/lib-dynamodb`'s TransactWriteCommand takes it. */
export type TransactWriteItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]["TransactItems"]
>[number];

/** Options of {@link OutboxWriter}. */
export interface OutboxWriterOptions {
  /** The outbox table (the `Outbox` stack output's `tableName`; `OUTBOX_TABLE_NAME` in a function). */
  readonly tableName: string;
  /** The writing service, written to `metadata.producer`. */
  readonly producer: string;
  /**
   * Commits the transactions of {@link OutboxWriter.commit}.
   * @default - none: `prepare` and `entries` work, `commit` refuses
   */
  readonly client?: DynamoDBDocumentClient;
  /** How long an item is kept after it was written, in seconds (its TTL). @default 7 days */
  readonly retentionSeconds?: number;
  /** The bus's PutEvents entry-size limit. @default 1 MiB (DEFAULT_MAX_ENTRY_BYTES) */
  readonly maxEntryBytes?: number;
  /**
   * The audit trail's record limit (Firehose's), or `false` for a bus no audit trail records.
   * @default 1,024,000 bytes
   */
  readonly maxAuditRecordBytes?: number | false;
  /** The clock. @default - the system's */
  readonly now?: () => Date;
}

/** One event ready for the outbox: its item, and the action that writes it. */
export interface OutboxEntry {
  readonly eventId: string;
  readonly detailType: string;
  readonly item: OutboxItem;
  /** A `Put` of the item that fails when an item with this eventId exists: one event is never written twice. */
  readonly transactItem: TransactWriteItem;
}

/** What a commit wrote. */
export interface OutboxCommitResult {
  /** The events written, in the order given. */
  readonly events: readonly { readonly eventId: string; readonly detailType: string }[];
  /** Actions in the transaction: the caller's and one per event. */
  readonly actions: number;
}

/** An outbox item would exceed DynamoDB's 400 KB item size: it is refused before anything is written. */
export class OutboxItemTooLargeError extends EventTooLargeError {
  public override readonly name: string = "OutboxItemTooLargeError";

  constructor(detailType: string, size: number, limit: number) {
    super(
      detailType,
      size,
      limit,
      `${detailType} event makes an outbox item of about ${size.toLocaleString("en-US")} bytes; DynamoDB's item limit is ${limit.toLocaleString("en-US")} bytes (400 KB). ` +
        "Store the payload in S3 and put a reference to it in the event (claim-check pattern).",
    );
  }
}

/** A transaction cannot be sent: too many actions, or too many bytes, for one DynamoDB transaction. */
export class OutboxTransactionTooLargeError extends Error {
  public override readonly name = "OutboxTransactionTooLargeError";
}

/**
 * DynamoDB cancelled the transaction. `reasons` has one entry per action, in the order sent (the
 * caller's items first, then the events); {@link eventsAlreadyWritten} tells a retry whose events
 * were committed before (their condition failed, nothing else did) from a real conflict.
 */
export class OutboxTransactionCancelledError extends Error {
  public override readonly name = "OutboxTransactionCancelledError";

  public constructor(
    message: string,
    /** DynamoDB's cancellation reasons, one per action. */
    public readonly reasons: readonly { readonly Code?: string; readonly Message?: string }[],
    /** How many of the actions were the caller's (the first ones). */
    public readonly callerActions: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }

  /** The positions (in the caller's list) of the caller's actions whose condition failed. */
  public get failedCallerItems(): number[] {
    return this.reasons
      .slice(0, this.callerActions)
      .flatMap((reason, index) => (reason.Code === "ConditionalCheckFailed" ? [index] : []));
  }

  /**
   * Whether every event's item exists already and nothing else failed: the transaction (or one
   * writing the same events) committed before, so a retry has nothing left to do.
   */
  public get eventsAlreadyWritten(): boolean {
    const events = this.reasons.slice(this.callerActions);
    return (
      events.length > 0 &&
      events.every((reason) => reason.Code === "ConditionalCheckFailed") &&
      this.reasons
        .slice(0, this.callerActions)
        .every((reason) => isNone(reason.Code) || reason.Code === "ConditionalCheckFailed")
    );
  }
}

function isNone(code: string | undefined): boolean {
  return code === undefined || code === "None";
}

/**
 * Writes events to the transactional outbox: typed from the catalog and validated like the
 * publisher (same envelope and metadata: eventId, correlationId, causationId, producer,
 * occurredAt), each event an item the outbox's pipe puts on the bus once the transaction commits.
 *
 * Use {@link OutboxWriter.entries} to get the actions to add to your own TransactWriteItems, or
 * {@link OutboxWriter.commit} to send your items and the events in one transaction. Before anything
 * is written, each event is checked against EventBridge's entry size, the audit trail's record
 * size and DynamoDB's 400 KB item size, and the transaction against DynamoDB's 100 actions and
 * 4 MB.
 */
export class OutboxWriter {
  private readonly options: OutboxWriterOptions;
  private readonly retentionSeconds: number;
  private readonly maxEntryBytes: number;
  private readonly maxAuditRecordBytes: number | false;

  public constructor(options: OutboxWriterOptions) {
    if (typeof options.tableName !== "string" || options.tableName.trim() === "") {
      throw new PublisherConfigurationError(
        "OutboxWriter needs tableName, the outbox table (the Outbox stack output's tableName, or OUTBOX_TABLE_NAME in a function)",
      );
    }
    if (typeof options.producer !== "string" || options.producer.trim() === "") {
      throw new PublisherConfigurationError(
        "OutboxWriter needs producer, the writing service's name (metadata.producer)",
      );
    }
    this.options = options;
    this.retentionSeconds = positiveInteger(
      "retentionSeconds",
      options.retentionSeconds ?? DEFAULT_OUTBOX_RETENTION_SECONDS,
    );
    this.maxEntryBytes = positiveInteger("maxEntryBytes", options.maxEntryBytes ?? DEFAULT_MAX_ENTRY_BYTES);
    this.maxAuditRecordBytes =
      options.maxAuditRecordBytes === false
        ? false
        : positiveInteger(
            "maxAuditRecordBytes",
            options.maxAuditRecordBytes ?? DEFAULT_MAX_AUDIT_RECORD_BYTES,
          );
  }

  /** The outbox table's name. */
  public get tableName(): string {
    return this.options.tableName;
  }

  /**
   * Validates one event and builds its item and the action that writes it.
   *
   * @throws EventValidationError when the detail-type is unknown or the data breaks its schema
   * @throws EventTooLargeError, AuditRecordTooLargeError, OutboxItemTooLargeError when it is too large
   */
  public prepare<N extends EventTypeName>(request: PublishRequest<N> | AnyPublishRequest): OutboxEntry {
    if (request.resources !== undefined && request.resources.length > 0) {
      throw new EventValidationError(
        `${request.detailType} event has resources, which the outbox's pipe cannot put on the bus (a pipe's event-bus target takes fixed Resources, not the event's); name them in the event's data, or publish this event with the EventBridgePublisher`,
        request.detailType,
        ["resources: not carried through the outbox"],
      );
    }
    const now = this.options.now?.() ?? new Date();
    const prepared = prepareRequest(request, {
      eventBusName: "outbox",
      producer: this.options.producer,
      now,
    });
    // The pipe sets the entry's Time from the item: EventBridge counts 14 bytes for it.
    const size = putEventsEntrySize({ ...prepared.entry, Time: now });
    if (size > this.maxEntryBytes)
      throw new EventTooLargeError(prepared.detailType, size, this.maxEntryBytes);
    if (this.maxAuditRecordBytes !== false && prepared.auditSize > this.maxAuditRecordBytes) {
      throw new AuditRecordTooLargeError(prepared.detailType, prepared.auditSize, this.maxAuditRecordBytes);
    }
    const detail = prepared.entry.Detail ?? "{}";
    const metadata = (JSON.parse(detail) as { metadata: { correlationId: string; occurredAt: string } })
      .metadata;
    const item: OutboxItem = {
      ...outboxKey(prepared.eventId),
      eventId: prepared.eventId,
      source: prepared.entry.Source ?? "",
      detailType: prepared.detailType,
      detail,
      time: metadata.occurredAt,
      correlationId: metadata.correlationId,
      expiresAt: Math.floor(now.getTime() / 1000) + this.retentionSeconds,
    };
    const itemBytes = outboxItemSize(item);
    if (itemBytes > AWS_LIMITS.dynamoDbItemBytes.max) {
      throw new OutboxItemTooLargeError(prepared.detailType, itemBytes, AWS_LIMITS.dynamoDbItemBytes.max);
    }
    return {
      eventId: prepared.eventId,
      detailType: prepared.detailType,
      item,
      transactItem: {
        Put: {
          TableName: this.options.tableName,
          Item: item,
          ConditionExpression: "attribute_not_exists(#key)",
          ExpressionAttributeNames: { "#key": OUTBOX_KEY_ATTRIBUTE },
        },
      },
    };
  }

  /** {@link OutboxWriter.prepare} for each request, in order. */
  public entries(requests: readonly AnyPublishRequest[]): OutboxEntry[] {
    return requests.map((request) => this.prepare(request));
  }

  /**
   * Writes `items` (the caller's state change) and the events in ONE DynamoDB transaction: all
   * commit, or none. The caller's items come first in the transaction, the events after.
   *
   * @throws OutboxTransactionCancelledError when DynamoDB cancels it (see `eventsAlreadyWritten`)
   * @throws OutboxTransactionTooLargeError when it has more than 100 actions or 4 MB
   * @throws PublisherConfigurationError when the writer has no client
   */
  public async commit(
    events: readonly (AnyPublishRequest | OutboxEntry)[],
    items: readonly TransactWriteItem[] = [],
  ): Promise<OutboxCommitResult> {
    const client = this.options.client;
    if (client === undefined) {
      throw new PublisherConfigurationError(
        "OutboxWriter.commit needs a client: pass one (a DynamoDBDocumentClient), or call entries() and add the actions to your own TransactWriteItems",
      );
    }
    const entries = events.map((event) => (isOutboxEntry(event) ? event : this.prepare(event)));
    const actions = [...items, ...entries.map((entry) => entry.transactItem)];
    if (actions.length === 0) return { events: [], actions: 0 };
    if (actions.length > AWS_LIMITS.dynamoDbTransactItems.max) {
      throw new OutboxTransactionTooLargeError(
        `The transaction has ${actions.length} actions (${items.length} of yours and ${entries.length} events); DynamoDB takes ${AWS_LIMITS.dynamoDbTransactItems.max} at most. Split it, or write fewer events per change`,
      );
    }
    const bytes = Buffer.byteLength(JSON.stringify(actions), "utf8");
    if (bytes > MAX_TRANSACTION_BYTES) {
      throw new OutboxTransactionTooLargeError(
        `The transaction is about ${bytes.toLocaleString("en-US")} bytes; DynamoDB takes ${MAX_TRANSACTION_BYTES.toLocaleString("en-US")} (4 MB) at most. Split it`,
      );
    }
    try {
      await client.send(new TransactWriteCommand({ TransactItems: actions }));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failed = reasons.flatMap((reason, index) => {
        if (isNone(reason.Code)) return [];
        const what =
          index < items.length
            ? `your item ${index}`
            : `the ${entries[index - items.length]?.detailType} event ${entries[index - items.length]?.eventId}`;
        return [`${what}: ${reason.Code}${reason.Message ? ` (${reason.Message})` : ""}`];
      });
      throw new OutboxTransactionCancelledError(
        `The outbox transaction was cancelled, nothing was written: ${failed.join("; ") || error.message}`,
        reasons,
        items.length,
        { cause: error },
      );
    }
    return {
      events: entries.map((entry) => ({ eventId: entry.eventId, detailType: entry.detailType })),
      actions: actions.length,
    };
  }
}

/** DynamoDB's limit on a transaction's aggregate size. */
const MAX_TRANSACTION_BYTES = 4 * 1024 * 1024;

function isOutboxEntry(value: AnyPublishRequest | OutboxEntry): value is OutboxEntry {
  return "transactItem" in value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new PublisherConfigurationError(
      `OutboxWriter ${name} is ${value}; expected a whole number of at least 1`,
    );
  }
  return value;
}

/**
 * The size DynamoDB counts for an outbox item: per attribute, its name's UTF-8 bytes plus its
 * value's (a string's UTF-8 bytes; a number about one byte per two significant digits plus one,
 * counted here as its digits plus one, never less than DynamoDB counts; a list 3 bytes plus one
 * per element plus the elements).
 */
export function outboxItemSize(item: OutboxItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) {
    size += Buffer.byteLength(name, "utf8");
    if (typeof value === "string") size += Buffer.byteLength(value, "utf8");
    else if (typeof value === "number") size += String(value).replace(/[^0-9]/g, "").length + 1;
    else if (Array.isArray(value)) {
      size += 3 + value.length;
      for (const element of value) size += Buffer.byteLength(String(element), "utf8");
    }
  }
  return size;
}
