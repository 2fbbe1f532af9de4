import type { DynamoDBStreamsClient, _Record as StreamRecord } from "@aws-sdk/client-dynamodb-streams";
import type { EventBridgeClient, PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import type { PipesClient } from "@aws-sdk/client-pipes";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { AWS_LIMITS } from "../aws-limits";
import { eventOfOutboxImage, OutboxRecordError } from "../producer/outbox-item";
import type { OutboxOutput } from "../stack-outputs";
import { queueDepth } from "./queue-depth";

/** The outbox at a glance. */
export interface OutboxStatus {
  readonly tableName: string;
  readonly pipeName: string;
  /** DescribePipe's `CurrentState` (RUNNING, STOPPED, ...); MISSING when the pipe does not exist. */
  readonly pipeState: string;
  /** DescribePipe's `StateReason`, when it gives one. */
  readonly stateReason?: string;
  /**
   * Stream records the pipe has yet to deliver. Known for the local pipeline only: neither Pipes
   * nor DynamoDB Streams publish a stream's backlog in AWS (watch the pipe's alarms there).
   */
  readonly backlog?: number;
  /** Batches the pipe gave up on, waiting in its dead-letter queue. */
  readonly deadLetterDepth: number;
}

/** What the local pipeline's `GET /health` says of a pipe. */
export interface LocalPipeHealth {
  readonly name: string;
  readonly backlog: number;
}

/** The outbox's pipe state and DLQ depth (and, locally, its backlog). */
export async function getOutboxStatus(
  clients: { readonly pipes: PipesClient; readonly sqs: SQSClient },
  outbox: OutboxOutput,
  localPipes?: readonly LocalPipeHealth[],
): Promise<OutboxStatus> {
  const { DescribePipeCommand } = await import("@aws-sdk/client-pipes");
  const [pipe, dlq] = await Promise.all([
    clients.pipes.send(new DescribePipeCommand({ Name: outbox.pipeName })).then(
      (answer) => ({ state: answer.CurrentState ?? "UNKNOWN", reason: answer.StateReason }),
      (error: unknown) => {
        if (error instanceof Error && error.name === "NotFoundException")
          return { state: "MISSING", reason: undefined };
        throw error;
      },
    ),
    queueDepth(clients.sqs, outbox.deadLetterQueueUrl),
  ]);
  const backlog = localPipes?.find((p) => p.name === outbox.pipeName)?.backlog;
  return {
    tableName: outbox.tableName,
    pipeName: outbox.pipeName,
    pipeState: pipe.state,
    ...(pipe.reason ? { stateReason: pipe.reason } : {}),
    ...(backlog === undefined ? {} : { backlog }),
    deadLetterDepth: dlq.depth,
  };
}

/** The stream position a pipe's dead-letter message names (its `DDBStreamBatchInfo`). */
export interface StreamBatchInfo {
  readonly streamArn: string;
  readonly shardId: string;
  readonly startSequenceNumber: string;
  readonly endSequenceNumber: string;
  readonly batchSize: number;
}

/** Raised when a pipe's dead-letter message cannot be redriven; the message stays in the DLQ. */
export class OutboxRedriveError extends Error {
  public override readonly name = "OutboxRedriveError";
}

/**
 * Reads the batch position out of a pipe's dead-letter message.
 *
 * @throws OutboxRedriveError when the body is not a pipe's dead-letter message for a stream source
 */
export function streamBatchInfoOf(body: string | undefined): StreamBatchInfo {
  let info: Partial<StreamBatchInfo> | undefined;
  try {
    info = (JSON.parse(body ?? "") as { DDBStreamBatchInfo?: Partial<StreamBatchInfo> }).DDBStreamBatchInfo;
  } catch {
    // Answered below.
  }
  if (
    info === undefined ||
    typeof info.streamArn !== "string" ||
    typeof info.shardId !== "string" ||
    typeof info.startSequenceNumber !== "string" ||
    typeof info.endSequenceNumber !== "string"
  ) {
    throw new OutboxRedriveError(
      "The message is not a pipe's dead-letter record of a DynamoDB stream batch (no DDBStreamBatchInfo with streamArn, shardId and sequence numbers); move it aside by hand",
    );
  }
  return { batchSize: 0, ...info } as StreamBatchInfo;
}

/**
 * Puts the events of a dead-lettered batch on the bus again: reads the batch's records back from
 * the table's stream (DynamoDB keeps them 24 hours), takes the new outbox items (`INSERT`) as the
 * pipe's relay does, and sends them with PutEvents. Resolves once every event was accepted;
 * consumers skip the ones already delivered by their eventId.
 *
 * @throws OutboxRedriveError when the records are gone from the stream, an item is not an outbox
 * item, or the bus refuses an event (with its error)
 */
export async function republishStreamBatch(
  clients: { readonly streams: DynamoDBStreamsClient; readonly eventBridge: EventBridgeClient },
  info: StreamBatchInfo,
  eventBusName: string,
): Promise<number> {
  const records = await readStreamRange(clients.streams, info);
  const entries: PutEventsRequestEntry[] = [];
  for (const record of records) {
    if (record.eventName !== "INSERT") continue;
    try {
      const event = eventOfOutboxImage(record.dynamodb?.NewImage as Record<string, unknown> | undefined);
      entries.push({
        EventBusName: eventBusName,
        Source: event.source,
        DetailType: event.detailType,
        Detail: JSON.stringify(event.detail),
        Time: new Date(event.time),
        ...(event.resources.length === 0 ? {} : { Resources: [...event.resources] }),
      });
    } catch (error) {
      if (error instanceof OutboxRecordError) {
        throw new OutboxRedriveError(
          `${error.message}; fix or delete the item, then delete this DLQ message by hand`,
        );
      }
      throw error;
    }
  }
  const { PutEventsCommand } = await import("@aws-sdk/client-eventbridge");
  for (let start = 0; start < entries.length; start += AWS_LIMITS.eventBridgePutEventsEntries.max) {
    const chunk = entries.slice(start, start + AWS_LIMITS.eventBridgePutEventsEntries.max);
    const answer = await clients.eventBridge.send(new PutEventsCommand({ Entries: chunk }));
    const failed = answer.Entries?.find((entry) => entry.ErrorCode !== undefined);
    if ((answer.FailedEntryCount ?? 0) > 0) {
      throw new OutboxRedriveError(
        `The bus refused ${answer.FailedEntryCount} of ${chunk.length} event(s): ${failed?.ErrorCode}: ${failed?.ErrorMessage}`,
      );
    }
  }
  return entries.length;
}

const MAX_EMPTY_PAGES = 5;

/** The records of a shard from `startSequenceNumber` through `endSequenceNumber`. */
async function readStreamRange(
  streams: DynamoDBStreamsClient,
  info: StreamBatchInfo,
): Promise<StreamRecord[]> {
  const { GetRecordsCommand, GetShardIteratorCommand } = await import("@aws-sdk/client-dynamodb-streams");
  let iterator: string | undefined;
  try {
    iterator = (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: info.streamArn,
          ShardId: info.shardId,
          ShardIteratorType: "AT_SEQUENCE_NUMBER",
          SequenceNumber: info.startSequenceNumber,
        }),
      )
    ).ShardIterator;
  } catch (error) {
    if (error instanceof Error && /Trimmed|ResourceNotFound/.test(error.name)) {
      throw new OutboxRedriveError(
        `The batch's records (${info.startSequenceNumber} to ${info.endSequenceNumber}) are no longer in the stream, which keeps 24 hours; the outbox items stay in their table until their TTL: publish them from there`,
      );
    }
    throw error;
  }
  const end = BigInt(info.endSequenceNumber);
  const records: StreamRecord[] = [];
  // DynamoDB Streams may answer empty pages before a shard's next records: a few in a row end it.
  let emptyPages = 0;
  while (iterator !== undefined && emptyPages < MAX_EMPTY_PAGES) {
    const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
    for (const record of page.Records ?? []) {
      if (BigInt(record.dynamodb?.SequenceNumber ?? "0") > end) return records;
      records.push(record);
    }
    emptyPages = (page.Records ?? []).length === 0 ? emptyPages + 1 : 0;
    iterator = page.NextShardIterator;
  }
  return records;
}
