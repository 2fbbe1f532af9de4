import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterAll, describe, expect, it } from "vitest";
import { AWS_DEFAULTS } from "../../../lib/aws-limits";
import { LocalPipeline } from "../../../lib/local/local-pipeline";
import { CloudAssemblyFixtures } from "../assembly/support/cloud-assembly-fixture";

const fixtures = new CloudAssemblyFixtures();
const stops: (() => Promise<void>)[] = [];

afterAll(async () => {
  for (const stop of stops) await stop();
  await fixtures.cleanUp();
});

async function queueAttributes(properties: Record<string, unknown>): Promise<Record<string, string>> {
  const cdkOutDir = await fixtures.writeTemplate({
    Resources: { Queue: { Type: "AWS::SQS::Queue", Properties: { QueueName: "attributes", ...properties } } },
  });
  const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-queue-attributes-"));
  const pipeline = await LocalPipeline.start({ cdkOutDir, stateDir, port: 0 });
  stops.push(() => pipeline.stop());
  const sqs = new SQSClient({
    endpoint: pipeline.endpoint,
    region: pipeline.model.region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  const queueUrl = pipeline.model.queues[0]?.url;
  const answer = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["All"] }),
  );
  sqs.destroy();
  return answer.Attributes ?? {};
}

describe("a queue of the template on the local pipeline", () => {
  it("runs with every attribute the template sets", async () => {
    const attributes = await queueAttributes({
      VisibilityTimeout: 45,
      MessageRetentionPeriod: 3_600,
      DelaySeconds: 2,
      ReceiveMessageWaitTimeSeconds: 5,
      MaximumMessageSize: 2_048,
    });

    expect(attributes).toMatchObject({
      VisibilityTimeout: "45",
      MessageRetentionPeriod: "3600",
      DelaySeconds: "2",
      ReceiveMessageWaitTimeSeconds: "5",
      MaximumMessageSize: "2048",
    });
  });

  it("takes SQS's defaults for the attributes the template leaves out", async () => {
    const attributes = await queueAttributes({});

    expect(attributes).toMatchObject({
      VisibilityTimeout: String(AWS_DEFAULTS.sqsQueue.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(AWS_DEFAULTS.sqsQueue.messageRetentionSeconds),
      MaximumMessageSize: String(AWS_DEFAULTS.sqsQueue.maximumMessageSize),
    });
  });
});
