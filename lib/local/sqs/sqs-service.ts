import { AWS_LIMITS } from "../../aws-limits";
import { type AwsJsonService, AwsServiceError } from "../aws-error";
import { jsonService, type RequestErrors, RequestInput } from "../request-input";
import { checkSqsParameter, SqsConfigurationError, SqsJournalError, sqsError } from "./errors";
import { type MessageAttributeMap, type MessageAttributeValue, md5OfMessageAttributes } from "./md5";
import { MAX_MESSAGE_SIZE_BYTES, messageSize } from "./message";
import type { MoveTaskInfo } from "./move-tasks";
import type { LocalQueue, ReceivedMessage } from "./queue";
import type { QueueStore } from "./queue-store";

/** Identity of the endpoint the service answers for. */
export interface SqsServiceOptions {
  /** The account the queues belong to; also the `SenderId` of messages sent over the wire. */
  readonly accountId: string;
  /** The region in the queues' ARNs. */
  readonly region: string;
  /**
   * The endpoint clients use (`http://127.0.0.1:4010`). Every queue URL must live under it, which
   * the service checks when created, so GetQueueUrl never returns a URL clients cannot reach.
   */
  readonly endpoint: string;
}

type Input = Record<string, unknown>;

/** Every operation of the SQS API (2012-11-05), implemented or not. */
const SQS_OPERATIONS = [
  "AddPermission",
  "CancelMessageMoveTask",
  "ChangeMessageVisibility",
  "ChangeMessageVisibilityBatch",
  "CreateQueue",
  "DeleteMessage",
  "DeleteMessageBatch",
  "DeleteQueue",
  "GetQueueAttributes",
  "GetQueueUrl",
  "ListDeadLetterSourceQueues",
  "ListMessageMoveTasks",
  "ListQueueTags",
  "ListQueues",
  "PurgeQueue",
  "ReceiveMessage",
  "RemovePermission",
  "SendMessage",
  "SendMessageBatch",
  "SetQueueAttributes",
  "StartMessageMoveTask",
  "TagQueue",
  "UntagQueue",
];

const MAX_BATCH_ENTRIES = 10;
const BATCH_ENTRY_ID = /^[A-Za-z0-9_-]{1,80}$/;

const SYSTEM_ATTRIBUTE_NAMES = [
  "ApproximateReceiveCount",
  "ApproximateFirstReceiveTimestamp",
  "SentTimestamp",
  "SenderId",
  "DeadLetterQueueSourceArn",
  "AWSTraceHeader",
] as const;

const QUEUE_ATTRIBUTE_NAMES = [
  "ApproximateNumberOfMessages",
  "ApproximateNumberOfMessagesNotVisible",
  "ApproximateNumberOfMessagesDelayed",
  "CreatedTimestamp",
  "LastModifiedTimestamp",
  "DelaySeconds",
  "MaximumMessageSize",
  "MessageRetentionPeriod",
  "QueueArn",
  "ReceiveMessageWaitTimeSeconds",
  "VisibilityTimeout",
  "RedrivePolicy",
  "KmsMasterKeyId",
  "KmsDataKeyReusePeriodSeconds",
  "SqsManagedSseEnabled",
] as const;
type QueueAttributeName = (typeof QUEUE_ATTRIBUTE_NAMES)[number];

// Attributes SQS knows but a local standard queue never has (FIFO settings, policies): asking for
// them is valid and returns nothing, as for a real standard queue without them.
const ABSENT_QUEUE_ATTRIBUTES = new Set([
  "Policy",
  "RedriveAllowPolicy",
  "FifoQueue",
  "ContentBasedDeduplication",
  "DeduplicationScope",
  "FifoThroughputLimit",
]);

/**
 * The SQS JSON 1.0 protocol over a {@link QueueStore}: the operations the local pipeline's queues
 * need, with SQS's validation and error codes. Operations that SQS has but the local SQS does not
 * (creating, deleting, tagging queues: queues come from the template) throw `UnsupportedOperation`;
 * a name SQS does not have throws `UnknownOperationException`.
 *
 * Throws {@link SqsConfigurationError} at creation when a queue URL is not under `endpoint` or an
 * ARN is not in `region` and `accountId`.
 */
export function createSqsService(store: QueueStore, options: SqsServiceOptions): AwsJsonService {
  assertQueuesMatchEndpoint(store, options);
  const queueFor = (input: RequestInput): LocalQueue => {
    const url = input.string("QueueUrl");
    const queue = store.queueByUrl(url);
    if (queue === undefined) throw queueDoesNotExist(store, url);
    return queue;
  };

  const operations: Record<string, (input: RequestInput) => Promise<unknown>> = {
    async ListQueues(input) {
      const prefix = input.optionalString("QueueNamePrefix") ?? "";
      const maxResults = input.optionalInteger("MaxResults");
      if (maxResults !== undefined) checkSqsParameter("MaxResults", maxResults, AWS_LIMITS.sqsListMaxResults);
      const matching = store.queues.filter((queue) => queue.name.startsWith(prefix));
      const start = decodeOffset(input.optionalString("NextToken"), matching.length);
      const end = Math.min(matching.length, start + (maxResults ?? 1000));
      const urls = matching.slice(start, end).map((queue) => queue.url);
      return {
        ...(urls.length > 0 && { QueueUrls: urls }),
        ...(maxResults !== undefined && end < matching.length && { NextToken: encodeOffset(end) }),
      };
    },

    async GetQueueUrl(input) {
      const name = input.string("QueueName");
      const owner = input.optionalString("QueueOwnerAWSAccountId");
      const queue = store.queue(name);
      if (queue === undefined || (owner !== undefined && owner !== options.accountId)) {
        throw queueDoesNotExist(store, owner === undefined ? name : `${owner}/${name}`);
      }
      return { QueueUrl: queue.url };
    },

    async GetQueueAttributes(input) {
      const queue = queueFor(input);
      const requested = input.optionalStringList("AttributeNames") ?? [];
      const names = new Set<QueueAttributeName>();
      for (const name of requested) {
        if (name === "All") {
          for (const n of QUEUE_ATTRIBUTE_NAMES) names.add(n);
        } else if (isQueueAttributeName(name)) {
          names.add(name);
        } else if (!ABSENT_QUEUE_ATTRIBUTES.has(name)) {
          throw sqsError(
            "InvalidAttributeName",
            `Unknown Attribute ${name}. Ask for All or any of ${QUEUE_ATTRIBUTE_NAMES.join(", ")}.`,
          );
        }
      }
      const all = queueAttributes(queue);
      const attributes: Record<string, string> = {};
      for (const name of names) {
        const value = all[name];
        if (value !== undefined) attributes[name] = value;
      }
      return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
    },

    async ListDeadLetterSourceQueues(input) {
      const queue = queueFor(input);
      const maxResults = input.optionalInteger("MaxResults");
      if (maxResults !== undefined) checkSqsParameter("MaxResults", maxResults, AWS_LIMITS.sqsListMaxResults);
      const sources = store.queues.filter((q) => q.settings.redrive?.deadLetterTargetArn === queue.arn);
      const start = decodeOffset(input.optionalString("NextToken"), sources.length);
      const end = Math.min(sources.length, start + (maxResults ?? 1000));
      // `queueUrls` is lower camel case in the SQS model, unlike every other member.
      return {
        queueUrls: sources.slice(start, end).map((q) => q.url),
        ...(maxResults !== undefined && end < sources.length && { NextToken: encodeOffset(end) }),
      };
    },

    async SendMessage(input) {
      const queue = queueFor(input);
      assertStandardQueueParameters(input);
      const result = await queue.send({
        body: input.string("MessageBody"),
        delaySeconds: input.optionalInteger("DelaySeconds"),
        messageAttributes: optionalAttributeMap(input, "MessageAttributes"),
        messageSystemAttributes: optionalAttributeMap(input, "MessageSystemAttributes"),
        senderId: options.accountId,
      });
      return {
        MessageId: result.messageId,
        MD5OfMessageBody: result.md5OfMessageBody,
        MD5OfMessageAttributes: result.md5OfMessageAttributes,
        MD5OfMessageSystemAttributes: result.md5OfMessageSystemAttributes,
      };
    },

    async SendMessageBatch(input) {
      const queue = queueFor(input);
      const entries = batchEntries(input, "SendMessageBatchRequestEntry");
      let total = 0;
      const parsed = entries.map(({ id, entry }) => {
        const body = entry.optionalString("MessageBody") ?? "";
        const messageAttributes = optionalAttributeMap(entry, "MessageAttributes") ?? {};
        total += messageSize(body, messageAttributes);
        return { id, entry, body, messageAttributes };
      });
      if (total > MAX_MESSAGE_SIZE_BYTES) {
        throw sqsError(
          "BatchRequestTooLong",
          `Batch requests cannot be longer than ${MAX_MESSAGE_SIZE_BYTES} bytes. You have sent ${total} bytes. ` +
            "Split the batch into smaller ones.",
        );
      }
      // Sent together so that one journal fsync covers the whole batch (group commit).
      const outcomes = await Promise.all(
        parsed.map(({ id, entry, body, messageAttributes }) =>
          settle(id, async () => {
            assertStandardQueueParameters(entry);
            const result = await queue.send({
              body,
              delaySeconds: entry.optionalInteger("DelaySeconds"),
              messageAttributes,
              messageSystemAttributes: optionalAttributeMap(entry, "MessageSystemAttributes"),
              senderId: options.accountId,
            });
            return {
              Id: id,
              MessageId: result.messageId,
              MD5OfMessageBody: result.md5OfMessageBody,
              MD5OfMessageAttributes: result.md5OfMessageAttributes,
              MD5OfMessageSystemAttributes: result.md5OfMessageSystemAttributes,
            };
          }),
        ),
      );
      return batchResult(outcomes);
    },

    async ReceiveMessage(input) {
      const queue = queueFor(input);
      // Every parameter is read before receiving: a bad one must not leave messages invisible.
      const systemNames = [
        ...(input.optionalStringList("AttributeNames") ?? []),
        ...(input.optionalStringList("MessageSystemAttributeNames") ?? []),
      ];
      const attributeNames = input.optionalStringList("MessageAttributeNames") ?? [];
      const received = await queue.receive({
        maxMessages: input.optionalInteger("MaxNumberOfMessages"),
        visibilityTimeoutSeconds: input.optionalInteger("VisibilityTimeout"),
        waitTimeSeconds: input.optionalInteger("WaitTimeSeconds"),
      });
      if (received.length === 0) return {};
      return { Messages: received.map((message) => toWireMessage(message, systemNames, attributeNames)) };
    },

    async DeleteMessage(input) {
      const queue = queueFor(input);
      await queue.delete(input.string("ReceiptHandle"));
      return {};
    },

    async DeleteMessageBatch(input) {
      const queue = queueFor(input);
      const entries = batchEntries(input, "DeleteMessageBatchRequestEntry");
      const outcomes = await Promise.all(
        entries.map(({ id, entry }) =>
          settle(id, async () => {
            await queue.delete(entry.string("ReceiptHandle"));
            return { Id: id };
          }),
        ),
      );
      return batchResult(outcomes);
    },

    async ChangeMessageVisibility(input) {
      const queue = queueFor(input);
      await queue.changeVisibility(input.string("ReceiptHandle"), input.integer("VisibilityTimeout"));
      return {};
    },

    async ChangeMessageVisibilityBatch(input) {
      const queue = queueFor(input);
      const entries = batchEntries(input, "ChangeMessageVisibilityBatchRequestEntry");
      const outcomes = await Promise.all(
        entries.map(({ id, entry }) =>
          settle(id, async () => {
            await queue.changeVisibility(entry.string("ReceiptHandle"), entry.integer("VisibilityTimeout"));
            return { Id: id };
          }),
        ),
      );
      return batchResult(outcomes);
    },

    async PurgeQueue(input) {
      await queueFor(input).purge();
      return {};
    },

    async StartMessageMoveTask(input) {
      const taskHandle = store.moveTasks.start({
        sourceArn: input.string("SourceArn"),
        destinationArn: input.optionalString("DestinationArn"),
        maxNumberOfMessagesPerSecond: input.optionalInteger("MaxNumberOfMessagesPerSecond"),
      });
      return { TaskHandle: taskHandle };
    },

    async ListMessageMoveTasks(input) {
      const tasks = store.moveTasks.list(input.string("SourceArn"), input.optionalInteger("MaxResults"));
      return { Results: tasks.map(toWireMoveTask) };
    },

    async CancelMessageMoveTask(input) {
      const moved = store.moveTasks.cancel(input.string("TaskHandle"));
      return { ApproximateNumberOfMessagesMoved: moved };
    },
  };

  return jsonService(operations, {
    errors: SQS_REQUEST_ERRORS,
    unsupported,
    mapError: (error) =>
      error instanceof SqsJournalError ? sqsError("InternalError", error.message) : error,
  });
}

function unsupported(operation: string, supported: readonly string[]): AwsServiceError {
  const list = supported.join(", ");
  if (SQS_OPERATIONS.includes(operation)) {
    return sqsError(
      "UnsupportedOperation",
      `The local SQS does not support ${operation}: its queues come from the CloudFormation template, so ` +
        `change the template and restart the local pipeline instead. Supported operations: ${list}.`,
    );
  }
  return sqsError(
    "UnknownOperationException",
    `${JSON.stringify(operation)} is not an SQS operation (X-Amz-Target AmazonSQS.<operation>). ` +
      `Supported operations: ${list}.`,
  );
}

function queueDoesNotExist(store: QueueStore, what: string): AwsServiceError {
  const names = store.queues.map((queue) => queue.name).join(", ") || "none";
  return sqsError(
    "QueueDoesNotExist",
    `The specified queue does not exist: ${what}. This endpoint serves these queues: ${names}.`,
  );
}

function assertQueuesMatchEndpoint(store: QueueStore, options: SqsServiceOptions): void {
  const base = options.endpoint.replace(/\/+$/, "");
  for (const queue of store.queues) {
    const expectedUrl = `${base}/${options.accountId}/${queue.name}`;
    const expectedArn = `arn:aws:sqs:${options.region}:${options.accountId}:${queue.name}`;
    if (queue.url !== expectedUrl || queue.arn !== expectedArn) {
      throw new SqsConfigurationError(
        `Queue ${queue.name} has url ${queue.url} and arn ${queue.arn}, but this SQS endpoint serves ` +
          `${expectedUrl} and ${expectedArn}. Build queue definitions with localQueueUrl/localQueueArn from ` +
          "the same endpoint, account and region.",
      );
    }
  }
}

function assertStandardQueueParameters(input: RequestInput): void {
  if (input.raw("MessageDeduplicationId") !== undefined) {
    throw sqsError(
      "InvalidParameterValue",
      "The request includes parameter MessageDeduplicationId, which is not valid for this queue type: it " +
        "applies to FIFO queues only, and the local SQS serves standard queues. Remove it.",
    );
  }
}

function queueAttributes(queue: LocalQueue): Partial<Record<QueueAttributeName, string>> {
  const { settings } = queue;
  const counts = queue.counts();
  const created = String(Math.floor(queue.createdAt / 1000));
  return {
    ApproximateNumberOfMessages: String(counts.visible),
    ApproximateNumberOfMessagesNotVisible: String(counts.inFlight),
    ApproximateNumberOfMessagesDelayed: String(counts.delayed),
    CreatedTimestamp: created,
    LastModifiedTimestamp: created,
    DelaySeconds: String(settings.delaySeconds),
    MaximumMessageSize: String(settings.maximumMessageSize),
    MessageRetentionPeriod: String(settings.messageRetentionSeconds),
    QueueArn: settings.arn,
    ReceiveMessageWaitTimeSeconds: String(settings.receiveMessageWaitTimeSeconds),
    VisibilityTimeout: String(settings.visibilityTimeoutSeconds),
    ...(settings.redrive !== undefined && {
      RedrivePolicy: JSON.stringify({
        deadLetterTargetArn: settings.redrive.deadLetterTargetArn,
        maxReceiveCount: settings.redrive.maxReceiveCount,
      }),
    }),
    ...(settings.kmsMasterKeyId !== undefined && {
      KmsMasterKeyId: settings.kmsMasterKeyId,
      KmsDataKeyReusePeriodSeconds: String(settings.kmsDataKeyReusePeriodSeconds),
    }),
    // A queue without a customer key gets SQS-managed encryption, the default since 2022.
    SqsManagedSseEnabled: String(settings.kmsMasterKeyId === undefined),
  };
}

function isQueueAttributeName(name: string): name is QueueAttributeName {
  return (QUEUE_ATTRIBUTE_NAMES as readonly string[]).includes(name);
}

function toWireMessage(
  message: ReceivedMessage,
  systemNames: readonly string[],
  attributeNames: readonly string[],
): Record<string, unknown> {
  const attributes: Record<string, string> = {};
  const everySystemAttribute = systemNames.includes("All");
  for (const name of SYSTEM_ATTRIBUTE_NAMES) {
    const value = message.attributes[name];
    if (value !== undefined && (everySystemAttribute || systemNames.includes(name))) attributes[name] = value;
  }
  const messageAttributes = selectMessageAttributes(message.messageAttributes, attributeNames);
  const md5 = md5OfMessageAttributes(messageAttributes);
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(attributes).length > 0 && { Attributes: attributes }),
    ...(md5 !== undefined && { MessageAttributes: messageAttributes, MD5OfMessageAttributes: md5 }),
  };
}

/** `All` and `.*` select every attribute, `prefix.*` those under the prefix, anything else by name. */
function selectMessageAttributes(
  all: MessageAttributeMap,
  requested: readonly string[],
): MessageAttributeMap {
  const selected: Record<string, MessageAttributeValue> = {};
  for (const [name, value] of Object.entries(all)) {
    const wanted = requested.some(
      (pattern) =>
        pattern === "All" ||
        pattern === ".*" ||
        pattern === name ||
        (pattern.endsWith(".*") && name.startsWith(pattern.slice(0, -1))),
    );
    if (wanted) selected[name] = value;
  }
  return selected;
}

function toWireMoveTask(task: MoveTaskInfo): Record<string, unknown> {
  return {
    TaskHandle: task.taskHandle,
    Status: task.status,
    SourceArn: task.sourceArn,
    DestinationArn: task.destinationArn,
    MaxNumberOfMessagesPerSecond: task.maxNumberOfMessagesPerSecond,
    ApproximateNumberOfMessagesMoved: task.approximateNumberOfMessagesMoved,
    ApproximateNumberOfMessagesToMove: task.approximateNumberOfMessagesToMove,
    FailureReason: task.failureReason,
    StartedTimestamp: task.startedTimestamp,
  };
}

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly failed: unknown };

/** Runs one batch entry; an SQS error becomes a `Failed` entry instead of failing the batch. */
async function settle(id: string, run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    if (!(error instanceof AwsServiceError) || error.code === "InternalError") throw error;
    return {
      ok: false,
      failed: { Id: id, SenderFault: error.statusCode < 500, Code: error.code, Message: error.message },
    };
  }
}

function batchResult(outcomes: readonly Outcome[]): { Successful: unknown[]; Failed: unknown[] } {
  return {
    Successful: outcomes.flatMap((o) => (o.ok ? [o.value] : [])),
    Failed: outcomes.flatMap((o) => (o.ok ? [] : [o.failed])),
  };
}

/** The request-level checks of every batch operation, in the order SQS applies them. */
function batchEntries(input: RequestInput, entryType: string): { id: string; entry: RequestInput }[] {
  const raw = input.raw("Entries");
  if (raw === undefined || (Array.isArray(raw) && raw.length === 0)) {
    throw sqsError("EmptyBatchRequest", `There should be at least one ${entryType} in the request.`);
  }
  if (!Array.isArray(raw) || !raw.every(isObject)) {
    throw sqsError(
      "InvalidParameterValue",
      `Entries must be a list of ${entryType} objects, got ${JSON.stringify(raw)}.`,
    );
  }
  if (raw.length > MAX_BATCH_ENTRIES) {
    throw sqsError(
      "TooManyEntriesInBatchRequest",
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${raw.length}. Split the batch.`,
    );
  }
  const seen = new Set<string>();
  return raw.map((entry) => {
    const id = entry.Id;
    if (typeof id !== "string" || !BATCH_ENTRY_ID.test(id)) {
      throw sqsError(
        "InvalidBatchEntryId",
        `A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most ` +
          `80 letters long. Got ${JSON.stringify(id)}.`,
      );
    }
    if (seen.has(id)) {
      throw sqsError(
        "BatchEntryIdsNotDistinct",
        `Id ${id} repeated. Give every entry of a batch its own Id.`,
      );
    }
    seen.add(id);
    return { id, entry: new RequestInput(entry, SQS_REQUEST_ERRORS) };
  });
}

function isObject(value: unknown): value is Input {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** SQS's answers to a missing member and to one of the wrong type. */
const SQS_REQUEST_ERRORS: RequestErrors = { missing, invalid: wrongType };

function missing(name: string): AwsServiceError {
  return sqsError("MissingParameter", `The request must contain the parameter ${name}.`);
}

function wrongType(name: string, value: unknown, expected: string): AwsServiceError {
  return sqsError(
    "InvalidParameterValue",
    `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: must be ${expected}.`,
  );
}

function optionalAttributeMap(input: RequestInput, name: string): MessageAttributeMap | undefined {
  const value = input.raw(name);
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw wrongType(name, value, "a map of attribute name to value");
  const attributes: Record<string, MessageAttributeValue> = {};
  for (const [attributeName, attribute] of Object.entries(value)) {
    if (!isObject(attribute))
      throw wrongType(`${name}.${attributeName}`, attribute, "an attribute value object");
    if (attribute.StringListValues !== undefined || attribute.BinaryListValues !== undefined) {
      throw sqsError(
        "InvalidParameterValue",
        `${name}.${attributeName}: StringListValues and BinaryListValues are reserved by SQS and not implemented. ` +
          "Use StringValue or BinaryValue.",
      );
    }
    const members = new RequestInput(attribute, SQS_REQUEST_ERRORS, `${name}.${attributeName}.`);
    attributes[attributeName] = {
      DataType: members.optionalString("DataType") ?? "",
      StringValue: members.optionalString("StringValue"),
      BinaryValue: members.optionalString("BinaryValue"),
    };
  }
  return attributes;
}

function encodeOffset(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), "utf8").toString("base64");
}

function decodeOffset(token: string | undefined, length: number): number {
  if (token === undefined) return 0;
  try {
    const { offset } = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { offset?: unknown };
    if (typeof offset === "number" && Number.isInteger(offset) && offset >= 0 && offset <= length)
      return offset;
  } catch {
    // Falls through to the error below: a token that is not ours is invalid however it fails.
  }
  throw sqsError(
    "InvalidParameterValue",
    `Invalid NextToken value ${JSON.stringify(token)}. Pass the NextToken of the previous response unchanged.`,
  );
}
