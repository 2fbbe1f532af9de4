import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../../lib/app";
import { resolveSubscriptionSettings } from "../../../lib/constructs/event-subscription";
import { type LocalAssemblyReading, readLocalAssembly } from "../../../lib/local/assembly";
import type { SubscriptionOutput } from "../../../lib/stack-outputs";
import { subscriptions } from "../../../lib/subscriptions";

const projectRoot = path.resolve(import.meta.dirname, "..", "..", "..");
const ACCOUNT = "000000000000";

/** The example app with a no-op consumer, so the test does not depend on the real handlers. */
const testSubscriptions = subscriptions.map((subscription) => ({
  ...subscription,
  entry: "test/fixtures/noop-handler.ts",
}));

let cdkOutDir: string;
let reading: LocalAssemblyReading;
let outputs: readonly SubscriptionOutput[];

beforeAll(async () => {
  cdkOutDir = mkdtempSync(path.join(tmpdir(), "eventrail-cdkout-"));
  const cdkJson = JSON.parse(readFileSync(path.join(projectRoot, "cdk.json"), "utf8")) as {
    context: Record<string, unknown>;
  };
  const { app } = buildApp({
    appProps: { context: cdkJson.context, outdir: cdkOutDir },
    stackProps: { subscriptions: testSubscriptions },
  });
  app.synth();
  reading = await readLocalAssembly({ cdkOutDir });
  outputs = JSON.parse(reading.model.outputs.Subscriptions ?? "[]") as SubscriptionOutput[];
});

afterAll(() => {
  if (cdkOutDir !== undefined) rmSync(cdkOutDir, { recursive: true, force: true });
});

function outputOf(name: string): SubscriptionOutput {
  const output = outputs.find((candidate) => candidate.name === name);
  if (output === undefined) throw new Error(`the Subscriptions output has no subscription ${name}`);
  return output;
}

describe("reading the synthesized example app", () => {
  it("knows every resource of the stack: each is emulated or known to need no emulation", () => {
    // Assess
    expect(reading.warnings).toEqual([]);
    expect(reading.ignored.map((resource) => resource.type)).toEqual(
      expect.arrayContaining([
        "AWS::IAM::Role",
        "AWS::KMS::Key",
        "AWS::EventSchemas::Schema",
        "AWS::SQS::QueuePolicy",
      ]),
    );
  });

  it("resolves the stack outputs to the local bus, archive and table", () => {
    // Assess
    expect(reading.model.outputs).toMatchObject({
      EventBusName: "eventrail",
      EventBusArn: `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/eventrail`,
      ArchiveName: "eventrail-all",
      IdempotencyTableName: "Eventrail-IdempotencyTable22A5A209",
    });
    expect(outputs.map((output) => output.name)).toEqual(testSubscriptions.map((s) => s.name));
  });

  it("archives every event of the local account on the bus", () => {
    // Assess
    expect(reading.model.archives).toEqual([
      expect.objectContaining({
        sourceBusName: "eventrail",
        eventPattern: { account: [ACCOUNT] },
        retentionDays: 90,
      }),
    ]);
  });

  it.each(testSubscriptions.map((subscription) => [subscription.name, subscription] as const))(
    "routes the %s subscription's events to its queue, with retries and the target DLQ",
    (name, subscription) => {
      // Prepare
      const output = outputOf(name);
      const [busName, ruleName] = output.ruleName.split("|");

      // Act
      const rule = reading.model.rules.find((candidate) => candidate.name === ruleName);

      // Assess
      expect(busName).toBe("eventrail");
      expect(rule).toMatchObject({
        busName: "eventrail",
        state: "ENABLED",
        eventPattern: { "detail-type": subscription.eventTypes },
        targets: [
          {
            kind: "sqs",
            arn: output.queueArn,
            deadLetterArn: output.targetDeadLetterQueueArn,
            retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
          },
        ],
      });
    },
  );

  it.each(testSubscriptions.map((subscription) => [subscription.name, subscription] as const))(
    "redrives the %s queue to its DLQ and polls it with the declared batch settings and partial batch responses",
    (name, subscription) => {
      // Prepare
      const output = outputOf(name);
      const settings = resolveSubscriptionSettings(subscription);

      // Act
      const queue = reading.model.queues.find((candidate) => candidate.arn === output.queueArn);
      const mapping = reading.model.eventSourceMappings.find(
        (candidate) => candidate.queueArn === output.queueArn,
      );

      // Assess
      expect(queue).toMatchObject({
        url: output.queueUrl,
        visibilityTimeoutSeconds: settings.visibilityTimeoutSeconds,
        redrive: {
          deadLetterTargetArn: output.deadLetterQueueArn,
          maxReceiveCount: settings.maxReceiveCount,
        },
      });
      expect(queue?.url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:4010/${ACCOUNT}/`));
      expect(mapping).toMatchObject({
        functionName: output.functionName,
        batchSize: settings.batchSize,
        maxBatchingWindowSeconds: settings.maxBatchingWindowSeconds,
        maxConcurrency: settings.maxConcurrency,
        reportBatchItemFailures: true,
        enabled: true,
      });
    },
  );

  it.each(testSubscriptions.map((subscription) => [subscription.name, subscription] as const))(
    "runs the %s consumer from its bundled asset with its declared settings and resolved environment",
    (name, subscription) => {
      // Prepare
      const settings = resolveSubscriptionSettings(subscription);
      const tableName = reading.model.outputs.IdempotencyTableName;

      // Act
      const fn = reading.model.functions.find((candidate) => candidate.name === outputOf(name).functionName);

      // Assess
      expect(fn).toMatchObject({
        runtime: "nodejs24.x",
        handler: "index.handler",
        timeoutSeconds: settings.timeoutSeconds,
        memorySize: settings.memorySize,
        environment: { IDEMPOTENCY_TABLE_NAME: tableName, POWERTOOLS_SERVICE_NAME: name },
      });
      expect(fn?.assetDir.startsWith(cdkOutDir)).toBe(true);
      expect(existsSync(path.join(fn?.assetDir ?? "", "index.mjs"))).toBe(true);
      expect(reading.model.tables).toContainEqual(
        expect.objectContaining({ name: tableName, timeToLiveAttribute: "expiration" }),
      );
    },
  );
});
