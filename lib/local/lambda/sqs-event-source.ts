import { type Clock, systemClock } from "../clock";
import type { LocalEventSourceMapping } from "../model";
import { evaluateBatchResponse } from "./batch-response";
import { EventSourceMappingError, EventSourcePollingError } from "./errors";
import type { InvocationResult, LambdaInvoker } from "./function-runner";

/** A message attribute as Lambda writes it into an SQS event record. */
export interface SqsRecordMessageAttribute {
  /** `String`, `Number`, `Binary`, or one of those with a custom suffix (`Number.int`). */
  readonly dataType: string;
  readonly stringValue?: string;
  /** Base64. */
  readonly binaryValue?: string;
  // Mutable array types so that records are assignable to `SQSRecord` of @types/aws-lambda.
  readonly stringListValues: string[];
  readonly binaryListValues: string[];
}

/** The system attributes Lambda puts in every SQS event record (FIFO queues add the optional ones). */
export interface SqsRecordAttributes {
  /** How many times the message has been received, this time included. */
  readonly ApproximateReceiveCount: string;
  /** When the message was sent, epoch milliseconds. */
  readonly SentTimestamp: string;
  readonly SenderId: string;
  /** When the message was first received, epoch milliseconds. */
  readonly ApproximateFirstReceiveTimestamp: string;
  readonly SequenceNumber?: string;
  readonly MessageGroupId?: string;
  readonly MessageDeduplicationId?: string;
  readonly AWSTraceHeader?: string;
  readonly DeadLetterQueueSourceArn?: string;
}

/**
 * A received message in the shape of a record of Lambda's SQS event: the queue adapter builds it, so
 * the handler gets exactly what the adapter returned.
 */
export interface ReceivedSqsMessage {
  readonly messageId: string;
  /** Identifies this receive of the message; deleting takes it. */
  readonly receiptHandle: string;
  readonly body: string;
  readonly attributes: SqsRecordAttributes;
  readonly messageAttributes: Readonly<Record<string, SqsRecordMessageAttribute>>;
  /** MD5 of the body, hex. */
  readonly md5OfBody: string;
  /** MD5 of the message attributes, hex; present when the message has attributes. */
  readonly md5OfMessageAttributes?: string;
  readonly eventSource: "aws:sqs";
  readonly eventSourceARN: string;
  readonly awsRegion: string;
}

/** The event Lambda builds from a batch. */
export interface SqsEvent {
  readonly Records: readonly ReceivedSqsMessage[];
}

/** The queue a poller reads, as the local pipeline adapts its SQS engine. */
export interface EventSourceQueue {
  /** The queue's ARN; it must be the mapping's `queueArn`. */
  readonly arn: string;
  /**
   * The queue's own visibility timeout, in wall milliseconds (after any time scale): how long after
   * a receive a message whose invocation failed becomes receivable again.
   * @default - the messages keep the visibility they were received with
   */
  readonly visibilityTimeoutMs?: number;
  /**
   * Resolves with up to `max` messages (an adapter may return fewer: SQS returns at most 10 per
   * receive), waiting up to `waitMs` for the first one; each returned message becomes invisible for
   * the queue's visibility timeout, and for at least `minInvisibleMs` when given (the longest the
   * invocation can run). An adapter that honours `signal` resolves early with what it has when it
   * aborts, which lets {@link SqsEventSourcePoller.stop} return at once.
   */
  receive(
    max: number,
    waitMs: number,
    signal?: AbortSignal,
    minInvisibleMs?: number,
  ): Promise<ReceivedSqsMessage[]>;
  /** Deletes the received messages with these receipt handles. */
  delete(receiptHandles: readonly string[]): Promise<void>;
  /**
   * Makes received messages receivable again in `afterMs` wall milliseconds (0: at once).
   * @default - they stay invisible for what they were received with
   */
  release?(receiptHandles: readonly string[], afterMs: number): Promise<void>;
}

/** What became of one batch. */
export type BatchOutcome =
  /** The function succeeded and reported no failures: every message was deleted. */
  | { readonly kind: "succeeded" }
  /** The function reported these messages as failed: the others were deleted. */
  | { readonly kind: "partially-failed"; readonly failedMessageIds: readonly string[] }
  /** The partial batch response was unreadable: the whole batch failed, nothing was deleted. */
  | { readonly kind: "invalid-response"; readonly reason: string }
  /** The invocation failed (error, timeout, crash): nothing was deleted. */
  | { readonly kind: "function-error"; readonly errorType: string; readonly errorMessage: string };

/** One invocation of the function with a batch, and its result. */
export interface BatchInvocationReport {
  readonly mappingId: string;
  readonly functionName: string;
  readonly queueArn: string;
  /** The invocation's request id; absent when the function could not be invoked at all. */
  readonly requestId?: string;
  /** The messages of the batch, in order. */
  readonly messageIds: readonly string[];
  readonly outcome: BatchOutcome;
  /** How many messages were deleted (fewer than the outcome implies if the delete failed). */
  readonly deletedCount: number;
  /** The handler's duration (see `InvocationResult.durationMs`). */
  readonly durationMs: number;
  /** Present when the invocation started a new worker. */
  readonly initDurationMs?: number;
}

/** Settings of an {@link SqsEventSourcePoller}. */
export interface SqsEventSourcePollerOptions {
  /** The mapping: function, queue, batch size, batching window, maximum concurrency, response types. */
  readonly mapping: LocalEventSourceMapping;
  /** The mapping's queue. */
  readonly queue: EventSourceQueue;
  /** The mapping's function, usually its {@link FunctionRunner}. */
  readonly invoker: LambdaInvoker;
  /**
   * Divides the batching window and the pause after a failed receive.
   * @default 1
   */
  readonly timeScale?: number;
  /**
   * How long one receive waits for a first message when the queue is empty. Not a Lambda setting
   * (Lambda long-polls for 20 s): it bounds how long {@link SqsEventSourcePoller.stop} waits for a
   * queue adapter that ignores the abort signal, for one idle receive a second.
   * @default 1000
   */
  readonly longPollMs?: number;
  /** @default - the system clock */
  readonly clock?: Clock;
  /**
   * Receives a report of every invocation: function, batch, outcome, deletions.
   * @default - reports are dropped
   */
  readonly onInvocation?: (report: BatchInvocationReport) => void;
  /**
   * Receives failures of the queue or of `onInvocation`; the poller keeps running after each.
   * @default - each is emitted as a process warning (printed on stderr)
   */
  readonly onError?: (error: EventSourcePollingError) => void;
}

/**
 * Lambda's maximum concurrency when a mapping sets none. Lambda starts with five concurrent batches
 * and scales up with the backlog (to 1,000); locally five, so that one busy queue cannot take every
 * core from the rest of the pipeline.
 */
export const DEFAULT_MAPPING_CONCURRENCY = 5;

/** Lambda closes a batch at 6 MB, the synchronous invocation payload limit. */
export const MAX_BATCH_PAYLOAD_BYTES = 6 * 1024 * 1024;

/** `{"Records":[]}`: the bytes of the event around its records. */
const EVENT_ENVELOPE_BYTES = 14;

/** The pause after a failed receive, before the time scale. */
const RECEIVE_RETRY_PAUSE_MS = 1000;

/**
 * Feeds a function from an SQS queue the way Lambda's event source mapping does:
 *
 * - a batch holds up to `batchSize` records and closes when it is full, when the batching window
 *   has passed since its first record (with no window, as soon as a receive returned records), or
 *   when the next record would take the event past 6 MB (that record opens the next batch);
 * - at most `maxConcurrency` batches are invoked at once (default {@link DEFAULT_MAPPING_CONCURRENCY});
 *   no message is received while every slot is busy, so none sits invisible waiting for one;
 * - after a successful invocation it deletes every record, or, with `reportBatchItemFailures`,
 *   every record the response does not list as failed; an unreadable partial batch response fails
 *   the whole batch ({@link evaluateBatchResponse});
 * - after a failed invocation it deletes nothing: the records reappear after the queue's visibility
 *   timeout and, past `maxReceiveCount`, the queue's redrive policy moves them to the DLQ.
 *
 * Not emulated: Lambda's scaling of pollers with the backlog and its back-off after function
 * errors, and FIFO ordering per message group.
 */
export class SqsEventSourcePoller {
  private readonly mapping: LocalEventSourceMapping;
  private readonly queue: EventSourceQueue;
  private readonly invoker: LambdaInvoker;
  private readonly clock: Clock;
  private readonly maxConcurrency: number;
  private readonly windowMs: number;
  private readonly retryPauseMs: number;
  private readonly longPollMs: number;
  private readonly inFlight = new Set<Promise<void>>();
  /** Records received but not yet in a batch: they did not fit the last one. */
  private carryOver: ReceivedSqsMessage[] = [];
  /** When each record in hand was received (clock ms), by receipt handle. */
  private readonly receivedAt = new Map<string, number>();
  private abort: AbortController | undefined;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: SqsEventSourcePollerOptions) {
    const { mapping, queue, invoker } = options;
    const timeScale = options.timeScale ?? 1;
    validateMapping(mapping, queue, invoker, timeScale);
    this.mapping = mapping;
    this.queue = queue;
    this.invoker = invoker;
    this.clock = options.clock ?? systemClock;
    // No batch is received that no execution environment can take at once: its messages would sit
    // invisible, their visibility timeout running, while they wait for one.
    this.maxConcurrency = Math.min(
      mapping.maxConcurrency ?? DEFAULT_MAPPING_CONCURRENCY,
      invoker.concurrencyLimit ?? Number.POSITIVE_INFINITY,
    );
    this.windowMs = (mapping.maxBatchingWindowSeconds * 1000) / timeScale;
    this.retryPauseMs = RECEIVE_RETRY_PAUSE_MS / timeScale;
    this.longPollMs = options.longPollMs ?? 1000;
  }

  /** Whether the poller is polling (started, not stopped). */
  get polling(): boolean {
    return this.loop !== undefined && this.abort?.signal.aborted === false;
  }

  /** How many batches are being invoked now. */
  get inFlightBatches(): number {
    return this.inFlight.size;
  }

  /** Starts polling; does nothing if it is already polling or if the mapping is disabled (`enabled: false`). */
  start(): void {
    if (!this.mapping.enabled || this.loop !== undefined) return;
    const abort = new AbortController();
    this.abort = abort;
    this.loop = this.pollUntilAborted(abort.signal);
  }

  /**
   * Stops receiving, invokes what was already received (a batch still inside its window is closed
   * at once), and resolves when every invocation has finished and its deletions are done.
   */
  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    await Promise.all(this.inFlight);
    this.loop = undefined;
  }

  private async pollUntilAborted(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      await this.freeSlot();
      const batch = await this.gatherBatch(signal);
      if (batch.length > 0) this.dispatch(batch);
    }
    // Received records must not wait out a visibility timeout because the poller stopped.
    while (this.carryOver.length > 0) {
      await this.freeSlot();
      this.dispatch(await this.gatherBatch(signal));
    }
  }

  private async freeSlot(): Promise<void> {
    while (this.inFlight.size >= this.maxConcurrency) await Promise.race(this.inFlight);
  }

  private async gatherBatch(signal: AbortSignal): Promise<ReceivedSqsMessage[]> {
    const batch: ReceivedSqsMessage[] = [];
    let bytes = EVENT_ENVELOPE_BYTES;
    let closed = false;
    const take = (messages: readonly ReceivedSqsMessage[]): void => {
      for (const message of messages) {
        const size = Buffer.byteLength(JSON.stringify(message)) + 1;
        if (closed || (batch.length > 0 && bytes + size > MAX_BATCH_PAYLOAD_BYTES)) {
          closed = true;
          this.carryOver.push(message);
          continue;
        }
        batch.push(message);
        bytes += size;
        if (batch.length >= this.mapping.batchSize) closed = true;
      }
    };
    take(this.carryOver.splice(0));
    let windowEnds = batch.length > 0 ? this.clock.now() + this.windowMs : undefined;
    while (!closed && !signal.aborted) {
      let waitMs = this.longPollMs;
      if (windowEnds !== undefined) {
        waitMs = windowEnds - this.clock.now();
        if (this.windowMs === 0 || waitMs <= 0) break;
      }
      const received = await this.receive(this.mapping.batchSize - batch.length, waitMs, signal);
      const at = this.clock.now();
      for (const message of received) this.receivedAt.set(message.receiptHandle, at);
      take(received);
      if (windowEnds === undefined && batch.length > 0) windowEnds = this.clock.now() + this.windowMs;
    }
    return batch;
  }

  private async receive(
    max: number,
    waitMs: number,
    signal: AbortSignal,
  ): Promise<readonly ReceivedSqsMessage[]> {
    try {
      return await this.queue.receive(max, Math.ceil(waitMs), signal, this.invoker.longestInvocationMs);
    } catch (error) {
      if (signal.aborted) return [];
      this.reportError("receive", error);
      await this.pause(this.retryPauseMs, signal);
      return [];
    }
  }

  private pause(ms: number, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimer(done, ms);
      signal.addEventListener("abort", done, { once: true });
      function done(): void {
        timer.cancel();
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }

  private dispatch(batch: readonly ReceivedSqsMessage[]): void {
    const task: Promise<void> = this.invokeWithBatch(batch)
      .catch((error: unknown) => this.reportError("report", error))
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
  }

  private async invokeWithBatch(batch: readonly ReceivedSqsMessage[]): Promise<void> {
    const messageIds = batch.map((message) => message.messageId);
    const event: SqsEvent = { Records: batch };
    let result: InvocationResult | undefined;
    let outcome: BatchOutcome;
    try {
      result = await this.invoker.invoke(event);
      outcome = this.judge(result, messageIds);
    } catch (error) {
      // The function could not be invoked at all (e.g. its runner closed): the batch failed.
      outcome = {
        kind: "function-error",
        errorType: error instanceof Error ? error.name : typeof error,
        errorMessage: error instanceof Error ? error.message : String(error),
      };
    }
    const toDelete = batch.filter((message) => deletes(outcome, message.messageId));
    const kept = batch.filter((message) => !deletes(outcome, message.messageId));
    await this.releaseAfterFailure(kept, outcome);
    for (const message of batch) this.receivedAt.delete(message.receiptHandle);
    let deletedCount = 0;
    if (toDelete.length > 0) {
      try {
        await this.queue.delete(toDelete.map((message) => message.receiptHandle));
        deletedCount = toDelete.length;
      } catch (error) {
        this.reportError("delete", error);
      }
    }
    this.options.onInvocation?.({
      mappingId: this.mapping.logicalId,
      functionName: this.mapping.functionName,
      queueArn: this.mapping.queueArn,
      ...(result === undefined ? {} : { requestId: result.requestId }),
      messageIds,
      outcome,
      deletedCount,
      durationMs: result?.durationMs ?? 0,
      ...(result?.initDurationMs === undefined ? {} : { initDurationMs: result.initDurationMs }),
    });
  }

  /**
   * Messages are received invisible for as long as their invocation can run, which a time scale
   * may make longer than the queue's own (scaled) visibility timeout; once the invocation has ended,
   * failed messages get the queue's visibility back, counted from their receive, as in SQS. Not
   * after a runtime crash: the handler may have left work marked in progress (an idempotency
   * record) that expires only at the invocation's deadline.
   */
  private async releaseAfterFailure(
    failed: readonly ReceivedSqsMessage[],
    outcome: BatchOutcome,
  ): Promise<void> {
    const visibilityMs = this.queue.visibilityTimeoutMs;
    if (failed.length === 0 || this.queue.release === undefined || visibilityMs === undefined) return;
    if (outcome.kind === "function-error" && outcome.errorType.startsWith("Runtime.")) return;
    const now = this.clock.now();
    const byDelay = new Map<number, string[]>();
    for (const message of failed) {
      const receivedAt = this.receivedAt.get(message.receiptHandle) ?? now;
      const delay = Math.max(0, Math.ceil(receivedAt + visibilityMs - now));
      byDelay.set(delay, [...(byDelay.get(delay) ?? []), message.receiptHandle]);
    }
    for (const [delay, handles] of byDelay) {
      try {
        await this.queue.release(handles, delay);
      } catch (error) {
        // The message stays invisible for what it was received with: later, never lost.
        this.reportError("release", error);
      }
    }
  }

  private judge(result: InvocationResult, messageIds: readonly string[]): BatchOutcome {
    if (!result.ok)
      return { kind: "function-error", errorType: result.errorType, errorMessage: result.errorMessage };
    // Without ReportBatchItemFailures Lambda ignores the response, even one listing failures.
    if (!this.mapping.reportBatchItemFailures) return { kind: "succeeded" };
    const verdict = evaluateBatchResponse(result.result, messageIds);
    switch (verdict.kind) {
      case "all-succeeded":
        return { kind: "succeeded" };
      case "some-failed":
        return { kind: "partially-failed", failedMessageIds: verdict.failedMessageIds };
      case "invalid":
        return { kind: "invalid-response", reason: verdict.reason };
    }
  }

  private reportError(operation: EventSourcePollingError["operation"], cause: unknown): void {
    const error = new EventSourcePollingError(this.mapping.logicalId, operation, { cause });
    if (this.options.onError === undefined) process.emitWarning(error);
    else this.options.onError(error);
  }
}

/** Whether a message of a batch with this outcome is deleted. */
function deletes(outcome: BatchOutcome, messageId: string): boolean {
  switch (outcome.kind) {
    case "succeeded":
      return true;
    case "partially-failed":
      return !outcome.failedMessageIds.includes(messageId);
    case "invalid-response":
    case "function-error":
      return false;
  }
}

/**
 * One readable line for a report, e.g.
 * `inventory ◀ 10 from inventory-queue: 2 failed (batchItemFailures), 8 deleted [4.2 ms]`.
 */
export function formatBatchInvocationReport(report: BatchInvocationReport): string {
  const queueName = report.queueArn.slice(report.queueArn.lastIndexOf(":") + 1);
  const head = `${report.functionName} ◀ ${report.messageIds.length} from ${queueName}`;
  const timing = [`${report.durationMs.toFixed(1)} ms`];
  if (report.initDurationMs !== undefined) timing.push(`cold start ${report.initDurationMs.toFixed(1)} ms`);
  const deleted = `${report.deletedCount} deleted`;
  let result: string;
  switch (report.outcome.kind) {
    case "succeeded":
      result = `ok, ${deleted}`;
      break;
    case "partially-failed":
      result = `${report.outcome.failedMessageIds.length} failed (batchItemFailures), ${deleted}`;
      break;
    case "invalid-response":
      result = `invalid batch response, whole batch failed: ${report.outcome.reason}; ${deleted}`;
      break;
    case "function-error":
      result = `error ${report.outcome.errorType}: ${report.outcome.errorMessage}; ${deleted}`;
      break;
  }
  return `${head}: ${result} [${timing.join(", ")}]`;
}

function validateMapping(
  mapping: LocalEventSourceMapping,
  queue: EventSourceQueue,
  invoker: LambdaInvoker,
  timeScale: number,
): void {
  const fail = (message: string): never => {
    throw new EventSourceMappingError(mapping.logicalId, message);
  };
  const fifo = mapping.queueArn.endsWith(".fifo");
  const maxBatchSize = fifo ? 10 : 10_000;
  if (!Number.isInteger(mapping.batchSize) || mapping.batchSize < 1 || mapping.batchSize > maxBatchSize) {
    fail(
      `batchSize must be an integer from 1 to ${maxBatchSize}${fifo ? " for a FIFO queue" : ""}, got ${mapping.batchSize}`,
    );
  }
  const window = mapping.maxBatchingWindowSeconds;
  if (!(window >= 0 && window <= 300)) {
    fail(`maxBatchingWindowSeconds must be from 0 to 300, got ${window}`);
  }
  if (mapping.batchSize > 10 && window < 1) {
    fail(
      `maxBatchingWindowSeconds must be at least 1 when batchSize is above 10 (Lambda rejects the mapping), got batchSize ${mapping.batchSize} with maxBatchingWindowSeconds ${window}`,
    );
  }
  const concurrency = mapping.maxConcurrency;
  if (
    concurrency !== undefined &&
    !(Number.isInteger(concurrency) && concurrency >= 2 && concurrency <= 1000)
  ) {
    fail(`maxConcurrency must be an integer from 2 to 1000, or unset, got ${concurrency}`);
  }
  if (queue.arn !== mapping.queueArn) {
    fail(`reads queue ${mapping.queueArn}, but the poller was given queue ${queue.arn}`);
  }
  if (invoker.functionName !== mapping.functionName) {
    fail(
      `invokes function ${mapping.functionName}, but the poller was given function ${invoker.functionName}`,
    );
  }
  if (!(Number.isFinite(timeScale) && timeScale > 0)) {
    fail(`timeScale must be a positive number, got ${timeScale}`);
  }
}
