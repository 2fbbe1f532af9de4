import * as path from "node:path";
import { Duration, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import { beforeAll, describe, expect, it } from "vitest";
import { EventDeliveryKey } from "../../lib/constructs/event-delivery-key";
import { EventOutbox, type EventOutboxProps, OutboxConfigError } from "../../lib/constructs/event-outbox";
import { runCfnLint } from "../support/cfn-lint";
import { createCheckedApp, formatFindings, synthesizeChecked, type ValidationFinding } from "../support/nag";

const PROJECT_ROOT = path.resolve(import.meta.dirname, "../..");

/** An outbox on a plain bus, a producer role granted to write it, synthesized with cdk-nag. */
function build(overrides: Partial<EventOutboxProps> = {}) {
  const app = createCheckedApp();
  const stack = new Stack(app, "Outboxed");
  const eventBus = new events.EventBus(stack, "Bus", { eventBusName: "eventrail" });
  const key = new EventDeliveryKey(stack, "DeliveryKey");
  const outbox = new EventOutbox(stack, "Outbox", {
    eventBus,
    encryptionKey: key.key,
    projectRoot: PROJECT_ROOT,
    ...overrides,
  });
  const producer = new iam.Role(stack, "Producer", {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
  });
  outbox.grantWrite(producer);
  return { app, stack, outbox };
}

describe("EventOutbox", () => {
  let template: Template;
  let json: Record<string, unknown>;
  let findings: readonly ValidationFinding[];

  beforeAll(() => {
    const { app, stack } = build();
    const synthesis = synthesizeChecked(app);
    findings = synthesis.findings;
    json = synthesis.templateOf(stack);
    template = Template.fromJSON(json);
  });

  it("keeps events in a table with a NEW_IMAGE stream, expiring published items by TTL, retained with the stack", () => {
    template.hasResource("AWS::DynamoDB::Table", {
      Properties: {
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        StreamSpecification: { StreamViewType: "NEW_IMAGE" },
        TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
        BillingMode: "PAY_PER_REQUEST",
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      },
      DeletionPolicy: "Retain",
    });
  });

  it("pipes new items only from the stream, with bounded retries, record age, bisection and a DLQ, to the bus", () => {
    template.hasResourceProperties("AWS::Pipes::Pipe", {
      Source: { "Fn::GetAtt": [Match.stringLikeRegexp("^OutboxTable"), "StreamArn"] },
      SourceParameters: {
        DynamoDBStreamParameters: {
          StartingPosition: "TRIM_HORIZON",
          BatchSize: 10,
          MaximumRetryAttempts: 10,
          MaximumRecordAgeInSeconds: 3600,
          OnPartialBatchItemFailure: "AUTOMATIC_BISECT",
          ParallelizationFactor: 1,
          DeadLetterConfig: {
            Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^OutboxPipeDeadLetterQueue"), "Arn"] },
          },
        },
        FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
      },
      Enrichment: { "Fn::GetAtt": [Match.stringLikeRegexp("^OutboxRelay"), "Arn"] },
      Target: { "Fn::GetAtt": [Match.stringLikeRegexp("^Bus"), "Arn"] },
      TargetParameters: {
        InputTemplate: "<$.detail>",
        EventBridgeEventBusParameters: { Source: "$.source", DetailType: "$.detailType", Time: "$.time" },
      },
      DesiredState: "RUNNING",
    });
  });

  it("encrypts the pipe's DLQ with the customer-managed key and refuses plain HTTP", () => {
    template.hasResourceProperties("AWS::SQS::Queue", {
      KmsMasterKeyId: { "Fn::GetAtt": [Match.stringLikeRegexp("^DeliveryKey"), "Arn"] },
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
        ]),
      },
    });
  });

  it("gives the pipe a role only Pipes of this account assume, with exactly what the pipe does", () => {
    template.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: "sts:AssumeRole",
            Effect: "Allow",
            Principal: { Service: "pipes.amazonaws.com" },
            Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
          },
        ],
      },
    });
    const policies = template.findResources("AWS::IAM::Policy", {
      Properties: { PolicyName: Match.stringLikeRegexp("^OutboxPipePolicy") },
    });
    const statements = Object.values(policies).flatMap(
      (policy) =>
        (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
          .Statement,
    );
    expect(statements).toEqual([
      {
        Sid: "ReadOutboxStream",
        Effect: "Allow",
        Action: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^OutboxTable/), "StreamArn"] },
      },
      // ListStreams names no stream (aws-cdk's grantStreamRead grants it on * too).
      { Sid: "ListStreams", Effect: "Allow", Action: "dynamodb:ListStreams", Resource: "*" },
      {
        Sid: "InvokeRelay",
        Effect: "Allow",
        Action: "lambda:InvokeFunction",
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^OutboxRelay/), "Arn"] },
      },
      {
        Sid: "PutEventsOnBus",
        Effect: "Allow",
        Action: "events:PutEvents",
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^Bus/), "Arn"] },
      },
      {
        Sid: "SendToDeadLetterQueue",
        Effect: "Allow",
        Action: "sqs:SendMessage",
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^OutboxPipeDeadLetterQueue/), "Arn"] },
      },
      {
        Sid: "WriteLog",
        Effect: "Allow",
        Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^OutboxPipeLogGroup/), "Arn"] },
      },
      {
        Sid: "EncryptDeadLetters",
        Effect: "Allow",
        Action: ["kms:Decrypt", "kms:GenerateDataKey"],
        Resource: { "Fn::GetAtt": [expect.stringMatching(/^DeliveryKey/), "Arn"] },
      },
    ]);
    // The pipe's log: errors only, to its own log group, which the role may write.
    template.hasResourceProperties("AWS::Pipes::Pipe", {
      LogConfiguration: {
        CloudwatchLogsLogDestination: {
          LogGroupArn: { "Fn::GetAtt": [Match.stringLikeRegexp("^OutboxPipeLogGroup"), "Arn"] },
        },
        Level: "ERROR",
      },
    });
    // The pipe is created only once its role may read the stream and write its log.
    const pipe = Object.values(template.findResources("AWS::Pipes::Pipe"))[0] as { DependsOn?: string[] };
    expect(pipe.DependsOn).toEqual([expect.stringMatching(/^OutboxPipePolicy/)]);
  });

  it("lets a producer put outbox items and nothing else", () => {
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: Match.stringLikeRegexp("^Producer") }],
      PolicyDocument: {
        Statement: [
          {
            Action: "dynamodb:PutItem",
            Effect: "Allow",
            Resource: { "Fn::GetAtt": [Match.stringLikeRegexp("^OutboxTable"), "Arn"] },
          },
        ],
      },
    });
  });

  it("passes cdk-nag (AwsSolutions, Serverless) and aws-cdk-lib's CloudFormation validation", () => {
    expect(findings, formatFindings(findings)).toEqual([]);
  });

  it("passes cfn-lint", async (context) => {
    const lint = await runCfnLint(json);
    if (!lint.available) {
      console.warn("cfn-lint is not on PATH; the cfn-lint check of the outbox was skipped");
      context.skip("cfn-lint is not on PATH");
    }
    // W3005: aws-cdk-lib orders a function after its role with a DependsOn that the GetAtt implies.
    expect(lint.findings.filter((finding) => !finding.startsWith("W3005:"))).toEqual([]);
  });

  it.each([
    [{ batchSize: 0 }, /batchSize/],
    [{ maximumRetryAttempts: -1 }, /maximumRetryAttempts .*-1.* from 0 to 10000/],
    [{ maximumRecordAge: Duration.seconds(30) }, /maximumRecordAge .*30.* from 60 to 604800/],
    [{ maximumBatchingWindow: Duration.minutes(6) }, /maximumBatchingWindow .*360.* from 0 to 300/],
  ])("refuses %o at synth, naming the prop and the range", (overrides, message) => {
    expect(() => build(overrides)).toThrow(OutboxConfigError);
    expect(() => build(overrides)).toThrow(message);
  });
});
