import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { systemClock } from "../../../lib/local/clock";
import { TableStreams } from "../../../lib/local/dynamodb/table-streams";
import type { PutEventsRequestEntry } from "../../../lib/local/events/bus-event";
import type { InvocationResult } from "../../../lib/local/lambda/function-runner";
import type { LocalPipeDefinition } from "../../../lib/local/model";
import { StreamPipe, type StreamPipeProps } from "../../../lib/local/pipes/stream-pipe";
import { eventOfOutboxImage, OUTBOX_PIPE_FILTER_PATTERN } from "../../../lib/producer/outbox-item";

/**
 * The local EventBridge pipe from a DynamoDB stream to a bus: filter, enrichment, target
 * parameters and input template, order, retries with bisection, and the dead-letter queue.
 */

const STREAM_ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/outbox/stream/1970-01-01T00:00:00.000";
const DLQ_ARN = "arn:aws:sqs:us-east-1:000000000000:outbox-pipe-dlq";

const definition: LocalPipeDefinition = {
  logicalId: "OutboxPipe",
  name: "outbox-pipe",
  arn: "arn:aws:pipes:us-east-1:000000000000:pipe/outbox-pipe",
  sourceArn: STREAM_ARN,
  desiredState: "RUNNING",
  source: {
    startingPosition: "TRIM_HORIZON",
    batchSize: 10,
    maximumBatchingWindowSeconds: 0,
    maximumRetryAttempts: 2,
    maximumRecordAgeSeconds: -1,
    bisectOnError: true,
    deadLetterArn: DLQ_ARN,
  },
  filterPatterns: [OUTBOX_PIPE_FILTER_PATTERN],
  enrichmentArn: "arn:aws:lambda:us-east-1:000000000000:function:relay",
  targetArn: "arn:aws:events:us-east-1:000000000000:event-bus/eventrail",
  target: { source: "$.source", detailType: "$.detailType", time: "$.time", inputTemplate: "<$.detail>" },
};

/** The relay function's work, in process: what lambdas/outbox-relay does. */
async function relay(batch: readonly unknown[]): Promise<InvocationResult> {
  try {
    const result = batch.map((record) =>
      eventOfOutboxImage((record as { dynamodb: { NewImage: Record<string, unknown> } }).dynamodb.NewImage),
    );
    return { ok: true, result, requestId: "r", durationMs: 1 };
  } catch (error) {
    return {
      ok: false,
      errorType: "OutboxRecordError",
      errorMessage: String(error),
      trace: [],
      requestId: "r",
      durationMs: 1,
    };
  }
}

function outboxImage(id: string, detailType = "OrderPlaced"): Record<string, unknown> {
  return {
    pk: { S: `EVENT#${id}` },
    source: { S: "eventrail.orders" },
    detailType: { S: detailType },
    time: { S: "2026-12-05T10:00:00.000Z" },
    detail: { S: JSON.stringify({ metadata: { eventId: id }, data: { n: id } }) },
  };
}

let pipe: StreamPipe | undefined;
afterEach(async () => {
  await pipe?.close();
  pipe = undefined;
});

function setUp(overrides: Partial<StreamPipeProps> = {}) {
  const streams = new TableStreams(
    [{ tableName: "outbox", streamArn: STREAM_ARN, streamLabel: "l", viewType: "NEW_IMAGE", keySchema: [] }],
    systemClock,
    "us-east-1",
  );
  const put: PutEventsRequestEntry[] = [];
  const deadLetters: string[] = [];
  const props: StreamPipeProps = {
    definition,
    streams,
    enrich: relay,
    putEvents: async (entries) => {
      put.push(...entries);
      return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e${i}` })) };
    },
    sendToDeadLetter: async (_arn, body) => {
      deadLetters.push(body);
    },
    clock: systemClock,
    timeScale: 1000,
    ...overrides,
  };
  const insert = (...ids: string[]) =>
    streams.add(
      streams.recordsOf(
        ids.map((id) => ({ table: "outbox", key: { pk: { S: id } }, newItem: outboxImage(id) })),
      ),
    );
  return { streams, props, put, deadLetters, insert };
}

describe("a local pipe from a DynamoDB stream to a bus", () => {
  it("puts each new item's event on the bus, in commit order, with the detail as a JSON object", async () => {
    const { props, put, insert, streams } = setUp();
    pipe = await StreamPipe.open(props);
    insert("1", "2", "3");
    // A change of an item is no new event: the filter keeps INSERTs only.
    streams.add(
      streams.recordsOf([
        {
          table: "outbox",
          key: { pk: { S: "1" } },
          oldItem: outboxImage("1"),
          newItem: outboxImage("1", "X"),
        },
      ]),
    );
    insert("4");
    await vi.waitFor(() => expect(put).toHaveLength(4));
    expect(put.map((entry) => JSON.parse(entry.Detail ?? "{}").data.n)).toEqual(["1", "2", "3", "4"]);
    expect(put[0]).toMatchObject({
      Source: "eventrail.orders",
      DetailType: "OrderPlaced",
      EventBusName: definition.targetArn,
      Time: Date.parse("2026-12-05T10:00:00.000Z") / 1000,
    });
    await vi.waitFor(() => expect(pipe?.status().backlog).toBe(0));
  });

  it("retries a target that keeps failing, then sends the batch's position to the dead-letter queue", async () => {
    let calls = 0;
    const { props, deadLetters, insert } = setUp({
      putEvents: async (entries) => {
        calls++;
        return {
          FailedEntryCount: entries.length,
          Entries: entries.map(() => ({ ErrorCode: "InternalFailure", ErrorMessage: "the bus is down" })),
        };
      },
    });
    pipe = await StreamPipe.open(props);
    insert("1");
    await vi.waitFor(() => expect(deadLetters).toHaveLength(1));
    // The first attempt and MaximumRetryAttempts (2) retries.
    expect(calls).toBe(3);
    const body = JSON.parse(deadLetters[0] ?? "{}");
    expect(body.requestContext).toMatchObject({
      condition: "RetryAttemptsExhausted",
      approximateInvokeCount: 3,
    });
    expect(body.responseContext).toMatchObject({ failureStage: "TargetStageFailed" });
    expect(body.DDBStreamBatchInfo).toMatchObject({ batchSize: 1, streamArn: STREAM_ARN });
    expect(pipe.status()).toMatchObject({ backlog: 0, deadLettered: 1 });
  });

  it("bisects a batch around a bad item: the others are delivered, the bad one alone is dead-lettered", async () => {
    const { props, put, deadLetters, streams } = setUp();
    const bad = { ...outboxImage("bad"), detail: { S: "not json" } };
    streams.add(
      streams.recordsOf([
        { table: "outbox", key: { pk: { S: "1" } }, newItem: outboxImage("1") },
        { table: "outbox", key: { pk: { S: "bad" } }, newItem: bad },
        { table: "outbox", key: { pk: { S: "3" } }, newItem: outboxImage("3") },
        { table: "outbox", key: { pk: { S: "4" } }, newItem: outboxImage("4") },
      ]),
    );
    pipe = await StreamPipe.open(props);
    await vi.waitFor(() => expect(deadLetters).toHaveLength(1));
    await vi.waitFor(() => expect(pipe?.status().backlog).toBe(0));
    expect(new Set(put.map((entry) => JSON.parse(entry.Detail ?? "{}").data.n))).toEqual(
      new Set(["1", "3", "4"]),
    );
    const body = JSON.parse(deadLetters[0] ?? "{}");
    expect(body.responseContext).toMatchObject({ failureStage: "EnrichmentStageFailed" });
    expect(body.DDBStreamBatchInfo.batchSize).toBe(1);
  });

  it("keeps its position and a stop across a restart", async () => {
    const stateFile = path.join(await mkdtemp(path.join(tmpdir(), "eventrail-pipe-")), "pipe.json");
    const { props, put, insert } = setUp({ stateFile });
    pipe = await StreamPipe.open(props);
    insert("1");
    await vi.waitFor(() => expect(put).toHaveLength(1));
    await pipe.stop();
    insert("2");
    await pipe.close();
    pipe = await StreamPipe.open(props);
    expect(pipe.status()).toMatchObject({ currentState: "STOPPED", backlog: 1 });
    await pipe.start();
    await vi.waitFor(() => expect(put).toHaveLength(2));
    expect(JSON.parse(put[1]?.Detail ?? "{}").data.n).toBe("2");
  });
});
