import {
  CreateArchiveCommand,
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { CreateBucketCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeDeliveredObject } from "../../lib/audit/firehose-layout";
import {
  DeadLetterQueueError,
  findDeadLetterQueue,
  peekDeadLetterQueue,
  redriveDeadLetterQueue,
} from "../../lib/ops/dlq";
import { queueDepth } from "../../lib/ops/queue-depth";
import { listArchiveReplays, startArchiveReplay, waitForReplay } from "../../lib/ops/replay";
import type { StackResources } from "../../lib/ops/stack-resources";
import { getPipelineStatus, s3AuditObjectFinder } from "../../lib/ops/status";
import type { SubscriptionOutput } from "../../lib/stack-outputs";
import { type MotoServer, motoUnavailableReason, startMoto } from "../support/moto";

/**
 * The operations, unchanged, against moto_server: a stack's resources created by hand (moto cannot
 * deploy the CDK stack), described by the same StackResources the outputs give. What moto 5.2.1
 * does not implement, or implements unlike AWS:
 * - SQS StartMessageMoveTask / ListMessageMoveTasks: not implemented (an HTML error page); asserted
 *   below, so a moto that adds them shows up.
 * - StartReplay replays every archived event to every rule, ignoring the window and
 *   Destination.FilterArns, and completes before answering; DescribeReplay has no
 *   EventLastReplayedTime; CancelReplay of a COMPLETED replay succeeds. So here the replay is
 *   checked for what the operations send and read, and its delivery scope on the local pipeline.
 */

const motoMissing = motoUnavailableReason();

describe.skipIf(motoMissing !== undefined)("the operations against moto_server", () => {
  let moto: MotoServer;
  let clients: { eventBridge: EventBridgeClient; sqs: SQSClient; s3: S3Client };
  let resources: StackResources;

  async function createQueue(
    name: string,
    attributes?: Record<string, string>,
  ): Promise<{ url: string; arn: string }> {
    const url =
      (await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
        .QueueUrl ?? "";
    const answer = await clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["QueueArn"] }),
    );
    return { url, arn: answer.Attributes?.QueueArn ?? "" };
  }

  async function createSubscription(name: string): Promise<SubscriptionOutput> {
    const dlq = await createQueue(`${name}-dlq`);
    const targetDlq = await createQueue(`${name}-target-dlq`);
    const queue = await createQueue(`${name}-queue`, {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 1 }),
    });
    const ruleName = `${name}-rule`;
    await clients.eventBridge.send(
      new PutRuleCommand({
        Name: ruleName,
        EventBusName: "eventrail",
        EventPattern: JSON.stringify({ source: ["eventrail.orders"] }),
      }),
    );
    await clients.eventBridge.send(
      new PutTargetsCommand({
        Rule: ruleName,
        EventBusName: "eventrail",
        Targets: [{ Id: "queue", Arn: queue.arn, DeadLetterConfig: { Arn: targetDlq.arn } }],
      }),
    );
    return {
      name,
      ruleName: `eventrail|${ruleName}`,
      queueUrl: queue.url,
      queueArn: queue.arn,
      deadLetterQueueUrl: dlq.url,
      deadLetterQueueArn: dlq.arn,
      targetDeadLetterQueueUrl: targetDlq.url,
      targetDeadLetterQueueArn: targetDlq.arn,
      functionName: `${name}-consumer`,
    };
  }

  beforeAll(async () => {
    const started = await startMoto();
    if (started === undefined) throw new Error(`moto_server unavailable: ${motoMissing}`);
    moto = started;
    clients = {
      eventBridge: new EventBridgeClient(moto.clientConfig),
      sqs: new SQSClient(moto.clientConfig),
      s3: new S3Client({ ...moto.clientConfig, forcePathStyle: true }),
    };
    const bus = await clients.eventBridge.send(new CreateEventBusCommand({ Name: "eventrail" }));
    const busArn = bus.EventBusArn ?? "";
    const archive = await clients.eventBridge.send(
      new CreateArchiveCommand({ ArchiveName: "eventrail-all", EventSourceArn: busArn }),
    );
    const auditDlq = await createQueue("audit-target-dlq");
    await clients.s3.send(new CreateBucketCommand({ Bucket: "eventrail-audit" }));
    resources = {
      stackName: "Eventrail",
      eventBusName: "eventrail",
      eventBusArn: busArn,
      archiveName: "eventrail-all",
      archiveArn: archive.ArchiveArn ?? "",
      auditBucketName: "eventrail-audit",
      auditEventsPrefix: "events/",
      auditDeadLetterQueueUrl: auditDlq.url,
      athenaWorkGroup: "eventrail-audit",
      athenaDatabase: "eventrail_audit",
      subscriptions: [await createSubscription("inventory"), await createSubscription("analytics")],
    };
    await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [
          { EventBusName: "eventrail", Source: "eventrail.orders", DetailType: "OrderPlaced", Detail: "{}" },
        ],
      }),
    );
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it("gives the status: archive counts, rule states, queue depths and the newest audit object", async () => {
    // Prepare
    const now = new Date();
    const key = `events/dt=${now.toISOString().slice(0, 10)}/Eventrail-Audit-1.gz`;
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: "eventrail-audit",
        Key: key,
        Body: encodeDeliveredObject([{ id: "1" }]),
      }),
    );

    // Act
    const status = await getPipelineStatus(
      clients,
      resources,
      s3AuditObjectFinder({ s3: clients.s3, bucketName: "eventrail-audit", eventsPrefix: "events/" }),
      now,
    );

    // Assess
    expect(status.archive).toMatchObject({ state: "ENABLED", eventCount: 1 });
    expect(status.subscriptions.map((s) => [s.name, s.ruleState, s.queueDepth])).toEqual([
      ["inventory", "ENABLED", 1],
      ["analytics", "ENABLED", 1],
    ]);
    expect(status.audit.newestObject?.key).toBe(key);
  });

  it("starts a replay limited to one subscription, waits for it and lists it", async () => {
    // Act
    const started = await startArchiveReplay(clients.eventBridge, resources, {
      window: { start: new Date(Date.now() - 3_600_000), end: new Date() },
      subscriptions: ["inventory"],
      name: "moto-replay",
      force: true,
    });
    const final = await waitForReplay(clients.eventBridge, started.name, { pollIntervalMs: 10 });
    const listed = await listArchiveReplays(clients.eventBridge, resources);

    // Assess
    expect(started.filterArns).toEqual([expect.stringMatching(/:rule\/eventrail\/inventory-rule$/)]);
    expect(final).toMatchObject({ state: "COMPLETED", filterArns: started.filterArns });
    expect(listed.map((r) => [r.name, r.state])).toEqual([["moto-replay", "COMPLETED"]]);
  });

  it("peeks at a rule-target DLQ and redrives it to the subscription's queue by confirmed copy", async () => {
    // Prepare
    const ref = findDeadLetterQueue(resources, "analytics/target");
    const body = JSON.stringify({
      id: "eb-1",
      "detail-type": "OrderPlaced",
      detail: { metadata: { eventId: "e-1" } },
    });
    await clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: ref.queueUrl,
        MessageBody: body,
        MessageAttributes: { ERROR_CODE: { DataType: "String", StringValue: "SQS_ERROR" } },
      }),
    );
    const before = await queueDepth(clients.sqs, resources.subscriptions[1]?.queueUrl ?? "");

    // Act
    const peeked = await peekDeadLetterQueue(clients.sqs, ref);
    const result = await redriveDeadLetterQueue({ sqs: clients.sqs }, ref);

    // Assess
    expect(peeked).toMatchObject([
      { eventId: "e-1", eventBridgeId: "eb-1", failure: { errorCode: "SQS_ERROR" } },
    ]);
    expect(result).toMatchObject({ method: "copy", moved: 1, failed: [] });
    expect((await queueDepth(clients.sqs, ref.queueUrl)).depth).toBe(0);
    expect((await queueDepth(clients.sqs, resources.subscriptions[1]?.queueUrl ?? "")).depth).toBe(
      before.depth + 1,
    );
  });

  it("cannot redrive a queue DLQ with a move task (moto lacks StartMessageMoveTask), and copies it back with max", async () => {
    // Prepare: a message received more than maxReceiveCount (1) times moves to the queue DLQ.
    const inventory = resources.subscriptions[0] as SubscriptionOutput;
    const ref = findDeadLetterQueue(resources, "inventory");
    for (let i = 0; i < 3; i++) {
      await clients.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: inventory.queueUrl,
          VisibilityTimeout: 0,
          MaxNumberOfMessages: 10,
        }),
      );
    }
    const dead = (await queueDepth(clients.sqs, ref.queueUrl)).depth;

    // Act
    const withTask = redriveDeadLetterQueue({ sqs: clients.sqs }, ref, { pollIntervalMs: 10 });
    await expect(withTask).rejects.toThrow(DeadLetterQueueError);
    const copied = await redriveDeadLetterQueue({ sqs: clients.sqs }, ref, { max: dead });

    // Assess
    expect(dead).toBeGreaterThan(0);
    await expect(withTask).rejects.toThrow(
      /^SQS refused to start a message move task from inventory \([^\n]*\); if a task/,
    );
    expect(copied).toMatchObject({ method: "copy", moved: dead, failed: [] });
    expect((await queueDepth(clients.sqs, ref.queueUrl)).depth).toBe(0);
    expect((await queueDepth(clients.sqs, inventory.queueUrl)).depth).toBe(dead);
  });
});
