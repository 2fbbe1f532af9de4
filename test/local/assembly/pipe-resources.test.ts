import { afterAll, describe, expect, it } from "vitest";
import { readLocalAssembly, UnsupportedFeatureError } from "../../../lib/local/assembly";
import { CloudAssemblyFixtures, type FixtureResource } from "./support/cloud-assembly-fixture";

const fixtures = new CloudAssemblyFixtures();
afterAll(() => fixtures.cleanUp());

async function read(resources: Record<string, FixtureResource>) {
  const cdkOutDir = await fixtures.writeTemplate({ Resources: resources });
  return readLocalAssembly({ cdkOutDir });
}

/** A table with a stream, a bus, a relay function's stand-in and a DLQ: what an outbox pipe joins. */
const joined: Record<string, FixtureResource> = {
  Outbox: {
    Type: "AWS::DynamoDB::Table",
    Properties: {
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
      StreamSpecification: { StreamViewType: "NEW_IMAGE" },
    },
  },
  Bus: { Type: "AWS::Events::EventBus", Properties: { Name: "eventrail" } },
  Dlq: { Type: "AWS::SQS::Queue" },
};

function pipe(properties: Record<string, unknown>): FixtureResource {
  return {
    Type: "AWS::Pipes::Pipe",
    Properties: {
      RoleArn: "arn:aws:iam::000000000000:role/pipe",
      Source: { "Fn::GetAtt": ["Outbox", "StreamArn"] },
      Target: { "Fn::GetAtt": ["Bus", "Arn"] },
      ...properties,
    },
  };
}

describe("reading an EventBridge pipe", () => {
  it("reads the stream source's settings, the filter and the bus target's parameters", async () => {
    // Act
    const { model } = await read({
      ...joined,
      Pipe: pipe({
        SourceParameters: {
          DynamoDBStreamParameters: {
            StartingPosition: "TRIM_HORIZON",
            BatchSize: 10,
            MaximumRetryAttempts: 10,
            MaximumRecordAgeInSeconds: 3600,
            OnPartialBatchItemFailure: "AUTOMATIC_BISECT",
            DeadLetterConfig: { Arn: { "Fn::GetAtt": ["Dlq", "Arn"] } },
          },
          FilterCriteria: { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }] },
        },
        TargetParameters: {
          InputTemplate: "<$.detail>",
          EventBridgeEventBusParameters: { Source: "$.source", DetailType: "$.detailType" },
        },
      }),
    });

    // Assess
    expect(model.pipes).toEqual([
      expect.objectContaining({
        name: "Test-Pipe",
        sourceArn: model.tables[0]?.stream?.arn,
        targetArn: model.buses[0]?.arn,
        desiredState: "RUNNING",
        source: {
          startingPosition: "TRIM_HORIZON",
          batchSize: 10,
          maximumBatchingWindowSeconds: 0,
          maximumRetryAttempts: 10,
          maximumRecordAgeSeconds: 3600,
          bisectOnError: true,
          deadLetterArn: model.queues[0]?.arn,
        },
        filterPatterns: [{ eventName: ["INSERT"] }],
        target: { source: "$.source", detailType: "$.detailType", inputTemplate: "<$.detail>" },
      }),
    ]);
  });

  it("gives left-out retries and record age CloudFormation's defaults: -1, infinite", async () => {
    // Act
    const { model } = await read({
      ...joined,
      Pipe: pipe({ SourceParameters: { DynamoDBStreamParameters: { StartingPosition: "LATEST" } } }),
    });

    // Assess
    expect(model.pipes[0]?.source).toMatchObject({
      maximumRetryAttempts: -1,
      maximumRecordAgeSeconds: -1,
      batchSize: 100,
    });
  });

  it("refuses a record age AWS refuses, naming the property", async () => {
    // Act
    const reading = read({
      ...joined,
      Pipe: pipe({
        SourceParameters: {
          DynamoDBStreamParameters: { StartingPosition: "LATEST", MaximumRecordAgeInSeconds: 30 },
        },
      }),
    });

    // Assess
    await expect(reading).rejects.toThrow(/MaximumRecordAgeInSeconds.*30 is neither -1/);
  });

  it("refuses a source other than a DynamoDB stream, with the fix", async () => {
    // Act
    const reading = read({
      ...joined,
      Pipe: pipe({ Source: { "Fn::GetAtt": ["Dlq", "Arn"] } }),
    });

    // Assess
    await expect(reading).rejects.toThrow(UnsupportedFeatureError);
    await expect(reading).rejects.toThrow(/DynamoDB streams only/);
  });
});
