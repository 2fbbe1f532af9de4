import type { DynamoDBStreamsClient } from "@aws-sdk/client-dynamodb-streams";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { FirehoseClient } from "@aws-sdk/client-firehose";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ListMessageMoveTasksCommand,
  type ListMessageMoveTasksResultEntry,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
  StartMessageMoveTaskCommand,
} from "@aws-sdk/client-sqs";
import { AWS_LIMITS } from "../aws-limits";
import { OutboxRedriveError, republishStreamBatch, streamBatchInfoOf } from "./outbox";
import { queueDepth } from "./queue-depth";
import type { StackResources } from "./stack-resources";

/** A dead-letter queue cannot be found, read or redriven; the message says why and what to do. */
export class DeadLetterQueueError extends Error {
  public override readonly name = "DeadLetterQueueError";
}

/** Where a dead-letter queue's messages go back to when redriven. */
export type RedriveRoute =
  /** A queue DLQ: back to the subscription's queue, with SQS StartMessageMoveTask (or copies with `max`). */
  | { readonly kind: "source-queue"; readonly queueUrl: string; readonly queueArn: string }
  /** A subscription's rule-target DLQ: the event (the message body) sent to the subscription's queue. */
  | { readonly kind: "target-queue"; readonly queueUrl: string; readonly queueArn: string }
  /** The audit rule's target DLQ: the event put to the delivery stream named by each message's TARGET_ARN. */
  | { readonly kind: "delivery-stream" }
  /** The outbox pipe's DLQ: each message's batch read back from the table's stream and put on the bus. */
  | { readonly kind: "outbox-stream"; readonly eventBusName: string };

/** One dead-letter queue of the stack, named as the CLI names it. */
export interface DeadLetterQueueRef {
  /** `<subscription>` (its queue DLQ), `<subscription>/target` (its rule-target DLQ) or `audit/target`. */
  readonly name: string;
  /**
   * `queue`: messages the consumer failed `maxReceiveCount` times; `target`: events EventBridge could
   * not deliver; `pipe`: outbox batches the pipe gave up on (their stream position).
   */
  readonly kind: "queue" | "target" | "pipe";
  /** The subscription it belongs to; undefined for the audit trail's. */
  readonly subscription?: string;
  readonly queueUrl: string;
  /** Known from the outputs for subscriptions' DLQs; the audit DLQ's comes from GetQueueAttributes. */
  readonly queueArn?: string;
  readonly redrive: RedriveRoute;
}

/** Every dead-letter queue of the stack: per subscription its queue DLQ and rule-target DLQ, then the audit trail's. */
export function deadLetterQueuesOf(resources: StackResources): DeadLetterQueueRef[] {
  const refs: DeadLetterQueueRef[] = [];
  for (const s of resources.subscriptions) {
    refs.push({
      name: s.name,
      kind: "queue",
      subscription: s.name,
      queueUrl: s.deadLetterQueueUrl,
      queueArn: s.deadLetterQueueArn,
      redrive: { kind: "source-queue", queueUrl: s.queueUrl, queueArn: s.queueArn },
    });
    refs.push({
      name: `${s.name}/target`,
      kind: "target",
      subscription: s.name,
      queueUrl: s.targetDeadLetterQueueUrl,
      queueArn: s.targetDeadLetterQueueArn,
      redrive: { kind: "target-queue", queueUrl: s.queueUrl, queueArn: s.queueArn },
    });
  }
  refs.push({
    name: "audit/target",
    kind: "target",
    queueUrl: resources.auditDeadLetterQueueUrl,
    redrive: { kind: "delivery-stream" },
  });
  if (resources.outbox !== undefined) {
    refs.push({
      name: "outbox/pipe",
      kind: "pipe",
      queueUrl: resources.outbox.deadLetterQueueUrl,
      queueArn: resources.outbox.deadLetterQueueArn,
      redrive: { kind: "outbox-stream", eventBusName: resources.eventBusName },
    });
  }
  return refs;
}

/**
 * The dead-letter queue called `name`.
 *
 * @throws DeadLetterQueueError listing the names there are
 */
export function findDeadLetterQueue(resources: StackResources, name: string): DeadLetterQueueRef {
  const refs = deadLetterQueuesOf(resources);
  const found = refs.find((ref) => ref.name === name);
  if (found === undefined) {
    throw new DeadLetterQueueError(
      `No dead-letter queue "${name}" in stack "${resources.stackName}"; expected one of: ${refs.map((r) => r.name).join(", ")} (see "eventrail dlq list").`,
    );
  }
  return found;
}

/** A dead-letter queue's depth and age. */
export interface DeadLetterQueueSummary {
  readonly name: string;
  readonly kind: DeadLetterQueueRef["kind"];
  readonly subscription?: string;
  readonly queueUrl: string;
  /** Messages waiting (ApproximateNumberOfMessages). */
  readonly depth: number;
  /** Messages received and not yet deleted or visible again (a peek or redrive in progress). */
  readonly inFlight: number;
  /**
   * Age of the oldest message among those sampled (up to 10), from its SentTimestamp: for a queue
   * DLQ the time it was first sent to the subscription's queue, for a target DLQ the time EventBridge
   * dead-lettered it. Undefined when not sampled (empty queue, or sampling off): "n/a".
   */
  readonly oldestAgeMs?: number;
}

/** Options of {@link describeDeadLetterQueues}. */
export interface DescribeDeadLetterQueuesOptions {
  /**
   * Peek at up to 10 messages of each non-empty DLQ for the age of the oldest. SQS has no attribute
   * for it (CloudWatch's ApproximateAgeOfOldestMessage is a metric), and receiving increments the
   * messages' ApproximateReceiveCount.
   * @default true
   */
  readonly sampleAge?: boolean;
  /** @default - the current time */
  readonly now?: Date;
}

/** The depth, in-flight count and (sampled) oldest age of each dead-letter queue. */
export async function describeDeadLetterQueues(
  sqs: SQSClient,
  refs: readonly DeadLetterQueueRef[],
  options: DescribeDeadLetterQueuesOptions = {},
): Promise<DeadLetterQueueSummary[]> {
  const now = (options.now ?? new Date()).getTime();
  return Promise.all(
    refs.map(async (ref) => {
      const { depth, inFlight } = await queueDepth(sqs, ref.queueUrl);
      let oldestAgeMs: number | undefined;
      if (options.sampleAge !== false && depth > 0) {
        const sample = await peekDeadLetterQueue(sqs, ref, { max: 10 });
        const oldest = Math.min(...sample.map((m) => m.sentAt?.getTime() ?? Number.POSITIVE_INFINITY));
        if (Number.isFinite(oldest)) oldestAgeMs = Math.max(0, now - oldest);
      }
      return {
        name: ref.name,
        kind: ref.kind,
        subscription: ref.subscription,
        queueUrl: ref.queueUrl,
        depth,
        inFlight,
        oldestAgeMs,
      };
    }),
  );
}

/** What EventBridge says of an event it could not deliver (the attributes of a rule-target DLQ message). */
export interface DeliveryFailure {
  readonly errorCode?: string;
  readonly errorMessage?: string;
  readonly ruleArn?: string;
  readonly targetArn?: string;
  readonly retryAttempts?: number;
  readonly exhaustedRetryCondition?: string;
}

/** One dead-lettered message, read without consuming it. */
export interface PeekedMessage {
  /** SQS MessageId. */
  readonly messageId: string;
  /** `detail.metadata.eventId`: the idempotency key. */
  readonly eventId?: string;
  /** EventBridge's `id` of the event. */
  readonly eventBridgeId?: string;
  readonly detailType?: string;
  readonly source?: string;
  /** The event's `time`. */
  readonly time?: string;
  /** ApproximateReceiveCount, this peek included. */
  readonly receiveCount: number;
  /** SentTimestamp. */
  readonly sentAt?: Date;
  /** Set for rule-target DLQs. */
  readonly failure?: DeliveryFailure;
  /** The message body: the EventBridge event as JSON. */
  readonly body: string;
}

/** Options of {@link peekDeadLetterQueue}. */
export interface PeekOptions {
  /** At most this many messages. @default 10 */
  readonly max?: number;
  /**
   * How long each page stays hidden while the next is read, in seconds; every message read is made
   * visible again at the end. @default 30
   */
  readonly holdSeconds?: number;
}

/**
 * Reads up to `max` messages of a DLQ without consuming them: pages are received (hidden for
 * `holdSeconds` so the next receive returns others), then every message read is made visible again
 * at once. Receiving increments each message's ApproximateReceiveCount; nothing is deleted.
 */
export async function peekDeadLetterQueue(
  sqs: SQSClient,
  ref: DeadLetterQueueRef,
  options: PeekOptions = {},
): Promise<PeekedMessage[]> {
  const max = options.max ?? 10;
  const received = new Map<string, Message>();
  try {
    while (received.size < max) {
      const page = await receivePage(
        sqs,
        ref.queueUrl,
        Math.min(AWS_LIMITS.sqsReceiveMaxMessages.max, max - received.size),
        options.holdSeconds ?? 30,
      );
      const fresh = page.filter((m) => m.MessageId !== undefined && !received.has(m.MessageId));
      // Keep the newest receipt handle of each message: the one that can make it visible again.
      for (const message of page)
        if (message.MessageId !== undefined) received.set(message.MessageId, message);
      if (fresh.length === 0) break;
    }
  } finally {
    await releaseMessages(sqs, ref.queueUrl, [...received.values()]);
  }
  return [...received.values()].map((message) => toPeekedMessage(message, ref.kind));
}

/** What a redrive did (or, in a dry run, would do). */
export interface RedriveResult {
  readonly dlq: string;
  /** `move-task`: SQS StartMessageMoveTask; `copy`: each message sent to the destination, then deleted. */
  readonly method: "move-task" | "copy";
  /** Where messages go, e.g. a queue URL or `delivery stream of each message's TARGET_ARN`. */
  readonly destination: string;
  readonly dryRun: boolean;
  /** Messages waiting when the redrive started (capped by `max`). */
  readonly toMove: number;
  /** Messages confirmed at the destination and deleted from the DLQ. */
  readonly moved: number;
  /** Messages left in the DLQ, each with why; run the redrive again once the cause is fixed. */
  readonly failed: readonly { readonly messageId: string; readonly reason: string }[];
  /** Messages sent but whose delete failed: they stay in the DLQ and may be delivered twice. */
  readonly notDeleted: number;
  /** For `move-task`: the task's final status (COMPLETED, FAILED, CANCELLED) and why it failed. */
  readonly task?: { readonly status: string; readonly failureReason?: string };
}

/** Progress of a redrive, for a progress bar. */
export interface RedriveProgress {
  readonly moved: number;
  readonly failed: number;
  /** The approximate total; may grow while messages keep arriving. */
  readonly total: number;
}

/** Options of {@link redriveDeadLetterQueue}. */
export interface RedriveOptions {
  /**
   * Move at most this many messages. A queue DLQ is then redriven by copying (StartMessageMoveTask
   * moves everything).
   * @default - every message
   */
  readonly max?: number;
  /** Say what would move where, and move nothing. @default false */
  readonly dryRun?: boolean;
  readonly onProgress?: (progress: RedriveProgress) => void;
  /** Time between ListMessageMoveTasks calls. @default 1000 */
  readonly pollIntervalMs?: number;
  /** @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * How long a message being copied stays hidden, in seconds: longer than a send and a delete take,
   * so that no other reader sees it meanwhile. @default 60
   */
  readonly holdSeconds?: number;
}

/** The clients a redrive may need: Firehose only for the audit trail's DLQ, Streams and EventBridge for the outbox's. */
export interface RedriveClients {
  readonly sqs: SQSClient;
  readonly firehose?: FirehoseClient;
  readonly dynamoDbStreams?: DynamoDBStreamsClient;
  readonly eventBridge?: EventBridgeClient;
}

/**
 * Moves a DLQ's messages back to where they failed. A queue DLQ goes back to its subscription's
 * queue with SQS StartMessageMoveTask (progress from ListMessageMoveTasks), or by copying when `max`
 * is set. A rule-target DLQ is copied: each message's body (the event) is sent to the subscription's
 * queue (or, for `audit/target`, put to the delivery stream) and deleted from the DLQ only once the
 * copy is confirmed, so an interrupted redrive loses nothing and can be run again; consumers are
 * idempotent on `detail.metadata.eventId`, so a duplicate is harmless.
 *
 * @throws DeadLetterQueueError when a move task cannot start or the Firehose client is missing
 */
export async function redriveDeadLetterQueue(
  clients: RedriveClients,
  ref: DeadLetterQueueRef,
  options: RedriveOptions = {},
): Promise<RedriveResult> {
  if (options.max !== undefined && (!Number.isInteger(options.max) || options.max < 1)) {
    throw new DeadLetterQueueError(`max ${options.max} is not a whole number of at least 1; e.g. max 100.`);
  }
  const method = ref.redrive.kind === "source-queue" && options.max === undefined ? "move-task" : "copy";
  const destination =
    ref.redrive.kind === "delivery-stream"
      ? "the delivery stream named by each message's TARGET_ARN"
      : ref.redrive.kind === "outbox-stream"
        ? `the bus ${ref.redrive.eventBusName}, each batch read back from the outbox table's stream`
        : ref.redrive.queueUrl;
  const { depth, inFlight } = await queueDepth(clients.sqs, ref.queueUrl);
  const toMove = options.max === undefined ? depth : Math.min(depth, options.max);
  const base = { dlq: ref.name, method, destination, toMove } as const;
  if (options.dryRun === true) return { ...base, dryRun: true, moved: 0, failed: [], notDeleted: 0 };
  // Nothing waiting and nothing in flight: a move task would only add a line to ListMessageMoveTasks.
  if (depth + inFlight === 0) return { ...base, dryRun: false, moved: 0, failed: [], notDeleted: 0 };
  if (method === "move-task" && ref.redrive.kind === "source-queue") {
    return {
      ...base,
      dryRun: false,
      ...(await moveWithTask(clients.sqs, ref, ref.redrive.queueArn, toMove, options)),
    };
  }
  const send = destinationSender(clients, ref);
  return { ...base, dryRun: false, ...(await copyBack(clients.sqs, ref, send, toMove, options)) };
}

type MoveOutcome = Pick<RedriveResult, "moved" | "failed" | "notDeleted" | "task">;

async function moveWithTask(
  sqs: SQSClient,
  ref: DeadLetterQueueRef,
  destinationArn: string,
  toMove: number,
  options: RedriveOptions,
): Promise<MoveOutcome> {
  const sourceArn = ref.queueArn ?? (await queueArn(sqs, ref.queueUrl));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  let handle: string | undefined;
  try {
    handle = (
      await sqs.send(
        new StartMessageMoveTaskCommand({ SourceArn: sourceArn, DestinationArn: destinationArn }),
      )
    ).TaskHandle;
  } catch (error) {
    throw new DeadLetterQueueError(
      `SQS refused to start a message move task from ${ref.name} (${firstLine(error)}); if a task is already running, wait for it (eventrail dlq list), or pass --max N to copy the messages instead.`,
      { cause: error },
    );
  }
  for (;;) {
    const task = await currentMoveTask(sqs, sourceArn, handle);
    const moved = task?.ApproximateNumberOfMessagesMoved ?? 0;
    const total = Math.max(task?.ApproximateNumberOfMessagesToMove ?? toMove, moved);
    options.onProgress?.({ moved, failed: 0, total });
    const status = task?.Status;
    if (status !== undefined && status !== "RUNNING" && status !== "CANCELLING") {
      return {
        moved,
        failed: [],
        notDeleted: 0,
        task: { status, ...(task?.FailureReason === undefined ? {} : { failureReason: task.FailureReason }) },
      };
    }
    await sleep(options.pollIntervalMs ?? 1_000);
  }
}

/**
 * The task just started: ListMessageMoveTasks returns the newest first, and only a RUNNING task
 * carries its handle, so the handle is matched while it runs and the newest task is ours after.
 */
async function currentMoveTask(
  sqs: SQSClient,
  sourceArn: string,
  handle: string | undefined,
): Promise<ListMessageMoveTasksResultEntry | undefined> {
  const results =
    (await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: sourceArn, MaxResults: 10 }))).Results ?? [];
  return results.find((r) => handle !== undefined && r.TaskHandle === handle) ?? results[0];
}

/** Sends messages to where they failed; resolves with the ids confirmed and the failures by id. */
type DestinationSender = (
  messages: readonly Message[],
) => Promise<{ readonly sent: ReadonlySet<string>; readonly failed: ReadonlyMap<string, string> }>;

function destinationSender(clients: RedriveClients, ref: DeadLetterQueueRef): DestinationSender {
  const route = ref.redrive;
  if (route.kind === "delivery-stream") {
    const firehose = clients.firehose;
    if (firehose === undefined) {
      throw new DeadLetterQueueError(
        `Redriving ${ref.name} puts events to Firehose, and no Firehose client was given; pass one in RedriveClients.firehose.`,
      );
    }
    return (messages) => putToDeliveryStreams(firehose, messages);
  }
  if (route.kind === "outbox-stream") {
    const { dynamoDbStreams, eventBridge } = clients;
    if (dynamoDbStreams === undefined || eventBridge === undefined) {
      throw new DeadLetterQueueError(
        `Redriving ${ref.name} reads the outbox table's stream and puts events on the bus; pass RedriveClients.dynamoDbStreams and RedriveClients.eventBridge.`,
      );
    }
    return (messages) =>
      republishBatches({ streams: dynamoDbStreams, eventBridge }, route.eventBusName, messages);
  }
  // A target DLQ's attributes are EventBridge's error report, not part of the event: the copy goes
  // as EventBridge delivers (body only). A queue DLQ's message goes back as it was.
  const keepAttributes = route.kind === "source-queue";
  return (messages) => sendToQueue(clients.sqs, route.queueUrl, messages, keepAttributes);
}

async function copyBack(
  sqs: SQSClient,
  ref: DeadLetterQueueRef,
  send: DestinationSender,
  toMove: number,
  options: RedriveOptions,
): Promise<MoveOutcome> {
  const limit = options.max ?? Number.POSITIVE_INFINITY;
  const seen = new Set<string>();
  const failed: { messageId: string; reason: string }[] = [];
  let moved = 0;
  let notDeleted = 0;
  const report = () =>
    options.onProgress?.({ moved, failed: failed.length, total: Math.max(toMove, moved + failed.length) });
  report();
  while (moved + failed.length < limit) {
    const page = await receivePage(
      sqs,
      ref.queueUrl,
      Math.min(AWS_LIMITS.sqsReceiveMaxMessages.max, limit - moved - failed.length),
      options.holdSeconds ?? 60,
    );
    // A message seen before is one whose copy failed and whose hold ran out: stop rather than loop.
    const fresh = page.filter((m) => m.MessageId !== undefined && !seen.has(m.MessageId));
    if (fresh.length === 0) {
      await releaseMessages(sqs, ref.queueUrl, page);
      break;
    }
    for (const message of fresh) seen.add(message.MessageId as string);
    const outcome = await send(fresh);
    for (const [messageId, reason] of outcome.failed) failed.push({ messageId, reason });
    const confirmed = fresh.filter((m) => outcome.sent.has(m.MessageId as string));
    notDeleted += await deleteMessages(sqs, ref.queueUrl, confirmed);
    moved += confirmed.length;
    // Failed copies become visible again now, for the next run, instead of after the hold.
    await releaseMessages(
      sqs,
      ref.queueUrl,
      fresh.filter((m) => !outcome.sent.has(m.MessageId as string)),
    );
    report();
  }
  return { moved, failed, notDeleted };
}

/** Puts each dead-lettered outbox batch's events on the bus again (see {@link republishStreamBatch}). */
async function republishBatches(
  clients: { readonly streams: DynamoDBStreamsClient; readonly eventBridge: EventBridgeClient },
  eventBusName: string,
  messages: readonly Message[],
): Promise<{ sent: Set<string>; failed: Map<string, string> }> {
  const sent = new Set<string>();
  const failed = new Map<string, string>();
  for (const message of messages) {
    const id = message.MessageId as string;
    try {
      await republishStreamBatch(clients, streamBatchInfoOf(message.Body), eventBusName);
      sent.add(id);
    } catch (error) {
      if (!(error instanceof OutboxRedriveError)) throw error;
      failed.set(id, error.message);
    }
  }
  return { sent, failed };
}

async function sendToQueue(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
  keepAttributes: boolean,
): Promise<{ sent: Set<string>; failed: Map<string, string> }> {
  const sent = new Set<string>();
  const failed = new Map<string, string>();
  const byEntryId = new Map(messages.map((m, index) => [String(index), m.MessageId as string]));
  try {
    const answer = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, index) => ({
          Id: String(index),
          MessageBody: m.Body ?? "",
          ...(keepAttributes && m.MessageAttributes !== undefined
            ? { MessageAttributes: m.MessageAttributes as Record<string, MessageAttributeValue> }
            : {}),
        })),
      }),
    );
    for (const ok of answer.Successful ?? []) {
      const id = byEntryId.get(ok.Id ?? "");
      if (id !== undefined) sent.add(id);
    }
    for (const bad of answer.Failed ?? []) {
      const id = byEntryId.get(bad.Id ?? "");
      if (id !== undefined)
        failed.set(id, `${bad.Code ?? "Error"}: ${bad.Message ?? "SendMessageBatch refused it"}`);
    }
  } catch (error) {
    for (const id of byEntryId.values()) failed.set(id, firstLine(error));
  }
  return { sent, failed };
}

async function putToDeliveryStreams(
  firehose: FirehoseClient,
  messages: readonly Message[],
): Promise<{ sent: Set<string>; failed: Map<string, string> }> {
  const sent = new Set<string>();
  const failed = new Map<string, string>();
  const byStream = new Map<string, Message[]>();
  for (const message of messages) {
    const targetArn = message.MessageAttributes?.TARGET_ARN?.StringValue ?? "";
    const stream = /:deliverystream\/(.+)$/.exec(targetArn)?.[1];
    if (stream === undefined) {
      failed.set(
        message.MessageId as string,
        `TARGET_ARN "${targetArn}" is not a Firehose delivery stream ARN; expected arn:aws:firehose:...:deliverystream/NAME`,
      );
      continue;
    }
    byStream.set(stream, [...(byStream.get(stream) ?? []), message]);
  }
  // Loaded here: only a redrive of the audit trail's target DLQ puts to Firehose.
  const { PutRecordBatchCommand } = await import("@aws-sdk/client-firehose");
  for (const [stream, batch] of byStream) {
    try {
      const answer = await firehose.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: stream,
          Records: batch.map((m) => ({ Data: Buffer.from(m.Body ?? "", "utf8") })),
        }),
      );
      (answer.RequestResponses ?? []).forEach((response, index) => {
        const id = batch[index]?.MessageId as string;
        if (response.ErrorCode === undefined) sent.add(id);
        else failed.set(id, `${response.ErrorCode}: ${response.ErrorMessage ?? "PutRecordBatch refused it"}`);
      });
    } catch (error) {
      for (const m of batch) failed.set(m.MessageId as string, firstLine(error));
    }
  }
  return { sent, failed };
}

async function receivePage(
  sqs: SQSClient,
  queueUrl: string,
  max: number,
  holdSeconds: number,
): Promise<Message[]> {
  const answer = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: max,
      VisibilityTimeout: holdSeconds,
      // A short long-poll asks every SQS server, so a small queue does not look empty by chance.
      WaitTimeSeconds: 1,
      MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
      MessageAttributeNames: ["All"],
    }),
  );
  return answer.Messages ?? [];
}

/** Makes received messages visible again; a failure only delays them until their hold ends. */
async function releaseMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
): Promise<void> {
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    await sqs
      .send(
        new ChangeMessageVisibilityBatchCommand({
          QueueUrl: queueUrl,
          Entries: batch.map((m, index) => ({
            Id: String(index),
            ReceiptHandle: m.ReceiptHandle ?? "",
            VisibilityTimeout: 0,
          })),
        }),
      )
      .catch(() => undefined);
  }
}

/** Deletes confirmed copies; resolves with how many could not be deleted (they will be redriven again). */
async function deleteMessages(
  sqs: SQSClient,
  queueUrl: string,
  messages: readonly Message[],
): Promise<number> {
  if (messages.length === 0) return 0;
  try {
    const answer = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: messages.map((m, index) => ({ Id: String(index), ReceiptHandle: m.ReceiptHandle ?? "" })),
      }),
    );
    return answer.Failed?.length ?? 0;
  } catch {
    return messages.length;
  }
}

async function queueArn(sqs: SQSClient, queueUrl: string): Promise<string> {
  const answer = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
  );
  const arn = answer.Attributes?.QueueArn;
  if (arn === undefined) {
    throw new DeadLetterQueueError(
      `GetQueueAttributes on ${queueUrl} returned no QueueArn; check that the queue exists.`,
    );
  }
  return arn;
}

function toPeekedMessage(message: Message, kind: DeadLetterQueueRef["kind"]): PeekedMessage {
  const event = parseEvent(message.Body);
  const metadata = record(record(event?.detail)?.metadata);
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  const sent = Number(message.Attributes?.SentTimestamp);
  const retryAttempts = attribute("RETRY_ATTEMPTS");
  if (kind === "pipe") return toPeekedPipeMessage(message, event);
  return {
    messageId: message.MessageId ?? "",
    eventId: text(metadata?.eventId),
    eventBridgeId: text(event?.id),
    detailType: text(event?.["detail-type"]),
    source: text(event?.source),
    time: text(event?.time),
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent) : undefined,
    failure:
      kind === "target"
        ? {
            errorCode: attribute("ERROR_CODE"),
            errorMessage: attribute("ERROR_MESSAGE"),
            ruleArn: attribute("RULE_ARN"),
            targetArn: attribute("TARGET_ARN"),
            retryAttempts: retryAttempts === undefined ? undefined : Number(retryAttempts),
            exhaustedRetryCondition: attribute("EXHAUSTED_RETRY_CONDITION"),
          }
        : undefined,
    body: message.Body ?? "",
  };
}

/** A pipe's dead-letter message: no event, but the batch's stream position and why it failed. */
function toPeekedPipeMessage(message: Message, body: Record<string, unknown> | undefined): PeekedMessage {
  const request = record(body?.requestContext);
  const response = record(body?.responseContext);
  const batch = record(body?.DDBStreamBatchInfo);
  const sent = Number(message.Attributes?.SentTimestamp);
  const attempts = Number(request?.approximateInvokeCount);
  return {
    messageId: message.MessageId ?? "",
    eventId: undefined,
    eventBridgeId: undefined,
    detailType:
      batch === undefined ? undefined : `stream batch of ${String(batch.batchSize ?? "?")} record(s)`,
    source: text(batch?.streamArn),
    time: text(batch?.approximateArrivalOfFirstRecord),
    receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    sentAt: Number.isFinite(sent) && sent > 0 ? new Date(sent) : undefined,
    failure: {
      errorCode: text(response?.failureStage),
      errorMessage: text(response?.errorMessage),
      ruleArn: undefined,
      targetArn: text(request?.pipeArn),
      retryAttempts: Number.isFinite(attempts) ? attempts : undefined,
      exhaustedRetryCondition: text(request?.condition),
    },
    body: message.Body ?? "",
  };
}

/** The first line of an error's message: SDK messages can carry a second line of advice for developers. */
function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
}

function parseEvent(body: string | undefined): Record<string, unknown> | undefined {
  try {
    return record(JSON.parse(body ?? ""));
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function text(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
