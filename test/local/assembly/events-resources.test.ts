import { afterAll, describe, expect, it } from "vitest";
import {
  readLocalAssembly,
  TemplateResolutionError,
  UnsupportedFeatureError,
} from "../../../lib/local/assembly";
import type { LocalRuleDefinition } from "../../../lib/local/model";
import {
  aFunction,
  CloudAssemblyFixtures,
  type FixtureResource,
  FUNCTION_ASSET_FILES,
} from "./support/cloud-assembly-fixture";

const fixtures = new CloudAssemblyFixtures();
afterAll(() => fixtures.cleanUp());

const ACCOUNT = "000000000000";
const BUS_ARN = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/orders`;
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:Test-Queue`;
const DLQ_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:Test-TargetDlq`;

/** A bus, a queue and its DLQ, a stream and a function for rules to target. */
const targets: Record<string, FixtureResource> = {
  Bus: { Type: "AWS::Events::EventBus", Properties: { Name: "orders" } },
  Queue: { Type: "AWS::SQS::Queue" },
  TargetDlq: { Type: "AWS::SQS::Queue" },
  Stream: {
    Type: "AWS::KinesisFirehose::DeliveryStream",
    Properties: { ExtendedS3DestinationConfiguration: { BucketARN: "arn:aws:s3:::audit" } },
  },
  Consumer: aFunction({ FunctionName: "consumer" }),
};

function aRule(properties: Record<string, unknown>): FixtureResource {
  return {
    Type: "AWS::Events::Rule",
    Properties: { EventBusName: { Ref: "Bus" }, EventPattern: { source: ["shop.orders"] }, ...properties },
  };
}

function aQueueTarget(properties: Record<string, unknown> = {}): Record<string, unknown> {
  return { Id: "Queue", Arn: { "Fn::GetAtt": ["Queue", "Arn"] }, ...properties };
}

async function readRules(rule: FixtureResource) {
  const cdkOutDir = await fixtures.writeTemplate(
    { Resources: { ...targets, Rule: rule } },
    FUNCTION_ASSET_FILES,
  );
  return readLocalAssembly({ cdkOutDir });
}

async function readRule(rule: FixtureResource): Promise<LocalRuleDefinition | undefined> {
  return (await readRules(rule)).model.rules[0];
}

describe("reading an event bus and its archive", () => {
  it("gives the bus its name and ARN", async () => {
    // Prepare
    const cdkOutDir = await fixtures.writeTemplate({ Resources: { Bus: targets.Bus as FixtureResource } });

    // Act
    const { model } = await readLocalAssembly({ cdkOutDir });

    // Assess
    expect(model.buses).toEqual([{ logicalId: "Bus", name: "orders", arn: BUS_ARN }]);
  });

  it("reads an archive's source bus, pattern and retention, with references resolved", async () => {
    // Prepare
    const cdkOutDir = await fixtures.writeTemplate({
      Resources: {
        Bus: targets.Bus as FixtureResource,
        Archive: {
          Type: "AWS::Events::Archive",
          Properties: {
            ArchiveName: "orders-all",
            SourceArn: { "Fn::GetAtt": ["Bus", "Arn"] },
            EventPattern: { account: [{ Ref: "AWS::AccountId" }] },
            RetentionDays: 90,
          },
        },
      },
    });

    // Act
    const { model } = await readLocalAssembly({ cdkOutDir });

    // Assess
    expect(model.archives).toEqual([
      {
        logicalId: "Archive",
        name: "orders-all",
        arn: `arn:aws:events:us-east-1:${ACCOUNT}:archive/orders-all`,
        sourceBusArn: BUS_ARN,
        sourceBusName: "orders",
        eventPattern: { account: [ACCOUNT] },
        retentionDays: 90,
      },
    ]);
  });

  it("keeps archived events forever (0 days) when the archive sets no retention, and reads a pattern written as JSON", async () => {
    // Prepare
    const cdkOutDir = await fixtures.writeTemplate({
      Resources: {
        Bus: targets.Bus as FixtureResource,
        Archive: {
          Type: "AWS::Events::Archive",
          Properties: { SourceArn: BUS_ARN, EventPattern: '{"source":["shop.orders"]}' },
        },
      },
    });

    // Act
    const { model } = await readLocalAssembly({ cdkOutDir });

    // Assess
    expect(model.archives[0]).toMatchObject({
      name: "Test-Archive",
      retentionDays: 0,
      eventPattern: { source: ["shop.orders"] },
    });
  });

  it("refuses an archive of a bus the template does not declare", async () => {
    // Prepare
    const cdkOutDir = await fixtures.writeTemplate({
      Resources: {
        Archive: {
          Type: "AWS::Events::Archive",
          Properties: { SourceArn: "arn:aws:events:us-east-1:999999999999:event-bus/shared" },
        },
      },
    });

    // Act
    const reading = readLocalAssembly({ cdkOutDir });

    // Assess
    await expect(reading).rejects.toThrow(UnsupportedFeatureError);
    await expect(reading).rejects.toThrow(
      /Resources\.Archive\.Properties\.SourceArn: archive Archive records the bus/,
    );
  });
});

describe("reading a rule", () => {
  it("reads the bus, pattern, state, description and an SQS target with its DLQ", async () => {
    // Act
    const rule = await readRule(
      aRule({
        Description: "orders to the queue",
        State: "DISABLED",
        Targets: [aQueueTarget({ DeadLetterConfig: { Arn: { "Fn::GetAtt": ["TargetDlq", "Arn"] } } })],
      }),
    );

    // Assess
    expect(rule).toEqual({
      logicalId: "Rule",
      name: "Test-Rule",
      arn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/orders/Test-Rule`,
      busName: "orders",
      eventPattern: { source: ["shop.orders"] },
      state: "DISABLED",
      description: "orders to the queue",
      targets: [
        {
          id: "Queue",
          arn: QUEUE_ARN,
          kind: "sqs",
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
          deadLetterArn: DLQ_ARN,
        },
      ],
    });
  });

  it("parses an event pattern written as a JSON string", async () => {
    // Act
    const rule = await readRule(
      aRule({ EventPattern: '{"detail-type":["OrderPlaced"]}', Targets: [aQueueTarget()] }),
    );

    // Assess
    expect(rule?.eventPattern).toEqual({ "detail-type": ["OrderPlaced"] });
  });

  it("names the rule and the value when the pattern is not valid JSON", async () => {
    // Act
    const reading = readRules(aRule({ EventPattern: "{source:", Targets: [aQueueTarget()] }));

    // Assess
    await expect(reading).rejects.toThrow(TemplateResolutionError);
    await expect(reading).rejects.toThrow(
      /Resources\.Rule\.Properties\.EventPattern: "\{source:" is not valid JSON/,
    );
  });

  it("fills the retry setting a partial RetryPolicy leaves out with EventBridge's default", async () => {
    // Act
    const rule = await readRule(
      aRule({ Targets: [aQueueTarget({ RetryPolicy: { MaximumRetryAttempts: 3 } })] }),
    );

    // Assess
    expect(rule?.targets[0]?.retryPolicy).toEqual({
      maximumRetryAttempts: 3,
      maximumEventAgeInSeconds: 86_400,
    });
  });

  it("refuses a retry count EventBridge would refuse", async () => {
    // Act
    const reading = readRules(
      aRule({ Targets: [aQueueTarget({ RetryPolicy: { MaximumRetryAttempts: 200 } })] }),
    );

    // Assess
    await expect(reading).rejects.toThrow(
      /Targets\[0\]\.RetryPolicy\.MaximumRetryAttempts: 200 is not a whole number from 0 to 185/,
    );
  });

  it.each([
    ["Input", { Input: '{"fixed":true}' }, { input: '{"fixed":true}' }],
    ["InputPath", { InputPath: "$.detail" }, { inputPath: "$.detail" }],
    [
      "InputTransformer",
      { InputTransformer: { InputPathsMap: { id: "$.id" }, InputTemplate: '{"eventId":<id>}' } },
      { inputTransformer: { inputPathsMap: { id: "$.id" }, inputTemplate: '{"eventId":<id>}' } },
    ],
  ])("reads the target's %s", async (_field, properties, expected) => {
    // Act
    const rule = await readRule(aRule({ Targets: [aQueueTarget(properties)] }));

    // Assess
    expect(rule?.targets[0]).toMatchObject(expected);
  });

  it("refuses a target with both Input and InputPath, which EventBridge rejects", async () => {
    // Act
    const reading = readRules(aRule({ Targets: [aQueueTarget({ Input: "{}", InputPath: "$.detail" })] }));

    // Assess
    await expect(reading).rejects.toThrow(
      /target "Queue" sets more than one of Input, InputPath and InputTransformer/,
    );
  });

  it.each([
    ["sqs", { "Fn::GetAtt": ["Queue", "Arn"] }],
    ["firehose", { "Fn::GetAtt": ["Stream", "Arn"] }],
    ["lambda", { "Fn::GetAtt": ["Consumer", "Arn"] }],
    ["event-bus", { "Fn::GetAtt": ["Bus", "Arn"] }],
  ])("tells a %s target by its ARN", async (kind, arn) => {
    // Act
    const rule = await readRule(aRule({ Targets: [{ Id: "Target", Arn: arn }] }));

    // Assess
    expect(rule?.targets[0]?.kind).toBe(kind);
  });

  it.each([
    ["states", "arn:aws:states:us-east-1:000000000000:stateMachine:checkout"],
    ["sns", "arn:aws:sns:us-east-1:000000000000:alerts"],
    ["kinesis", "arn:aws:kinesis:us-east-1:000000000000:stream/clicks"],
    ["events", "arn:aws:events:us-east-1:000000000000:api-destination/crm/abc"],
  ])("refuses a %s target, naming the rule and the target", async (service, arn) => {
    // Act
    const reading = readRules(aRule({ Targets: [{ Id: "Downstream", Arn: arn }] }));

    // Assess
    await expect(reading).rejects.toThrow(UnsupportedFeatureError);
    await expect(reading).rejects.toThrow(
      `rule Rule target "Downstream" sends to ${arn}, a ${service} target; the local pipeline runs only SQS, Firehose, Lambda and event-bus targets`,
    );
  });

  it("refuses a target outside the template, which locally would receive nothing", async () => {
    // Act
    const reading = readRules(
      aRule({ Targets: [{ Id: "Shared", Arn: "arn:aws:sqs:us-east-1:999999999999:shared" }] }),
    );

    // Assess
    await expect(reading).rejects.toThrow(
      /rule Rule target "Shared" sends to arn:aws:sqs:us-east-1:999999999999:shared, which is not a sqs resource of this template/,
    );
  });

  it("refuses a rule on a bus the template does not declare", async () => {
    // Act
    const reading = readRules(aRule({ EventBusName: "shared", Targets: [aQueueTarget()] }));

    // Assess
    await expect(reading).rejects.toThrow(
      /rule Rule is on the bus "shared", which this template does not declare/,
    );
  });

  it("leaves out a rule that only runs on a schedule, with a warning", async () => {
    // Act
    const { model, warnings } = await readRules({
      Type: "AWS::Events::Rule",
      Properties: { ScheduleExpression: "rate(1 hour)", Targets: [aQueueTarget()] },
    });

    // Assess
    expect(model.rules).toEqual([]);
    expect(warnings).toEqual([
      expect.objectContaining({
        logicalId: "Rule",
        message: expect.stringMatching(/schedule rate\(1 hour\).*left out/),
      }),
    ]);
  });

  it("reads a rule on the default bus, whose ARN has no bus part", async () => {
    // Act
    const rule = await readRule({
      Type: "AWS::Events::Rule",
      Properties: { Name: "audit", EventPattern: { source: ["aws.s3"] }, Targets: [aQueueTarget()] },
    });

    // Assess
    expect(rule).toMatchObject({ busName: "default", arn: `arn:aws:events:us-east-1:${ACCOUNT}:rule/audit` });
  });
});
