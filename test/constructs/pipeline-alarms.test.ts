import * as path from "node:path";
import { App, type CfnElement, Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { beforeAll, describe, expect, it } from "vitest";
import { AuditTrail } from "../../lib/constructs/audit-trail";
import { EventDeliveryKey } from "../../lib/constructs/event-delivery-key";
import { EventOutbox } from "../../lib/constructs/event-outbox";
import { EventSubscription, type EventSubscriptionDefinition } from "../../lib/constructs/event-subscription";
import {
  alarmRunbook,
  type MonitoredSubscription,
  MonitoringConfigError,
  PipelineAlarms,
  type PipelineAlarmsProps,
} from "../../lib/constructs/pipeline-alarms";
import { consumerEventCounts } from "../../lib/constructs/pipeline-dashboard";
import { runCfnLint } from "../support/cfn-lint";
import { createCheckedApp, formatFindings, synthesizeChecked, type ValidationFinding } from "../support/nag";
import { type WidgetEventTypeName, widgetEventTypes } from "../support/widget-catalog";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

const assembly: EventSubscriptionDefinition<WidgetEventTypeName> = {
  name: "assembly",
  description: "test",
  eventTypes: ["WidgetAssembled"],
  entry: "test/fixtures/noop-handler.ts",
};
/** Counts every event it consumes, as a consumer built for the dashboard's events-per-type graph does. */
const inspection: EventSubscriptionDefinition<WidgetEventTypeName> = {
  name: "inspection",
  description: "test",
  eventTypes: ["WidgetAssembled", "WidgetInspected"],
  entry: "test/fixtures/noop-handler.ts",
  batchSize: 100,
  maxBatchingWindow: Duration.seconds(5),
};
const definitions = [assembly, inspection];

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;
type AlarmProperties = {
  Namespace: string;
  MetricName: string;
  Dimensions: { Name: string; Value: unknown }[];
  Threshold: number;
  ComparisonOperator: string;
  AlarmActions: unknown[];
  OKActions: unknown[];
  TreatMissingData: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  AlarmDescription: string;
};

function getAttId(value: unknown): string | undefined {
  const getAtt = (value as { "Fn::GetAtt"?: [string, string] } | undefined)?.["Fn::GetAtt"];
  return getAtt?.[0];
}

describe("PipelineAlarms", () => {
  let findings: readonly ValidationFinding[];
  let json: Record<string, unknown>;
  let template: Template;
  let resources: Resources;
  let alarms: AlarmProperties[];
  let topicId: string;

  const alarmsOn = (namespace: string, metricName: string) =>
    alarms.filter((a) => a.Namespace === namespace && a.MetricName === metricName);
  const dimension = (alarm: AlarmProperties, name: string) =>
    alarm.Dimensions.find((d) => d.Name === name)?.Value;

  beforeAll(() => {
    // Prepare: real subscriptions and the audit trail on a plain bus, all watched.
    const app = createCheckedApp();
    const stack = new Stack(app, "Monitored");
    const eventBus = new events.EventBus(stack, "Bus", { eventBusName: "eventrail" });
    const key = new EventDeliveryKey(stack, "DeliveryKey");
    const idempotencyTable = new dynamodb.Table(stack, "Idempotency", {
      partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    });
    const subscriptions = definitions.map(
      (definition) =>
        new EventSubscription(stack, `Subscription-${definition.name}`, {
          eventBus,
          definition,
          eventTypes: widgetEventTypes,
          encryptionKey: key.key,
          idempotencyTable,
          projectRoot: PROJECT_ROOT,
        }),
    );
    const auditTrail = new AuditTrail(stack, "Audit", { eventBus });
    const outbox = new EventOutbox(stack, "Outbox", {
      eventBus,
      encryptionKey: key.key,
      projectRoot: PROJECT_ROOT,
    });

    // Act
    const pipelineAlarms = new PipelineAlarms(stack, "Alarms", {
      eventBus,
      subscriptions: subscriptions.map((s) => ({ ...s, name: s.subscriptionName })),
      auditTrail,
      outbox: { pipeName: outbox.pipeName, deadLetterQueue: outbox.deadLetterQueue },
      alarmEmail: "oncall@example.com",
      eventCounts: consumerEventCounts(inspection),
    });

    const synthesis = synthesizeChecked(app);
    findings = synthesis.findings;
    json = synthesis.templateOf(stack);
    template = Template.fromJSON(json);
    resources = json.Resources as Resources;
    alarms = Object.values(resources)
      .filter((r) => r.Type === "AWS::CloudWatch::Alarm")
      .map((r) => r.Properties as AlarmProperties);
    topicId = stack.resolve(stack.getLogicalId(pipelineAlarms.topic.node.defaultChild as CfnElement));
  });

  it("raises one alarm per dead-letter queue, found by walking the template", () => {
    const redriveTargets = Object.values(resources)
      .filter((r) => r.Type === "AWS::SQS::Queue")
      .map((r) =>
        getAttId((r.Properties.RedrivePolicy as { deadLetterTargetArn?: unknown })?.deadLetterTargetArn),
      );
    const ruleTargetDlqs = Object.values(resources)
      .filter((r) => r.Type === "AWS::Events::Rule")
      .flatMap((r) => (r.Properties.Targets as { DeadLetterConfig?: { Arn: unknown } }[]) ?? [])
      .map((t) => getAttId(t.DeadLetterConfig?.Arn));
    const deadLetterQueues = [...redriveTargets, ...ruleTargetDlqs].filter(
      (id): id is string => id !== undefined,
    );

    // 2 queue DLQs, 2 subscription rule-target DLQs, 1 audit rule-target DLQ
    expect(new Set(deadLetterQueues).size).toBe(5);
    for (const queueId of deadLetterQueues) {
      const onQueue = alarmsOn("AWS/SQS", "ApproximateNumberOfMessagesVisible").filter(
        (a) => getAttId(dimension(a, "QueueName")) === queueId,
      );

      expect(onQueue, `alarms on ${queueId}`).toHaveLength(1);
      expect(onQueue[0]).toMatchObject({ Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" });
    }
  });

  it("watches the age of the oldest message in every queue a consumer reads", () => {
    const polled = Object.values(resources)
      .filter((r) => r.Type === "AWS::Lambda::EventSourceMapping")
      .map((r) => getAttId(r.Properties.EventSourceArn));

    expect(polled).toHaveLength(2);
    for (const queueId of polled) {
      const onQueue = alarmsOn("AWS/SQS", "ApproximateAgeOfOldestMessage").filter(
        (a) => getAttId(dimension(a, "QueueName")) === queueId,
      );

      expect(onQueue).toHaveLength(1);
      expect(onQueue[0]?.Threshold).toBe(900);
    }
  });

  it("watches every consumer's errors and throttles", () => {
    const functions = Object.entries(resources)
      .filter(
        ([id, r]) =>
          r.Type === "AWS::Lambda::Function" &&
          r.Properties.Handler === "index.handler" &&
          id.startsWith("Subscription"),
      )
      .map(([id]) => id);

    expect(functions).toHaveLength(2);
    for (const metricName of ["Errors", "Throttles"]) {
      const watched = alarmsOn("AWS/Lambda", metricName).map(
        (a) => (dimension(a, "FunctionName") as { Ref: string }).Ref,
      );
      expect(watched.sort()).toEqual([...functions].sort());
    }
  });

  it("watches every rule on the bus for failed invocations and for events it could not put in its DLQ", () => {
    const rules = Object.entries(resources)
      .filter(([, r]) => r.Type === "AWS::Events::Rule")
      .map(([id]) => id);

    expect(rules).toHaveLength(3);
    for (const metricName of ["FailedInvocations", "InvocationsFailedToBeSentToDlq"]) {
      const watched = alarmsOn("AWS/Events", metricName);
      expect(watched.map((a) => (dimension(a, "RuleName") as { Ref: string }).Ref).sort()).toEqual(
        [...rules].sort(),
      );
      for (const alarm of watched) {
        // A rule on a custom bus publishes its metrics with the bus name as a dimension too.
        expect(dimension(alarm, "EventBusName")).toEqual({ Ref: expect.stringMatching(/^Bus/) });
      }
    }
  });

  it("watches Firehose for delivery failures sustained 15 minutes and for stale data", () => {
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Firehose",
      MetricName: "DeliveryToS3.Success",
      Statistic: "Average",
      Threshold: 1,
      ComparisonOperator: "LessThanThreshold",
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Firehose",
      MetricName: "DeliveryToS3.DataFreshness",
      // The 300 s buffer plus 10 minutes.
      Threshold: 900,
      ComparisonOperator: "GreaterThanThreshold",
    });
  });

  it("sends every alarm and its recovery to the one topic, treating missing data as healthy", () => {
    // 7 per subscription, 5 for the audit trail, 4 for the outbox.
    expect(alarms).toHaveLength(2 * 7 + 5 + 4);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({
        AlarmActions: [{ Ref: topicId }],
        OKActions: [{ Ref: topicId }],
        TreatMissingData: "notBreaching",
      });
      expect(alarm.AlarmDescription).toMatch(/First: .*\(runbook: Alarms, [a-z-]+\)$/);
    }
  });

  it("encrypts the topic with its own key, which CloudWatch may use to publish", () => {
    template.hasResourceProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          Match.objectLike({
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
          }),
        ]),
      },
    });
    template.hasResourceProperties("AWS::KMS::Key", {
      Description: "eventrail: encrypts the alarm topic",
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
          }),
        ]),
      },
    });
  });

  it("subscribes the e-mail address from props", () => {
    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@example.com",
      TopicArn: { Ref: topicId },
    });
  });

  it("draws one dashboard with events per type, every subscription's queues and consumer, and audit freshness", () => {
    const dashboards = Object.values(resources).filter((r) => r.Type === "AWS::CloudWatch::Dashboard");
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]?.Properties.DashboardBody);

    for (const title of [
      "Events published per type",
      "assembly: queue depth",
      "assembly: oldest message (s)",
      "assembly: dead-letter queues",
      "inspection: consumer errors and duration",
      "Audit: delivery freshness (s)",
    ]) {
      expect(body).toContain(title);
    }
    for (const detailType of ["WidgetAssembled", "WidgetInspected"]) {
      expect(body).toContain(`\\"${detailType}\\"`);
    }
    expect(body).toContain("DeliveryToS3.DataFreshness");
    expect(body).toContain('\\"type\\":\\"alarm\\"');
  });

  it("has a runbook entry for every kind of alarm it raises", () => {
    const kinds = alarms.map((a) => /\(runbook: Alarms, ([a-z-]+)\)$/.exec(a.AlarmDescription)?.[1]);

    expect(new Set(kinds)).toEqual(new Set(Object.keys(alarmRunbook)));
  });

  it("passes cdk-nag (AwsSolutions, Serverless) and aws-cdk-lib's CloudFormation validation", () => {
    expect(findings, formatFindings(findings)).toEqual([]);
  });

  it("passes cfn-lint", async (context) => {
    const lint = await runCfnLint(json);
    if (!lint.available) {
      console.warn("cfn-lint is not on PATH; the cfn-lint check of the alarms was skipped");
      context.skip("cfn-lint is not on PATH");
    }

    // The subscriptions are EventSubscription's resources, checked by its own tests; shown, not judged.
    const ofSubscriptions = (finding: string) =>
      /'Subscription[a-z]+[A-Za-z0-9]*'/.test(finding) ||
      // aws-cdk-lib orders a function after its role with a DependsOn that the GetAtt already implies.
      /^W3005:.*'OutboxRelayRole/.test(finding);
    const elsewhere = lint.findings.filter(ofSubscriptions);
    if (elsewhere.length > 0)
      console.warn(`cfn-lint on EventSubscription resources:\n${elsewhere.join("\n")}`);

    expect(lint.findings.filter((f) => !ofSubscriptions(f))).toEqual([]);
  });
});

describe("PipelineAlarms refuses bad settings, naming the prop, the value and what is expected", () => {
  const alarmsWith = (overrides: Partial<PipelineAlarmsProps>, names: string[]) => () => {
    const stack = new Stack(new App(), "Invalid");
    const eventBus = new events.EventBus(stack, "Bus");
    const queue = new sqs.Queue(stack, "Queue");
    const subscriptions: MonitoredSubscription[] = names.map((name, i) => ({
      name,
      queue,
      deadLetterQueue: queue,
      targetDeadLetterQueue: queue,
      consumer: lambda.Function.fromFunctionName(stack, `Consumer${i}`, "fn"),
      rule: new events.Rule(stack, `Rule${i}`, { eventBus, eventPattern: { source: ["x"] } }),
    }));
    return new PipelineAlarms(stack, "Alarms", { eventBus, subscriptions, ...overrides });
  };

  it.each<[string, Partial<PipelineAlarmsProps>, string[], RegExp]>([
    [
      "an e-mail that is not an address",
      { alarmEmail: "on-call" },
      ["assembly"],
      /alarmEmail is "on-call"; expected one e-mail address/,
    ],
    [
      "a subscription listed twice",
      {},
      ["assembly", "assembly"],
      /subscription name "assembly" appears twice/,
    ],
    ["a subscription named like the audit trail", {}, ["audit"], /a subscription is named "audit"/],
    [
      "an error threshold of 0",
      { consumerErrorThreshold: 0 },
      ["assembly"],
      /consumerErrorThreshold is 0; expected a whole number of errors, 1 or more/,
    ],
    [
      "an oldest-message threshold longer than SQS keeps a message",
      { oldestMessageAgeThreshold: Duration.days(15) },
      ["assembly"],
      /oldestMessageAgeThreshold is 1296000 s; expected a whole number from 1 to 1209600 s \(no message outlives SQS's longest retention, 14 days\); set oldestMessageAgeThreshold within that range, or leave it out for the default, 900 s/,
    ],
    [
      "an audit freshness threshold longer than Firehose retries",
      { auditFreshnessThreshold: Duration.hours(25) },
      ["assembly"],
      /auditFreshnessThreshold is 90000 s; expected a whole number from 1 to 86400 s/,
    ],
  ])("%s", (_case, overrides, names, message) => {
    const act = alarmsWith(overrides, names);

    expect(act).toThrow(MonitoringConfigError);
    expect(act).toThrow(message);
  });
});
