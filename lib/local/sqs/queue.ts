import { randomBytes, randomUUID } from "node:crypto";
import { AWS_LIMITS } from "../../aws-limits";
import type { Clock, Timer } from "../clock";
import { checkSqsParameter, sqsError } from "./errors";
import type { JournalRecord } from "./journal";
import { type MessageAttributeMap, md5OfMessageAttributes, md5OfMessageBody } from "./md5";
import {
  assertAllowedCharacters,
  assertValidMessageAttributes,
  messageSize,
  type StoredMessage,
} from "./message";

/** The redrive policy of a queue: where messages go after too many receives. */
export interface RedrivePolicy {
  /** The ARN of the dead-letter queue; it must be one of the store's queues. */
  readonly deadLetterTargetArn: string;
  /** Receives after which the next receive moves the message to the DLQ instead (1–1,000). */
  readonly maxReceiveCount: number;
}

/**
 * A queue as the local pipeline finds it in the CloudFormation template (the model's
 * `LocalQueueDefinition` is one). Optional settings take SQS's defaults, as CloudFormation does when
 * the property is absent.
 */
export interface QueueDefinition {
  /** The queue name: 1–80 characters, A-Z a-z 0-9 `-` `_`. */
  readonly name: string;
  /** `arn:aws:sqs:<region>:<account>:<name>`; see `localQueueArn`. */
  readonly arn: string;
  /** The URL clients use, e.g. `http://127.0.0.1:4010/000000000000/<name>`; see `localQueueUrl`. */
  readonly url: string;
  /** 0–43,200. @default 30 */
  readonly visibilityTimeoutSeconds?: number;
  /** 60–1,209,600; retention is never time-scaled. @default 345_600 (4 days) */
  readonly messageRetentionSeconds?: number;
  /** 0–900. @default 0 */
  readonly delaySeconds?: number;
  /** The long-poll wait of a ReceiveMessage that names none, 0–20. @default 0 */
  readonly receiveMessageWaitTimeSeconds?: number;
  /** `MaximumMessageSize` in bytes, 1,024–1,048,576. @default 1_048_576 */
  readonly maximumMessageSize?: number;
  /** @default - no dead-letter queue */
  readonly redrive?: RedrivePolicy;
  /** FIFO queues are not emulated; the type keeps the pipeline from passing one by accident. @default false */
  readonly fifo?: false;
  /** Reported by GetQueueAttributes; messages are not encrypted locally. @default - none */
  readonly kmsMasterKeyId?: string;
  /** Reported by GetQueueAttributes when a KMS key is set. @default 300 */
  readonly kmsDataKeyReusePeriodSeconds?: number;
}

/** A {@link QueueDefinition} with every default applied. */
export interface QueueSettings {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly visibilityTimeoutSeconds: number;
  readonly messageRetentionSeconds: number;
  readonly delaySeconds: number;
  readonly receiveMessageWaitTimeSeconds: number;
  readonly maximumMessageSize: number;
  readonly redrive?: RedrivePolicy;
  readonly kmsMasterKeyId?: string;
  readonly kmsDataKeyReusePeriodSeconds: number;
}

/** A message the redrive policy moved to its queue's dead-letter queue. */
export interface DeadLetterMove {
  readonly messageId: string;
  /** The queue it was received from too often, and the dead-letter queue it is now in. */
  readonly sourceQueue: string;
  readonly deadLetterQueue: string;
  readonly receiveCount: number;
  readonly maxReceiveCount: number;
}

/** What a {@link LocalQueue} needs from the store that owns it. */
export interface QueueEnvironment {
  readonly clock: Clock;
  /** Durations (visibility, delay, waits) are divided by this; retention is not. */
  readonly timeScale: number;
  /** The `SenderId` of sends that name none. */
  readonly defaultSenderId: string;
  /** Makes records durable; resolves once they are. */
  persist(records: readonly JournalRecord[]): Promise<void>;
  /** The store's queue with this ARN (redrive targets). */
  queueByArn(arn: string): LocalQueue | undefined;
  /** Aborted when the store closes: pending long polls return empty. */
  readonly closed: AbortSignal;
  /** Told of every message the redrive policy moves to a dead-letter queue. */
  readonly onDeadLetter?: (move: DeadLetterMove) => void;
}

/** A message to send. */
export interface SendMessageInput {
  /** 1 byte to the queue's maximum size (with the attributes), XML characters only. */
  readonly body: string;
  /** 0–900. @default - the queue's delaySeconds */
  readonly delaySeconds?: number;
  /** Up to 10 attributes. @default - none */
  readonly messageAttributes?: MessageAttributeMap;
  /** Only `AWSTraceHeader` (type String) is accepted. @default - none */
  readonly messageSystemAttributes?: MessageAttributeMap;
  /** @default - the store's defaultSenderId */
  readonly senderId?: string;
}

/** What a send returns: the fields of the SendMessage response. */
export interface SendMessageResult {
  readonly messageId: string;
  readonly md5OfMessageBody: string;
  readonly md5OfMessageAttributes?: string;
  readonly md5OfMessageSystemAttributes?: string;
}

/** Options of {@link LocalQueue.receive}. */
export interface ReceiveMessageOptions {
  /** 1–10. @default 1 */
  readonly maxMessages?: number;
  /** 0–43,200. @default - the queue's visibilityTimeoutSeconds */
  readonly visibilityTimeoutSeconds?: number;
  /** Long polling, 0–20: wait this long for a message when none is available. @default - the queue's receiveMessageWaitTimeSeconds */
  readonly waitTimeSeconds?: number;
  /** Ends a long poll early (shutdown of the caller); the receive then returns nothing. */
  readonly signal?: AbortSignal;
}

/** The system attributes SQS reports for a received message (`Attributes`), as strings. */
export interface MessageSystemAttributes {
  readonly ApproximateReceiveCount: string;
  readonly ApproximateFirstReceiveTimestamp: string;
  readonly SentTimestamp: string;
  readonly SenderId: string;
  /** Only on a message moved to a dead-letter queue. */
  readonly DeadLetterQueueSourceArn?: string;
  /** Only when the sender set it. */
  readonly AWSTraceHeader?: string;
}

/** A received message with everything SQS can return for it; the protocol layer filters. */
export interface ReceivedMessage {
  readonly messageId: string;
  /** New on every receive; only the latest one deletes the message or changes its visibility. */
  readonly receiptHandle: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly attributes: MessageSystemAttributes;
  readonly messageAttributes: MessageAttributeMap;
  readonly md5OfMessageAttributes?: string;
}

/** Approximate message counts, as GetQueueAttributes reports them. */
export interface QueueCounts {
  /** `ApproximateNumberOfMessages`: receivable now. */
  readonly visible: number;
  /** `ApproximateNumberOfMessagesNotVisible`: received and not yet deleted or visible again. */
  readonly inFlight: number;
  /** `ApproximateNumberOfMessagesDelayed`: sent with a delay that has not passed. */
  readonly delayed: number;
}

/** Stops a subscription made with {@link LocalQueue.subscribe}. */
export type Unsubscribe = () => void;

const RECEIPT_VERSION = "1";

/**
 * One standard SQS queue: visibility timeout, receive counts, redrive to its DLQ, retention and
 * delay, long polling, with every change made durable through the store's journal before the
 * operation returns.
 *
 * Receive order is send order (oldest first) among receivable messages, which SQS standard queues
 * approximate but do not promise; consumers must not rely on it.
 */
export class LocalQueue {
  /** The definition with defaults applied. */
  public readonly settings: QueueSettings;
  private readonly messages = new Map<string, StoredMessage>();
  private readonly subscribers = new Set<() => void>();
  private notifyScheduled = false;
  private wakeTimer: Timer | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;

  /** @internal Queues are created by `QueueStore.open`. */
  constructor(
    settings: QueueSettings,
    /** `CreatedTimestamp`, epoch milliseconds. */
    public readonly createdAt: number,
    private readonly env: QueueEnvironment,
    restored: Iterable<StoredMessage> = [],
  ) {
    this.settings = settings;
    for (const message of restored) this.messages.set(message.id, message);
  }

  /** The queue name. */
  get name(): string {
    return this.settings.name;
  }

  /** The queue ARN. */
  get arn(): string {
    return this.settings.arn;
  }

  /** The queue URL. */
  get url(): string {
    return this.settings.url;
  }

  /**
   * Accepts a message and resolves once it is durable (the acknowledgement a sender may rely on).
   * It is receivable at once, after its delay, so a consumer may see it just before the sender's
   * acknowledgement, as in SQS. Throws `InvalidParameterValue`, `MissingParameter` or
   * `InvalidMessageContents` for a message SQS would refuse.
   */
  async send(input: SendMessageInput): Promise<SendMessageResult> {
    const message = this.buildMessage(input);
    this.messages.set(message.id, message);
    if (message.visibleAt <= this.env.clock.now()) this.notify();
    else this.scheduleWake(message.visibleAt);
    try {
      await this.env.persist([{ op: "send", queue: this.name, message }]);
    } catch (error) {
      // Not durable, not acknowledged: the sender will retry, so the message must not stay here.
      this.messages.delete(message.id);
      throw error;
    }
    return {
      messageId: message.id,
      md5OfMessageBody: message.md5OfBody,
      md5OfMessageAttributes: message.md5OfMessageAttributes,
      md5OfMessageSystemAttributes: message.md5OfMessageSystemAttributes,
    };
  }

  /**
   * Receives up to `maxMessages` messages, each becoming invisible for the visibility timeout. When
   * none is available it waits up to `waitTimeSeconds` (time-scaled) and returns as soon as one is.
   * A message already received `maxReceiveCount` times moves to the dead-letter queue instead of
   * being returned; an expired message is dropped.
   */
  async receive(options: ReceiveMessageOptions = {}): Promise<ReceivedMessage[]> {
    const maxMessages = checkSqsParameter(
      "MaxNumberOfMessages",
      options.maxMessages ?? 1,
      AWS_LIMITS.sqsReceiveMaxMessages,
    );
    const visibility = checkSqsParameter(
      "VisibilityTimeout",
      options.visibilityTimeoutSeconds ?? this.settings.visibilityTimeoutSeconds,
      AWS_LIMITS.sqsVisibilityTimeoutSeconds,
    );
    const wait = checkSqsParameter(
      "WaitTimeSeconds",
      options.waitTimeSeconds ?? this.settings.receiveMessageWaitTimeSeconds,
      AWS_LIMITS.sqsReceiveWaitSeconds,
    );
    const deadline = this.env.clock.now() + this.scaledMs(wait);
    const signals = [this.env.closed, ...(options.signal === undefined ? [] : [options.signal])];
    for (;;) {
      const received = await this.receiveAvailable(maxMessages, visibility);
      const remaining = deadline - this.env.clock.now();
      if (received.length > 0 || remaining <= 0) return received;
      await this.waitForAvailability(remaining, signals);
      if (signals.some((signal) => signal.aborted)) return [];
    }
  }

  /**
   * Deletes the message the receipt handle was issued for. A stale handle (the message was received
   * again since, or is already gone) succeeds without deleting anything, as in SQS. Throws
   * `ReceiptHandleIsInvalid` for a handle this queue did not issue.
   */
  async delete(receiptHandle: string): Promise<void> {
    const { id, token } = this.decodeReceiptHandle(receiptHandle);
    const message = this.messages.get(id);
    if (message === undefined || message.receipt !== token) return;
    this.messages.delete(id);
    await this.env.persist([{ op: "delete", queue: this.name, id }]);
  }

  /**
   * Sets a received message's visibility timeout to `seconds` from now (0 makes it receivable at
   * once). Throws `ReceiptHandleIsInvalid` for a handle this queue did not issue,
   * `InvalidParameterValue` for a stale one and `MessageNotInflight` once it is visible again.
   */
  async changeVisibility(receiptHandle: string, seconds: number): Promise<void> {
    checkSqsParameter("VisibilityTimeout", seconds, AWS_LIMITS.sqsVisibilityTimeoutSeconds);
    const { id, token } = this.decodeReceiptHandle(receiptHandle);
    const message = this.messages.get(id);
    const now = this.env.clock.now();
    if (message === undefined || message.receipt !== token) {
      throw sqsError(
        "InvalidParameterValue",
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not ` +
          "available for visibility timeout change. Use the receipt handle of the latest receive.",
      );
    }
    if (message.visibleAt <= now) {
      throw sqsError(
        "MessageNotInflight",
        `Message ${id} is not in flight: its visibility timeout has expired. Receive it again to get a new receipt handle.`,
      );
    }
    message.visibleAt = now + this.scaledMs(seconds);
    if (seconds === 0) this.notify();
    else this.scheduleWake(message.visibleAt);
    await this.env.persist([{ op: "visibility", queue: this.name, id, visibleAt: message.visibleAt }]);
  }

  /** Deletes every message in the queue. */
  async purge(): Promise<void> {
    this.messages.clear();
    await this.env.persist([{ op: "purge", queue: this.name }]);
  }

  /** Approximate counts, as GetQueueAttributes reports them. Expired messages are not counted. */
  counts(): QueueCounts {
    const now = this.env.clock.now();
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const message of this.messages.values()) {
      if (this.isExpired(message, now)) continue;
      if (message.visibleAt <= now) visible++;
      else if (message.receiveCount > 0) inFlight++;
      else delayed++;
    }
    return { visible, inFlight, delayed };
  }

  /**
   * Calls `listener` (asynchronously, coalesced) whenever messages may have become receivable: a
   * send, a move into this queue, a delay or visibility timeout running out. It is a hint to call
   * {@link receive}, which may still find nothing when another consumer was faster.
   */
  subscribe(listener: () => void): Unsubscribe {
    this.subscribers.add(listener);
    this.armWakeForEarliest();
    return () => {
      this.subscribers.delete(listener);
      if (this.subscribers.size === 0) this.cancelWake();
    };
  }

  /**
   * Resolves when messages may have become receivable (as {@link subscribe} would notify), after
   * `timeoutMs` of clock time (not time-scaled: the caller's own budget), when `signal` aborts, or
   * when the store closes, whichever comes first. For pollers that wait on their own terms (a
   * batching window) between receives with `waitTimeSeconds: 0`.
   */
  waitForMessages(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.waitForAvailability(timeoutMs, [this.env.closed, ...(signal === undefined ? [] : [signal])]);
  }

  /** Converts seconds of queue time into clock milliseconds, applying the time scale. */
  scaledMs(seconds: number): number {
    return (seconds * 1000) / this.env.timeScale;
  }

  /** @internal The live messages, for the store's snapshot. */
  storedMessages(): IterableIterator<StoredMessage> {
    return this.messages.values();
  }

  /**
   * @internal Moves up to `limit` receivable messages out of this queue (a message move task).
   * `destinationOf` names each message's destination, or a failure reason that stops the move.
   * Moved messages start afresh in the destination: receive count 0, visible now, new enqueue time.
   */
  async moveMessages(
    limit: number,
    destinationOf: (message: StoredMessage) => LocalQueue | string,
  ): Promise<{ moved: number; failure?: string }> {
    const now = this.env.clock.now();
    const records: JournalRecord[] = [];
    let failure: string | undefined;
    for (const message of this.messages.values()) {
      if (records.length >= limit) break;
      if (this.isExpired(message, now) || message.visibleAt > now) continue;
      const destination = destinationOf(message);
      if (typeof destination === "string") {
        failure = destination;
        break;
      }
      const { receipt: _receipt, firstReceiveAt: _first, deadLetterSourceArn: _source, ...rest } = message;
      const moved: StoredMessage = { ...rest, sentAt: now, visibleAt: now, receiveCount: 0 };
      records.push(this.transfer(moved, destination));
    }
    if (records.length > 0) await this.env.persist(records);
    return { moved: records.length, failure };
  }

  private buildMessage(input: SendMessageInput): StoredMessage {
    if (typeof input.body !== "string" || input.body.length === 0) {
      throw sqsError(
        "MissingParameter",
        "The request must contain the parameter MessageBody: an empty body is not a message.",
      );
    }
    assertAllowedCharacters(input.body, "the message body");
    const messageAttributes = input.messageAttributes ?? {};
    assertValidMessageAttributes(messageAttributes);
    const systemAttributes = input.messageSystemAttributes ?? {};
    assertValidSystemAttributes(systemAttributes);
    const size = messageSize(input.body, messageAttributes);
    const limit = this.settings.maximumMessageSize;
    if (size > limit) {
      throw sqsError(
        "InvalidParameterValue",
        `One or more parameters are invalid. Reason: Message must be shorter than ${limit + 1} bytes, but it is ` +
          `${size} bytes (body plus attribute names, types and values) for queue ${this.name}. ` +
          "Send less, or store the payload elsewhere and send a reference to it.",
      );
    }
    const delay = checkSqsParameter(
      "DelaySeconds",
      input.delaySeconds ?? this.settings.delaySeconds,
      AWS_LIMITS.sqsDelaySeconds,
    );
    const now = this.env.clock.now();
    return {
      id: randomUUID(),
      body: input.body,
      md5OfBody: md5OfMessageBody(input.body),
      messageAttributes,
      md5OfMessageAttributes: md5OfMessageAttributes(messageAttributes),
      systemAttributes,
      md5OfMessageSystemAttributes: md5OfMessageAttributes(systemAttributes),
      senderId: input.senderId ?? this.env.defaultSenderId,
      sentAt: now,
      visibleAt: now + this.scaledMs(delay),
      receiveCount: 0,
    };
  }

  private async receiveAvailable(maxMessages: number, visibility: number): Promise<ReceivedMessage[]> {
    const now = this.env.clock.now();
    const records: JournalRecord[] = [];
    const received: ReceivedMessage[] = [];
    const redrive = this.settings.redrive;
    for (const message of this.messages.values()) {
      if (received.length >= maxMessages) break;
      if (this.isExpired(message, now)) {
        this.messages.delete(message.id);
        records.push({ op: "delete", queue: this.name, id: message.id });
        continue;
      }
      if (message.visibleAt > now) continue;
      if (redrive !== undefined && message.receiveCount >= redrive.maxReceiveCount) {
        records.push(this.redriveToDeadLetterQueue(message, redrive, now));
        continue;
      }
      message.receiveCount++;
      message.firstReceiveAt ??= now;
      message.receipt = randomBytes(12).toString("hex");
      message.visibleAt = now + this.scaledMs(visibility);
      records.push({
        op: "receive",
        queue: this.name,
        id: message.id,
        receiveCount: message.receiveCount,
        firstReceiveAt: message.firstReceiveAt,
        visibleAt: message.visibleAt,
        receipt: message.receipt,
      });
      received.push(this.toReceived(message));
      if (visibility === 0) this.notify();
      else this.scheduleWake(message.visibleAt);
    }
    if (records.length > 0) await this.env.persist(records);
    return received;
  }

  private redriveToDeadLetterQueue(
    message: StoredMessage,
    redrive: RedrivePolicy,
    now: number,
  ): JournalRecord {
    const deadLetterQueue = this.env.queueByArn(redrive.deadLetterTargetArn);
    if (deadLetterQueue === undefined) {
      // QueueStore.open refuses such a definition; reaching this is a bug in the store.
      throw new Error(
        `Queue ${this.name}: dead-letter queue ${redrive.deadLetterTargetArn} is not in the store.`,
      );
    }
    // SQS keeps the body, attributes, receive count and, for standard queues, the enqueue time
    // (retention in the DLQ counts from the original send).
    const { receipt: _receipt, ...rest } = message;
    const record = this.transfer({ ...rest, visibleAt: now, deadLetterSourceArn: this.arn }, deadLetterQueue);
    this.env.onDeadLetter?.({
      messageId: message.id,
      sourceQueue: this.name,
      deadLetterQueue: deadLetterQueue.name,
      receiveCount: message.receiveCount,
      maxReceiveCount: redrive.maxReceiveCount,
    });
    return record;
  }

  /** Moves a message to `destination` in memory and returns the journal record of the move. */
  private transfer(moved: StoredMessage, destination: LocalQueue): JournalRecord {
    this.messages.delete(moved.id);
    destination.messages.set(moved.id, moved);
    destination.notify();
    return { op: "move", from: this.name, to: destination.name, message: moved };
  }

  private toReceived(message: StoredMessage): ReceivedMessage {
    const trace = message.systemAttributes.AWSTraceHeader?.StringValue;
    return {
      messageId: message.id,
      receiptHandle: this.encodeReceiptHandle(message),
      body: message.body,
      md5OfBody: message.md5OfBody,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        ApproximateFirstReceiveTimestamp: String(message.firstReceiveAt ?? message.sentAt),
        SentTimestamp: String(message.sentAt),
        SenderId: message.senderId,
        ...(message.deadLetterSourceArn !== undefined && {
          DeadLetterQueueSourceArn: message.deadLetterSourceArn,
        }),
        ...(trace !== undefined && { AWSTraceHeader: trace }),
      },
      messageAttributes: message.messageAttributes,
      md5OfMessageAttributes: message.md5OfMessageAttributes,
    };
  }

  private isExpired(message: StoredMessage, now: number): boolean {
    return now >= message.sentAt + this.settings.messageRetentionSeconds * 1000;
  }

  private encodeReceiptHandle(message: StoredMessage): string {
    const text = [RECEIPT_VERSION, this.name, message.id, message.receipt ?? ""].join(":");
    return Buffer.from(text, "utf8").toString("base64");
  }

  private decodeReceiptHandle(handle: string): { id: string; token: string } {
    const invalid = (reason: string) =>
      sqsError(
        "ReceiptHandleIsInvalid",
        `The input receipt handle "${handle}" is not a valid receipt handle for queue ${this.name}: ${reason}. ` +
          "Use the ReceiptHandle that ReceiveMessage returned from this queue.",
      );
    if (typeof handle !== "string" || handle === "") throw invalid("it is empty");
    const bytes = Buffer.from(handle, "base64");
    if (bytes.toString("base64") !== handle) throw invalid("it is not one this service issued");
    const [version, queue, id, token, ...extra] = bytes.toString("utf8").split(":");
    if (version !== RECEIPT_VERSION || id === undefined || token === undefined || extra.length > 0) {
      throw invalid("it is not one this service issued");
    }
    if (queue !== this.name) throw invalid(`it was issued by queue ${queue}`);
    return { id, token };
  }

  /** Resolves on the first of: a notification, `ms` elapsed, a signal aborted (or already aborted). */
  private waitForAvailability(ms: number, signals: readonly AbortSignal[]): Promise<void> {
    if (signals.some((signal) => signal.aborted)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = () => {
        unsubscribe();
        timer.cancel();
        for (const signal of signals) signal.removeEventListener("abort", done);
        resolve();
      };
      const unsubscribe = this.subscribe(done);
      const timer = this.env.clock.setTimer(done, ms);
      for (const signal of signals) signal.addEventListener("abort", done, { once: true });
    });
  }

  private notify(): void {
    if (this.notifyScheduled || this.subscribers.size === 0) return;
    this.notifyScheduled = true;
    queueMicrotask(() => {
      this.notifyScheduled = false;
      for (const listener of [...this.subscribers]) listener();
    });
  }

  /** Arms the wake-up timer for a message becoming visible at `at`, if it is the earliest. */
  private scheduleWake(at: number): void {
    if (this.subscribers.size === 0 || at >= this.wakeAt) return;
    this.wakeTimer?.cancel();
    this.wakeAt = at;
    this.wakeTimer = this.env.clock.setTimer(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.notify();
      this.armWakeForEarliest();
    }, at - this.env.clock.now());
  }

  private armWakeForEarliest(): void {
    const now = this.env.clock.now();
    let earliest = Number.POSITIVE_INFINITY;
    for (const message of this.messages.values()) {
      if (message.visibleAt > now && message.visibleAt < earliest) earliest = message.visibleAt;
    }
    if (earliest !== Number.POSITIVE_INFINITY) this.scheduleWake(earliest);
  }

  private cancelWake(): void {
    this.wakeTimer?.cancel();
    this.wakeTimer = undefined;
    this.wakeAt = Number.POSITIVE_INFINITY;
  }
}

function assertValidSystemAttributes(attributes: MessageAttributeMap): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (name !== "AWSTraceHeader") {
      throw sqsError(
        "InvalidParameterValue",
        `Message system attribute name '${name}' is invalid: only AWSTraceHeader is supported.`,
      );
    }
    if (value.DataType !== "String" || typeof value.StringValue !== "string" || value.StringValue === "") {
      throw sqsError(
        "InvalidParameterValue",
        `Message system attribute AWSTraceHeader must have DataType String and a non-empty StringValue, got ${JSON.stringify(value)}.`,
      );
    }
  }
}
