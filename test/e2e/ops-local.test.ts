import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ExitCode, runCli } from "../../lib/cli";
import type { LocalPipeline } from "../../lib/local/local-pipeline";
import type { DeadLetterQueueSummary, PeekedMessage, RedriveResult } from "../../lib/ops/dlq";
import type { ReplayDryRun, ReplayStatus, StartedReplay } from "../../lib/ops/replay";
import type { PipelineStatus } from "../../lib/ops/status";
import { toPutEventsEntry } from "../../lib/producer";
import { type SubscriptionOutput, stackOutputs } from "../../lib/stack-outputs";
import { fakeIo } from "../cli/fake-io";
import { type ExamplePipeline, orderData, startExamplePipeline } from "./support/example-pipeline";

/**
 * The operations commands (status, dlq, replay) run through the CLI against the local pipeline
 * running the example app's synthesized assembly: the real consumers, queues, archive and audit
 * files. Events go in through the AWS SDK, as a producer's would.
 */

const TIME_SCALE = 100;

let pipeline: LocalPipeline;
let target: string[];
let functionLogs: string[];
let subscription: ExamplePipeline["subscription"];
let clients: ExamplePipeline["clients"];

/** Runs `eventrail <args>` on the local pipeline; resolves with the exit code and what it printed. */
async function eventrail(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo();
  const code = await runCli([...args, ...target], io);
  return { code, out: io.out(), err: io.err() };
}

/** `eventrail <args> --json`, parsed; fails the test on a non-zero exit. */
async function eventrailJson<T>(...args: string[]): Promise<T> {
  const { code, out, err } = await eventrail(...args, "--json");
  expect(err).toBe("");
  expect(code).toBe(ExitCode.ok);
  return JSON.parse(out) as T;
}

async function dlqDepth(name: string): Promise<number> {
  const { deadLetterQueues } = await eventrailJson<{ deadLetterQueues: DeadLetterQueueSummary[] }>(
    "dlq",
    "list",
    "--no-age",
  );
  return deadLetterQueues.find((q) => q.name === name)?.depth ?? -1;
}

beforeAll(async () => {
  const example = await startExamplePipeline(TIME_SCALE);
  ({ pipeline, functionLogs, clients } = example);
  subscription = (name) => example.subscription(name);
  target = [
    "--local",
    "--endpoint",
    pipeline.endpoint,
    "--cdk-out",
    example.cdkOutDir,
    "--state-dir",
    example.stateDir,
  ];
});

afterAll(async () => {
  await pipeline?.stop();
});

describe("eventrail status, dlq and replay on the local pipeline", () => {
  it("shows the stack read from the local assembly: bus, archive and every subscription", async () => {
    // Prepare: the subscriptions the stack declares, as its outputs list them.
    const declared = (
      JSON.parse(pipeline.model.outputs[stackOutputs.subscriptions] ?? "[]") as SubscriptionOutput[]
    ).map((s) => s.name);

    // Act
    const status = await eventrailJson<PipelineStatus>("status");

    // Assess
    expect(declared.length).toBeGreaterThan(0);
    expect(status.bus.name).toBe("eventrail");
    expect(status.archive.state).toBe("ENABLED");
    expect(status.subscriptions.map((s) => [s.name, s.ruleState])).toEqual(
      declared.map((name) => [name, "ENABLED"]),
    );
  });

  it("peeks at a poisoned event in the inventory DLQ, redrives it to the source queue, where it fails again", async () => {
    // Prepare: an OrderPlaced whose data breaks the catalog schema, published raw past the publisher.
    const entry = toPutEventsEntry(
      { detailType: "OrderPlaced", data: orderData("ORD-OPS-POISON") },
      { eventBusName: "eventrail", producer: "ops-e2e" },
    );
    const detail = JSON.parse(entry.Detail as string);
    detail.data.items = "not a list";
    const eventId = detail.metadata.eventId as string;
    await clients.eventBridge.send(
      new PutEventsCommand({ Entries: [{ ...entry, Detail: JSON.stringify(detail) }] }),
    );
    await vi.waitFor(async () => expect(await dlqDepth("inventory")).toBe(1), {
      timeout: 40_000,
      interval: 250,
    });

    // Act
    const peeked = await eventrailJson<{ messages: PeekedMessage[] }>("dlq", "peek", "inventory");
    const status = await eventrailJson<PipelineStatus>("status");
    const redriven = await eventrailJson<RedriveResult>("dlq", "redrive", "inventory");
    const depthAfterRedrive = await dlqDepth("inventory");

    // Assess
    expect(peeked.messages).toHaveLength(1);
    expect(peeked.messages[0]).toMatchObject({ eventId, detailType: "OrderPlaced" });
    expect(peeked.messages[0]?.receiveCount).toBeGreaterThanOrEqual(5);
    expect(peeked.messages[0]?.eventBridgeId).toMatch(/^[0-9a-f-]{36}$/);
    expect(status.subscriptions.find((s) => s.name === "inventory")?.deadLetterDepth).toBe(1);
    expect(redriven).toMatchObject({ method: "move-task", moved: 1, task: { status: "COMPLETED" } });
    expect(depthAfterRedrive).toBe(0);
    // Still poisoned: the consumer rejects it maxReceiveCount times more, and the queue dead-letters it again.
    await vi.waitFor(async () => expect(await dlqDepth("inventory")).toBe(1), {
      timeout: 40_000,
      interval: 250,
    });
    const again = await eventrailJson<{ messages: PeekedMessage[] }>("dlq", "peek", "inventory");
    expect(again.messages[0]?.eventId).toBe(eventId);
  });

  it("redrives a rule-target DLQ's event to the subscription's queue, where the consumer processes it", async () => {
    // Prepare: the event EventBridge could not deliver, as it writes it to the rule's target DLQ.
    const entry = toPutEventsEntry(
      { detailType: "OrderPlaced", data: orderData("ORD-OPS-TARGET", "ABC", 1) },
      { eventBusName: "eventrail", producer: "ops-e2e" },
    );
    const event = {
      version: "0",
      id: "7f8c1a52-0000-4000-8000-000000000001",
      "detail-type": entry.DetailType,
      source: entry.Source,
      account: pipeline.model.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
      region: pipeline.model.region,
      resources: [],
      detail: JSON.parse(entry.Detail as string),
    };
    const attribute = (value: string) => ({ DataType: "String", StringValue: value });
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: subscription("inventory").targetDeadLetterQueueUrl,
        MessageBody: JSON.stringify(event),
        MessageAttributes: {
          ERROR_CODE: attribute("SQS_ERROR"),
          ERROR_MESSAGE: attribute("KMS.DisabledException: the key is disabled"),
          RULE_ARN: attribute(pipeline.model.rules[0]?.arn ?? ""),
          TARGET_ARN: attribute(subscription("inventory").queueArn),
          RETRY_ATTEMPTS: attribute("185"),
          EXHAUSTED_RETRY_CONDITION: attribute("MaximumRetryAttempts"),
        },
      }),
    );

    // Act
    const peek = await eventrail("dlq", "peek", "inventory/target");
    const redriven = await eventrailJson<RedriveResult>("dlq", "redrive", "inventory/target");

    // Assess
    expect(peek.code).toBe(ExitCode.ok);
    expect(peek.out).toContain(`eventId ${event.detail.metadata.eventId}  EventBridge id ${event.id}`);
    expect(peek.out).toContain(
      "SQS_ERROR after 185 retries (MaximumRetryAttempts): KMS.DisabledException: the key is disabled",
    );
    expect(redriven).toMatchObject({ method: "copy", moved: 1, failed: [] });
    expect(await dlqDepth("inventory/target")).toBe(0);
    const inventoryTable = subscription("inventory").stateTableName as string;
    await vi.waitFor(
      async () => {
        const reservation = await clients.dynamoDb.send(
          new GetItemCommand({
            TableName: inventoryTable,
            Key: { pk: { S: "ORDER#ORD-OPS-TARGET" }, sk: { S: "RESERVATION" } },
            ConsistentRead: true,
          }),
        );
        expect(reservation.Item).toBeDefined();
      },
      { timeout: 20_000, interval: 200 },
    );
  });

  it("counts a window's events from the audit files in a dry run: every archived event", async () => {
    // Act: follow-up events may still be on their way; the count catches up with the archive.
    let dryRun: ReplayDryRun | undefined;
    let archived: number | undefined;
    await vi.waitFor(
      async () => {
        await pipeline.flushAudit();
        archived = (await eventrailJson<PipelineStatus>("status")).archive.eventCount;
        dryRun = await eventrailJson<ReplayDryRun>(
          "replay",
          "--from",
          "1h",
          "--to",
          "now",
          "--force",
          "--dry-run",
        );
        expect(dryRun.events).toBe(archived);
        // The poisoned OrderPlaced and the redriven order's InventoryReserved, which its outbox pipe
        // puts on the bus a moment after the reservation is committed.
        expect(archived).toBeGreaterThanOrEqual(2);
      },
      { timeout: 20_000, interval: 250 },
    );

    // Assess
    expect(dryRun?.countedWith).toMatch(/^local audit files under /);
  });

  it("replays a window to one subscription only, watching it to the end", async () => {
    // Prepare
    const logsBefore = functionLogs.length;

    // Act
    const replay = await eventrailJson<{ replay: StartedReplay; final: ReplayStatus }>(
      "replay",
      "--from",
      "1h",
      "--to",
      "now",
      "--force",
      "--subscription",
      "analytics",
      "--name",
      "ops-e2e-analytics",
    );
    const listed = await eventrailJson<{ replays: ReplayStatus[] }>("replay", "list");

    // Assess
    expect(replay.final.state).toBe("COMPLETED");
    expect(replay.replay.filterArns).toHaveLength(1);
    expect(listed.replays.map((r) => [r.name, r.state])).toContainEqual(["ops-e2e-analytics", "COMPLETED"]);
    await vi.waitFor(
      () =>
        expect(functionLogs.slice(logsBefore).some((l) => l.includes("Processing an event replayed"))).toBe(
          true,
        ),
      { timeout: 20_000, interval: 100 },
    );
    const replayedBy = functionLogs
      .slice(logsBefore)
      .filter((l) => l.includes("Processing an event replayed"));
    expect(replayedBy.every((l) => l.includes("analytics"))).toBe(true);
  });

  it("refuses to cancel a replay that has ended, in one line with exit code 1", async () => {
    const { code, err } = await eventrail("replay", "cancel", "ops-e2e-analytics");
    expect(code).toBe(ExitCode.failure);
    expect(err).toMatch(
      /^eventrail replay: error: Replay "ops-e2e-analytics" cannot be cancelled: it is no longer running/,
    );
  });

  it("says how to start the local pipeline when nothing answers on the endpoint", async () => {
    // Prepare
    // (An empty runtime folder: a pipeline running elsewhere on the machine would be named too.)
    const io = fakeIo({
      env: { EVENTRAIL_RUNTIME_DIR: mkdtempSync(path.join(tmpdir(), "eventrail-runtime-")) },
    });
    const cdkOut = target[target.indexOf("--cdk-out") + 1] as string;

    // Act
    const code = await runCli(
      ["status", "--local", "--endpoint", "http://127.0.0.1:9", "--cdk-out", cdkOut],
      io,
    );

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(io.err()).toBe(
      'eventrail status: error: Nothing answers on http://127.0.0.1:9: start the local pipeline with "npx eventrail local", or pass --endpoint URL where it runs.\n',
    );
  });
});
