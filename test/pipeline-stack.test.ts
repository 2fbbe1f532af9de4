import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { eventTypes } from "../lib/catalog";
import { toRegistrySchema } from "../lib/catalog/json-schema";
import { stackOutputs } from "../lib/stack-outputs";
import { eventCounts, subscriptions } from "../lib/subscriptions";
import { runCfnLint } from "./support/cfn-lint";
import { type SynthesizedApp, synthesizeApp } from "./support/example-app";

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

const cfnLintOnPath = spawnSync("cfn-lint", ["--version"]).status === 0;
if (!cfnLintOnPath)
  console.warn("SKIPPED the cfn-lint test: cfn-lint is not on PATH (install it with: pip install cfn-lint)");

let synthesized: SynthesizedApp;
let resources: Resources;

beforeAll(() => {
  synthesized = synthesizeApp();
  resources = synthesized.template.toJSON().Resources as Resources;
});

function resourcesOfType(type: string): [string, Record<string, unknown>][] {
  return Object.entries(resources)
    .filter(([, r]) => r.Type === type)
    .map(([id, r]) => [id, r.Properties ?? {}]);
}

describe("the synthesized example app", () => {
  describe("passes the hardening checks", () => {
    interface PluginReport {
      pluginName: string;
      conclusion: string;
      violations: unknown[];
      suppressedViolations?: { ruleName: string; reason: string }[];
    }
    const report = (): { pluginReports: PluginReport[] } =>
      JSON.parse(readFileSync(path.join(synthesized.outdir, "validation-report.json"), "utf8"));

    it.each(["AwsSolutions", "Serverless"])("cdk-nag %s with no unacknowledged finding", (pack) => {
      const plugin = report().pluginReports.find((p) => p.pluginName === pack);

      expect(plugin?.conclusion).toBe("success");
      expect(plugin?.violations).toEqual([]);
    });

    it("acknowledges findings only with a reason specific to this design", () => {
      const acknowledged = report().pluginReports.flatMap((p) => p.suppressedViolations ?? []);

      expect(acknowledged.length).toBeGreaterThan(0);
      for (const finding of acknowledged) {
        expect(finding.reason.length, finding.ruleName).toBeGreaterThan(60);
      }
    });

    it("synthesizes with aws-cdk-lib's CloudFormation validation treating findings as errors", () => {
      // synthesizeApp would have thrown on any finding; the flag makes findings errors, not warnings.
      expect(synthesized.stack.node.tryGetContext("@aws-cdk/core:validateAgainstDefaultRules")).toBe(true);
    });

    it.skipIf(!cfnLintOnPath)("passes cfn-lint on every template of the assembly with no error", async () => {
      for (const stack of synthesized.assembly.stacks) {
        const result = await runCfnLint(stack.template as object);
        // W3005 (a DependsOn that a GetAtt already implies) is how aws-cdk-lib orders a function after
        // its role's policy; it is redundant, not wrong. Every other finding fails the test.
        const unexpected = result.findings.filter((finding) => !finding.startsWith("W3005:"));
        expect(unexpected, stack.stackName).toEqual([]);
      }
    });
  });

  describe("the bus", () => {
    it("is a custom bus whose policy lets only this account call PutEvents", () => {
      synthesized.template.hasResourceProperties("AWS::Events::EventBus", { Name: "eventrail" });
      synthesized.template.hasResourceProperties("AWS::Events::EventBusPolicy", {
        Statement: {
          Action: "events:PutEvents",
          Effect: "Allow",
          Principal: {
            AWS: {
              "Fn::Join": [
                "",
                ["arn:", { Ref: "AWS::Partition" }, ":iam::", { Ref: "AWS::AccountId" }, ":root"],
              ],
            },
          },
        },
      });
    });

    it("archives every event of the account for 90 days", () => {
      synthesized.template.hasResourceProperties("AWS::Events::Archive", {
        EventPattern: { account: [{ Ref: "AWS::AccountId" }] },
        RetentionDays: 90,
        SourceArn: { "Fn::GetAtt": [Match.stringLikeRegexp("^Bus"), "Arn"] },
      });
    });

    it("registers one draft-04 schema per catalog event type, as the catalog generates it", () => {
      const schemas = resourcesOfType("AWS::EventSchemas::Schema");

      expect(schemas).toHaveLength(eventTypes.length);
      for (const eventType of eventTypes) {
        synthesized.template.hasResourceProperties("AWS::EventSchemas::Schema", {
          Type: "JSONSchemaDraft4",
          SchemaName: `${eventType.source}@${eventType.detailType}`,
          Content: JSON.stringify(toRegistrySchema(eventType)),
        });
      }
    });
  });

  describe.each(subscriptions.map((s) => [s.name, s] as const))("the %s subscription", (name, definition) => {
    const subscription = () => {
      const found = synthesized.stack.subscriptions.find((s) => s.subscriptionName === name);
      if (!found) throw new Error(`no subscription ${name}`);
      return found;
    };
    const logicalId = (construct: { node: { defaultChild?: unknown } }) =>
      synthesized.stack.getLogicalId(construct.node.defaultChild as never);

    it("routes the catalog pattern of its event types to its queue", () => {
      synthesized.template.hasResourceProperties("AWS::Events::Rule", {
        EventPattern: { "detail-type": [...definition.eventTypes] },
        Targets: [
          Match.objectLike({
            Arn: { "Fn::GetAtt": [logicalId(subscription().queue), "Arn"] },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: {
              Arn: { "Fn::GetAtt": [logicalId(subscription().targetDeadLetterQueue), "Arn"] },
            },
          }),
        ],
      });
    });

    it("has a CMK-encrypted queue that redrives to its DLQ after 5 receives, visibility 6 x the timeout", () => {
      const queue = resources[logicalId(subscription().queue)]?.Properties ?? {};

      expect(queue.KmsMasterKeyId).toEqual({
        "Fn::GetAtt": [logicalId(synthesized.stack.deliveryKey.key), "Arn"],
      });
      expect(queue.RedrivePolicy).toEqual({
        deadLetterTargetArn: { "Fn::GetAtt": [logicalId(subscription().deadLetterQueue), "Arn"] },
        maxReceiveCount: 5,
      });
      expect(queue.VisibilityTimeout).toBe(6 * (definition.timeout?.toSeconds() ?? 30));
    });

    it("encrypts both DLQs with the same customer-managed key", () => {
      for (const dlq of [subscription().deadLetterQueue, subscription().targetDeadLetterQueue]) {
        const properties = resources[logicalId(dlq)]?.Properties ?? {};
        expect(properties.KmsMasterKeyId).toEqual(
          resources[logicalId(subscription().queue)]?.Properties?.KmsMasterKeyId,
        );
        expect(properties.MessageRetentionPeriod).toBe(1_209_600);
      }
    });

    it("enforces SSL on every queue", () => {
      for (const queue of [
        subscription().queue,
        subscription().deadLetterQueue,
        subscription().targetDeadLetterQueue,
      ]) {
        synthesized.template.hasResourceProperties("AWS::SQS::QueuePolicy", {
          Queues: [{ Ref: logicalId(queue) }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
            ]),
          },
        });
      }
    });

    it("runs a Node 24 arm64 consumer with tracing, JSON logs and its own log group", () => {
      synthesized.template.hasResourceProperties("AWS::Lambda::Function", {
        FunctionName: Match.absent(),
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        TracingConfig: { Mode: "Active" },
        LoggingConfig: Match.objectLike({
          LogFormat: "JSON",
          LogGroup: { Ref: logicalId(subscription().logGroup) },
        }),
        Environment: {
          Variables: Match.objectLike({
            POWERTOOLS_SERVICE_NAME: name,
            EVENTRAIL_CONSUMES: definition.eventTypes.join(","),
            IDEMPOTENCY_TABLE_NAME: Match.anyValue(),
          }),
        },
      });
      synthesized.template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
    });

    it("reads the queue with partial batch responses and the declared batch settings", () => {
      synthesized.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
        EventSourceArn: { "Fn::GetAtt": [logicalId(subscription().queue), "Arn"] },
        FunctionResponseTypes: ["ReportBatchItemFailures"],
        BatchSize: definition.batchSize ?? 10,
        ScalingConfig: { MaximumConcurrency: definition.maxConcurrency ?? 10 },
        ...(definition.maxBatchingWindow
          ? { MaximumBatchingWindowInSeconds: definition.maxBatchingWindow.toSeconds() }
          : {}),
      });
    });

    it("may publish only when it declares follow-up events, through the outbox when it says so", () => {
      const policies = resourcesOfType("AWS::IAM::Policy").filter(([id]) =>
        id.includes(`Subscription${name}`),
      );
      const actions = JSON.stringify(policies.map(([, p]) => p.PolicyDocument));
      const publishes = (definition.publishes ?? []).length > 0;
      const viaOutbox = publishes && definition.outbox === true;

      expect(actions.includes("events:PutEvents")).toBe(publishes && !viaOutbox);
      expect(actions.includes("EventOutboxTable")).toBe(viaOutbox);
    });
  });

  it("gives the delivery key a policy admitting EventBridge from this account", () => {
    synthesized.template.hasResourceProperties("AWS::KMS::Key", {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "events.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey"],
            Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
          }),
        ]),
      },
    });
  });

  it("alarms on every dead-letter queue of the template, queue DLQs and rule-target DLQs alike", () => {
    const deadLetterQueues = new Set<string>();
    for (const [, queue] of resourcesOfType("AWS::SQS::Queue")) {
      const redrive = queue.RedrivePolicy as
        | { deadLetterTargetArn?: { "Fn::GetAtt": [string, string] } }
        | undefined;
      if (redrive?.deadLetterTargetArn) deadLetterQueues.add(redrive.deadLetterTargetArn["Fn::GetAtt"][0]);
    }
    for (const [, rule] of resourcesOfType("AWS::Events::Rule")) {
      for (const target of (rule.Targets as {
        DeadLetterConfig?: { Arn: { "Fn::GetAtt": [string, string] } };
      }[]) ?? []) {
        if (target.DeadLetterConfig) deadLetterQueues.add(target.DeadLetterConfig.Arn["Fn::GetAtt"][0]);
      }
    }
    const alarmed = new Set(
      resourcesOfType("AWS::CloudWatch::Alarm")
        .filter(([, alarm]) => alarm.MetricName === "ApproximateNumberOfMessagesVisible")
        .flatMap(([, alarm]) =>
          (alarm.Dimensions as { Value: { "Fn::GetAtt": [string, string] } }[]).map(
            (d) => d.Value["Fn::GetAtt"][0],
          ),
        ),
    );

    expect(deadLetterQueues.size).toBe(2 * subscriptions.length + 1);
    for (const queue of deadLetterQueues) expect(alarmed, queue).toContain(queue);
  });

  it("graphs the events per type the analytics consumer counts, one metric per type it consumes", () => {
    const [dashboard] = resourcesOfType("AWS::CloudWatch::Dashboard");
    const body = JSON.stringify(dashboard?.[1].DashboardBody);

    expect(body).toContain("Events published per type");
    for (const detailType of eventCounts.eventTypes) {
      expect(body).toContain(`[\\"${eventCounts.namespace}\\",\\"${detailType}\\",\\"service\\"`);
    }
  });

  it("writes every event to the audit trail and sends every alarm to one encrypted topic", () => {
    synthesized.template.hasResourceProperties("AWS::KinesisFirehose::DeliveryStream", {
      DeliveryStreamType: "DirectPut",
    });
    synthesized.template.resourceCountIs("AWS::SNS::Topic", 1);
    synthesized.template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    const topic = synthesized.stack.getLogicalId(synthesized.stack.alarms.topic.node.defaultChild as never);
    for (const [id, alarm] of resourcesOfType("AWS::CloudWatch::Alarm")) {
      expect(alarm.AlarmActions, id).toEqual([{ Ref: topic }]);
    }
  });

  it("keeps idempotency records in a table that expires them", () => {
    synthesized.template.hasResourceProperties("AWS::DynamoDB::Table", {
      KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
      TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
    });
  });

  it("names every subscription's resources in one output, so the CLI finds them by name", () => {
    const outputs = synthesized.template.toJSON().Outputs as Record<string, unknown>;

    expect(Object.keys(outputs)).toEqual(expect.arrayContaining(Object.values(stackOutputs)));
  });
});
