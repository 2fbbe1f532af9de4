import { afterAll, describe, expect, it } from "vitest";
import {
  readLocalAssembly,
  TemplateResolutionError,
  UnsupportedFeatureError,
} from "../../../lib/local/assembly";
import { CloudAssemblyFixtures, type FixtureTemplate } from "./support/cloud-assembly-fixture";

const fixtures = new CloudAssemblyFixtures();
afterAll(() => fixtures.cleanUp());

async function read(template: FixtureTemplate, parameters?: Record<string, string>) {
  const cdkOutDir = await fixtures.writeTemplate(template);
  return readLocalAssembly({ cdkOutDir, parameters });
}

describe("sorting out the resources the local pipeline does not emulate", () => {
  it.each([
    ["AWS::IAM::Role", "permissions are not enforced locally"],
    ["AWS::KMS::Key", "local data is not encrypted"],
    ["AWS::SQS::QueuePolicy", "resource policies are not enforced locally"],
    ["AWS::CloudWatch::Alarm", "metrics, alarms and dashboards exist only in AWS"],
    ["AWS::SNS::Topic", "alarm notifications are sent only in AWS"],
    ["AWS::Glue::Table", "the data catalog serves Athena, which runs only in AWS"],
    [
      "AWS::EventSchemas::Schema",
      "the schema registry documents event types; the local bus does not consult it",
    ],
    ["Custom::LogRetention", "sets log retention at deployment; local logs go to the console"],
    ["AWS::CDK::Metadata", "CDK's usage metadata"],
  ])("lists an %s as ignored, with the reason", async (type, reason) => {
    // Act
    const { ignored, warnings } = await read({ Resources: { Thing: { Type: type } } });

    // Assess
    expect(ignored).toEqual([{ logicalId: "Thing", type, reason }]);
    expect(warnings).toEqual([]);
  });

  it("warns about a type it neither emulates nor knows to be harmless, without failing", async () => {
    // Act
    const { ignored, warnings } = await read({
      Resources: { Machine: { Type: "AWS::StepFunctions::StateMachine" } },
    });

    // Assess
    expect(ignored).toEqual([]);
    expect(warnings).toEqual([
      {
        logicalId: "Machine",
        type: "AWS::StepFunctions::StateMachine",
        message:
          "Machine is an AWS::StepFunctions::StateMachine, which the local pipeline neither emulates nor knows to be harmless; whatever depends on it will not work locally",
      },
    ]);
  });

  it("warns about a custom resource, whose deployment-time code does not run locally", async () => {
    // Act
    const { warnings } = await read({ Resources: { Seed: { Type: "Custom::SeedData" } } });

    // Assess
    expect(warnings).toEqual([
      expect.objectContaining({
        logicalId: "Seed",
        message: expect.stringMatching(/runs code during deployment/),
      }),
    ]);
  });

  it("leaves out a resource whose condition is false, saying so", async () => {
    // Act
    const { model, ignored } = await read({
      Parameters: { Stage: { Type: "String", Default: "dev" } },
      Conditions: { IsProduction: { "Fn::Equals": [{ Ref: "Stage" }, "prod"] } },
      Resources: { Queue: { Type: "AWS::SQS::Queue", Condition: "IsProduction" } },
    });

    // Assess
    expect(model.queues).toEqual([]);
    expect(ignored).toEqual([
      {
        logicalId: "Queue",
        type: "AWS::SQS::Queue",
        reason: "its condition IsProduction is false, so CloudFormation does not create it",
      },
    ]);
  });

  it("creates the resource when the parameter passed in makes its condition true", async () => {
    // Act
    const { model } = await read(
      {
        Parameters: { Stage: { Type: "String", Default: "dev" } },
        Conditions: { IsProduction: { "Fn::Equals": [{ Ref: "Stage" }, "prod"] } },
        Resources: { Queue: { Type: "AWS::SQS::Queue", Condition: "IsProduction" } },
      },
      { Stage: "prod" },
    );

    // Assess
    expect(model.queues.map((queue) => queue.logicalId)).toEqual(["Queue"]);
  });
});

describe("resolving the stack outputs", () => {
  it("resolves each output to a string, Fn::ToJsonString included", async () => {
    // Act
    const { model } = await read({
      Resources: { Queue: { Type: "AWS::SQS::Queue", Properties: { QueueName: "orders" } } },
      Outputs: {
        QueueArn: { Value: { "Fn::GetAtt": ["Queue", "Arn"] } },
        Retries: { Value: 3 },
        Subscriptions: { Value: { "Fn::ToJsonString": [{ name: "orders", queueUrl: { Ref: "Queue" } }] } },
      },
    });

    // Assess
    expect(model.outputs).toEqual({
      QueueArn: "arn:aws:sqs:us-east-1:000000000000:orders",
      Retries: "3",
      Subscriptions: '[{"name":"orders","queueUrl":"http://127.0.0.1:4010/000000000000/orders"}]',
    });
  });

  it("leaves out an output whose condition is false", async () => {
    // Act
    const { model } = await read({
      Conditions: { Never: { "Fn::Equals": ["a", "b"] } },
      Resources: {},
      Outputs: { Hidden: { Value: "x", Condition: "Never" }, Shown: { Value: "y" } },
    });

    // Assess
    expect(model.outputs).toEqual({ Shown: "y" });
  });

  it("refuses an output that is not a string, naming it", async () => {
    // Act
    const reading = read({ Resources: {}, Outputs: { Zones: { Value: { "Fn::GetAZs": "" } } } });

    // Assess
    await expect(reading).rejects.toThrow(TemplateResolutionError);
    await expect(reading).rejects.toThrow(/^Outputs\.Zones\.Value: the output resolves to \["us-east-1a"/);
  });

  it("refuses an output that imports another stack's export", async () => {
    // Act
    const reading = read({
      Resources: {},
      Outputs: { Shared: { Value: { "Fn::ImportValue": "shared-bus" } } },
    });

    // Assess
    await expect(reading).rejects.toThrow(UnsupportedFeatureError);
    await expect(reading).rejects.toThrow(
      /^Outputs\.Shared\.Value\.Fn::ImportValue: Fn::ImportValue "shared-bus"/,
    );
  });
});

describe("refusing what changes the template at deployment", () => {
  it("refuses a transform other than AWS::LanguageExtensions", async () => {
    // Act
    const reading = read({ Transform: "AWS::Serverless-2016-10-31", Resources: {} });

    // Assess
    await expect(reading).rejects.toThrow(/uses the transform "AWS::Serverless-2016-10-31"/);
  });

  it("accepts AWS::LanguageExtensions, whose functions it evaluates itself", async () => {
    // Act
    const { model } = await read({
      Transform: ["AWS::LanguageExtensions"],
      Resources: {},
      Outputs: { Count: { Value: { "Fn::ToJsonString": { count: { "Fn::Length": [1, 2] } } } } },
    });

    // Assess
    expect(model.outputs).toEqual({ Count: '{"count":2}' });
  });

  it("refuses resources generated by Fn::ForEach", async () => {
    // Act
    const reading = read({
      Transform: "AWS::LanguageExtensions",
      Resources: { "Fn::ForEach::Queues": { Type: "AWS::SQS::Queue" } },
    });

    // Assess
    await expect(reading).rejects.toThrow(/generates resources with Fn::ForEach::Queues/);
  });
});
