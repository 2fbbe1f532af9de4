import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  FunctionAssetError,
  loadLocalModel,
  readLocalAssembly,
  TemplateResolutionError,
  UnsupportedFeatureError,
} from "../../../lib/local/assembly";
import {
  aFunction,
  CloudAssemblyFixtures,
  type FixtureResource,
  FUNCTION_ASSET_FILES,
  HANDLER_SOURCE,
} from "./support/cloud-assembly-fixture";

const fixtures = new CloudAssemblyFixtures();
afterAll(() => fixtures.cleanUp());

const ARN_PREFIX = "arn:aws:sqs:us-east-1:000000000000";

async function readQueues(resources: Record<string, FixtureResource>) {
  const cdkOutDir = await fixtures.writeTemplate({ Resources: resources });
  return (await loadLocalModel({ cdkOutDir })).queues;
}

describe("reading a queue", () => {
  it("gives a queue SQS's defaults when the template sets none, with a 1 MiB largest message", async () => {
    // Act
    const [queue] = await readQueues({ Queue: { Type: "AWS::SQS::Queue" } });

    // Assess
    expect(queue).toEqual({
      logicalId: "Queue",
      name: "Test-Queue",
      arn: `${ARN_PREFIX}:Test-Queue`,
      url: "http://127.0.0.1:4010/000000000000/Test-Queue",
      visibilityTimeoutSeconds: 30,
      messageRetentionSeconds: 345_600,
      delaySeconds: 0,
      receiveMessageWaitTimeSeconds: 0,
      maximumMessageSize: 1_048_576,
    });
  });

  it("reads the settings and the redrive policy the template gives", async () => {
    // Act
    const queues = await readQueues({
      Dlq: { Type: "AWS::SQS::Queue", Properties: { QueueName: "orders-dlq" } },
      Queue: {
        Type: "AWS::SQS::Queue",
        Properties: {
          QueueName: "orders",
          VisibilityTimeout: 180,
          MessageRetentionPeriod: "1209600",
          DelaySeconds: 5,
          ReceiveMessageWaitTimeSeconds: 20,
          MaximumMessageSize: 262_144,
          RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": ["Dlq", "Arn"] }, maxReceiveCount: 5 },
        },
      },
    });

    // Assess
    expect(queues[1]).toMatchObject({
      name: "orders",
      visibilityTimeoutSeconds: 180,
      messageRetentionSeconds: 1_209_600,
      delaySeconds: 5,
      receiveMessageWaitTimeSeconds: 20,
      maximumMessageSize: 262_144,
      redrive: { deadLetterTargetArn: `${ARN_PREFIX}:orders-dlq`, maxReceiveCount: 5 },
    });
  });

  it("reads a redrive policy written as a JSON string", async () => {
    // Act
    const queues = await readQueues({
      Dlq: { Type: "AWS::SQS::Queue", Properties: { QueueName: "dlq" } },
      Queue: {
        Type: "AWS::SQS::Queue",
        Properties: { RedrivePolicy: `{"deadLetterTargetArn":"${ARN_PREFIX}:dlq","maxReceiveCount":"3"}` },
      },
    });

    // Assess
    expect(queues[1]?.redrive).toEqual({ deadLetterTargetArn: `${ARN_PREFIX}:dlq`, maxReceiveCount: 3 });
  });

  it("names the resource, the property and the reference when the redrive target does not resolve", async () => {
    // Act
    const reading = readQueues({
      Queue: {
        Type: "AWS::SQS::Queue",
        Properties: {
          RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": ["Missing", "Arn"] }, maxReceiveCount: 3 },
        },
      },
    });

    // Assess
    await expect(reading).rejects.toThrow(TemplateResolutionError);
    await expect(reading).rejects.toThrow(
      'Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn.Fn::GetAtt: Fn::GetAtt "Missing" names no resource',
    );
  });

  it("refuses a redrive to a queue outside the template", async () => {
    // Act
    const reading = readQueues({
      Queue: {
        Type: "AWS::SQS::Queue",
        Properties: {
          RedrivePolicy: { deadLetterTargetArn: "arn:aws:sqs:us-east-1:999999999999:x", maxReceiveCount: 3 },
        },
      },
    });

    // Assess
    await expect(reading).rejects.toThrow(
      /queue Queue redrives to arn:aws:sqs:us-east-1:999999999999:x, which is not a queue/,
    );
  });

  it("refuses a setting outside SQS's range, naming the value and the range", async () => {
    // Act
    const reading = readQueues({
      Queue: { Type: "AWS::SQS::Queue", Properties: { VisibilityTimeout: 50_000 } },
    });

    // Assess
    await expect(reading).rejects.toThrow(
      "Resources.Queue.Properties.VisibilityTimeout: 50000 is not a whole number from 0 to 43200 s",
    );
  });

  it("refuses a FIFO queue, which the local SQS does not emulate", async () => {
    // Act
    const reading = readQueues({
      Queue: { Type: "AWS::SQS::Queue", Properties: { FifoQueue: true, QueueName: "orders.fifo" } },
    });

    // Assess
    await expect(reading).rejects.toThrow(UnsupportedFeatureError);
    await expect(reading).rejects.toThrow(
      /queue Queue is a FIFO queue; the local SQS emulates standard queues only/,
    );
  });

  it("refuses two queues with the same name, which CloudFormation could not create", async () => {
    // Act
    const reading = readQueues({
      First: { Type: "AWS::SQS::Queue", Properties: { QueueName: "orders" } },
      Second: { Type: "AWS::SQS::Queue", Properties: { QueueName: "orders" } },
    });

    // Assess
    await expect(reading).rejects.toThrow(/Second and First are both the queue "orders"/);
  });
});

describe("reading a function", () => {
  const resources = (fn: FixtureResource): Record<string, FixtureResource> => ({
    Table: {
      Type: "AWS::DynamoDB::Table",
      Properties: { TableName: "state", KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }] },
    },
    Fn: fn,
  });

  async function readFunctions(
    fn: FixtureResource,
    files: Readonly<Record<string, string>> = FUNCTION_ASSET_FILES,
  ) {
    const cdkOutDir = await fixtures.writeTemplate({ Resources: resources(fn) }, files);
    return { cdkOutDir, reading: await readLocalAssembly({ cdkOutDir }) };
  }

  it("reads the asset folder, handler, runtime, Lambda's defaults and the resolved environment", async () => {
    // Act
    const { cdkOutDir, reading } = await readFunctions(
      aFunction({ Environment: { Variables: { TABLE: { Ref: "Table" }, RETRIES: 3, DEBUG: false } } }),
    );

    // Assess
    expect(reading.model.functions).toEqual([
      {
        logicalId: "Fn",
        name: "Test-Fn",
        arn: "arn:aws:lambda:us-east-1:000000000000:function:Test-Fn",
        assetDir: path.join(cdkOutDir, "asset.fn"),
        handler: "index.handler",
        runtime: "nodejs24.x",
        timeoutSeconds: 3,
        memorySize: 128,
        environment: { TABLE: "state", RETRIES: "3", DEBUG: "false" },
      },
    ]);
  });

  it("finds the code through the asset manifest when the template has no asset metadata", async () => {
    // Prepare
    const { Metadata: _withoutMetadata, ...fn } = aFunction({
      Handler: "src/app.handler",
      Timeout: 30,
      MemorySize: 512,
    });
    const cdkOutDir = await fixtures.write({
      stacks: [
        {
          template: { Resources: resources(fn) },
          assetManifestFiles: {
            abc123: {
              source: { path: "asset.abc123", packaging: "zip" },
              destinations: { current: { bucketName: "cdk-assets", objectKey: "fn.zip" } },
            },
          },
        },
      ],
      files: { "asset.abc123/src/app.mjs": HANDLER_SOURCE },
    });

    // Act
    const model = await loadLocalModel({ cdkOutDir });

    // Assess
    expect(model.functions[0]).toMatchObject({
      assetDir: path.join(cdkOutDir, "asset.abc123"),
      handler: "src/app.handler",
      timeoutSeconds: 30,
      memorySize: 512,
    });
  });

  it("refuses code that is not an asset of the assembly", async () => {
    // Prepare
    const { Metadata: _withoutMetadata, ...fn } = aFunction({
      Code: { S3Bucket: "artifacts", S3Key: "prebuilt.zip" },
    });

    // Act
    const reading = readFunctions(fn);

    // Assess
    await expect(reading).rejects.toThrow(UnsupportedFeatureError);
    await expect(reading).rejects.toThrow(
      /runs the S3 object prebuilt\.zip, which is not an asset of this cloud assembly/,
    );
  });

  it("tells the user to synthesize when the asset folder is missing", async () => {
    // Act
    const reading = readFunctions(aFunction({}, "asset.gone"), {});

    // Assess
    await expect(reading).rejects.toThrow(FunctionAssetError);
    await expect(reading).rejects.toThrow(
      /Function Fn: its code folder .*asset\.gone does not exist\. Run `npm run synth`/,
    );
  });

  it("tells the user to synthesize when the handler's file is not in the asset folder", async () => {
    // Act
    const reading = readFunctions(aFunction({ Handler: "main.handler" }));

    // Assess
    await expect(reading).rejects.toThrow(FunctionAssetError);
    await expect(reading).rejects.toThrow(
      /its handler "main\.handler" needs main\.js, \.mjs or \.cjs in .*asset\.fn/,
    );
  });

  it.each([
    [
      "a runtime other than Node.js",
      { Runtime: "python3.13" },
      /runs on python3\.13; the local pipeline runs Node\.js functions only/,
    ],
    ["inline code", { Code: { ZipFile: "exports.handler = () => {}" } }, /has inline code/],
    ["a container image", { PackageType: "Image", Code: { ImageUri: "repo:tag" } }, /is a container image/],
  ])("refuses %s", async (_kind, properties, message) => {
    // Act
    const reading = readFunctions(aFunction(properties));

    // Assess
    await expect(reading).rejects.toThrow(UnsupportedFeatureError);
    await expect(reading).rejects.toThrow(message);
  });

  it("refuses an environment variable that is not a string", async () => {
    // Act
    const reading = readFunctions(aFunction({ Environment: { Variables: { LIST: ["a"] } } }));

    // Assess
    await expect(reading).rejects.toThrow(
      'Resources.Fn.Properties.Environment.Variables.LIST: ["a"] is not a string; environment variables are strings',
    );
  });

  it("warns that layers are not mounted", async () => {
    // Act
    const { reading } = await readFunctions(
      aFunction({ Layers: ["arn:aws:lambda:us-east-1:1:layer:tools:1"] }),
    );

    // Assess
    expect(reading.warnings).toEqual([
      expect.objectContaining({
        logicalId: "Fn",
        message: expect.stringMatching(/uses layers, which the local pipeline does not mount/),
      }),
    ]);
  });

  it("leaves out a function that only serves a custom resource, without checking its code", async () => {
    // Prepare
    const cdkOutDir = await fixtures.writeTemplate({
      Resources: {
        Provider: aFunction({ Runtime: "python3.13" }, "asset.not-written"),
        Retention: {
          Type: "Custom::LogRetention",
          Properties: { ServiceToken: { "Fn::GetAtt": ["Provider", "Arn"] } },
        },
      },
    });

    // Act
    const { model, ignored } = await readLocalAssembly({ cdkOutDir });

    // Assess
    expect(model.functions).toEqual([]);
    expect(ignored).toContainEqual({
      logicalId: "Provider",
      type: "AWS::Lambda::Function",
      reason: "it serves the custom resource Retention, which runs only during deployment",
    });
  });
});

describe("reading an event source mapping", () => {
  const QUEUE_ARN = `${ARN_PREFIX}:Test-Queue`;

  async function readMappings(properties: Record<string, unknown>) {
    const cdkOutDir = await fixtures.writeTemplate(
      {
        Resources: {
          Queue: { Type: "AWS::SQS::Queue" },
          Consumer: aFunction({ FunctionName: "consumer" }),
          Mapping: {
            Type: "AWS::Lambda::EventSourceMapping",
            Properties: {
              EventSourceArn: { "Fn::GetAtt": ["Queue", "Arn"] },
              FunctionName: { Ref: "Consumer" },
              ...properties,
            },
          },
        },
      },
      FUNCTION_ASSET_FILES,
    );
    return readLocalAssembly({ cdkOutDir });
  }

  it("gives a mapping Lambda's defaults when the template sets none", async () => {
    // Act
    const { model } = await readMappings({});

    // Assess
    expect(model.eventSourceMappings).toEqual([
      {
        logicalId: "Mapping",
        functionName: "consumer",
        queueArn: QUEUE_ARN,
        batchSize: 10,
        maxBatchingWindowSeconds: 0,
        reportBatchItemFailures: false,
        enabled: true,
      },
    ]);
  });

  it("reads batch size, window, maximum concurrency, partial batch responses and Enabled", async () => {
    // Act
    const { model } = await readMappings({
      BatchSize: 100,
      MaximumBatchingWindowInSeconds: 5,
      ScalingConfig: { MaximumConcurrency: 4 },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
      Enabled: false,
    });

    // Assess
    expect(model.eventSourceMappings[0]).toMatchObject({
      batchSize: 100,
      maxBatchingWindowSeconds: 5,
      maxConcurrency: 4,
      reportBatchItemFailures: true,
      enabled: false,
    });
  });

  it("takes the function name out of a function ARN", async () => {
    // Act
    const { model } = await readMappings({ FunctionName: { "Fn::GetAtt": ["Consumer", "Arn"] } });

    // Assess
    expect(model.eventSourceMappings[0]?.functionName).toBe("consumer");
  });

  it.each([
    ["a Kinesis stream", "arn:aws:kinesis:us-east-1:000000000000:stream/clicks"],
    ["a DynamoDB stream", "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"],
  ])("refuses %s as a source", async (_kind, arn) => {
    // Act
    const reading = readMappings({ EventSourceArn: arn });

    // Assess
    await expect(reading).rejects.toThrow(UnsupportedFeatureError);
    await expect(reading).rejects.toThrow(
      `event source mapping Mapping reads ${arn}; the local pipeline runs SQS event sources only`,
    );
  });

  it("refuses FilterCriteria, which the local poller would not apply", async () => {
    // Act
    const reading = readMappings({ FilterCriteria: { Filters: [{ Pattern: '{"body":{"a":["b"]}}' }] } });

    // Assess
    await expect(reading).rejects.toThrow(
      /filters records with FilterCriteria, which the local poller does not apply/,
    );
  });

  it("refuses a mapping to a function outside the template", async () => {
    // Act
    const reading = readMappings({ FunctionName: "someone-elses-function" });

    // Assess
    await expect(reading).rejects.toThrow(
      /invokes "someone-elses-function", which is not a function of this template/,
    );
  });
});
