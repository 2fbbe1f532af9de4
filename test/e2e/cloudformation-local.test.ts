import { execFile, spawnSync } from "node:child_process";
import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from "@aws-sdk/client-cloudformation";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ExitCode, runCli } from "../../lib/cli";
import { type RuntimeInfoHandle, writeRuntimeInfo } from "../../lib/local/runtime-info";
import type { PipelineStatus } from "../../lib/ops/status";
import { stackOutputs } from "../../lib/stack-outputs";
import { fakeIo } from "../cli/fake-io";
import { type ExamplePipeline, startExamplePipeline } from "./support/example-pipeline";

/** CloudFormation's read calls at the edge, and the ops commands with only AWS_ENDPOINT_URL set. */

let example: ExamplePipeline;
let cloudFormation: CloudFormationClient;
let runtimeInfo: RuntimeInfoHandle;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  example = await startExamplePipeline(100);
  const { endpoint } = example.pipeline;
  env = {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "local",
    AWS_SECRET_ACCESS_KEY: "local",
    EVENTRAIL_RUNTIME_DIR: await mkdtemp(path.join(tmpdir(), "eventrail-runtime-")),
  };
  // What `eventrail local` records when it starts, so that commands find its state folder.
  runtimeInfo = await writeRuntimeInfo(
    { endpoint, stateDir: example.stateDir, cdkOutDir: example.cdkOutDir },
    env,
  );
  cloudFormation = new CloudFormationClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
}, 180_000);

afterAll(async () => {
  await runtimeInfo?.remove();
  await example?.pipeline.stop();
});

describe("CloudFormation's read calls at the local edge", () => {
  it("describes the running stack with its outputs resolved to local values", async () => {
    // Act
    const answer = await cloudFormation.send(new DescribeStacksCommand({ StackName: "Eventrail" }));

    // Assess
    const [stack] = answer.Stacks ?? [];
    const template = JSON.parse(await readFile(example.pipeline.model.templateFile ?? "", "utf8")) as {
      Description: string;
      Outputs: Record<string, { Description?: string }>;
    };
    expect(stack).toMatchObject({
      StackName: "Eventrail",
      StackStatus: "CREATE_COMPLETE",
      StackId: expect.stringMatching(/^arn:aws:cloudformation:us-east-1:000000000000:stack\/Eventrail\//),
      Description: template.Description,
      Parameters: [],
    });
    const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
    expect(outputs).toEqual(example.pipeline.model.outputs);
    expect(outputs[stackOutputs.subscriptions]).toContain("inventory");
    expect(stack?.Outputs?.find((o) => o.OutputKey === stackOutputs.eventBusName)?.Description).toBe(
      template.Outputs[stackOutputs.eventBusName]?.Description,
    );
  });

  it("lists the stack's resources with their local physical ids", async () => {
    // Act
    const answer = await cloudFormation.send(new ListStackResourcesCommand({ StackName: "Eventrail" }));

    // Assess
    const summaries = answer.StackResourceSummaries ?? [];
    const queueUrls = example.pipeline.model.queues.map((queue) => queue.url);
    const listedQueues = summaries
      .filter((s) => s.ResourceType === "AWS::SQS::Queue")
      .map((s) => s.PhysicalResourceId);
    expect(listedQueues.toSorted()).toEqual(queueUrls.toSorted());
    expect(summaries.find((s) => s.ResourceType === "AWS::Events::EventBus")?.PhysicalResourceId).toBe(
      example.pipeline.model.buses[0]?.name,
    );
    // The physical ids are what the running pipeline answers to.
    const attributes = await example.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: listedQueues[0], AttributeNames: ["QueueArn"] }),
    );
    expect(attributes.Attributes?.QueueArn).toMatch(/^arn:aws:sqs:us-east-1:000000000000:/);
  });

  it("returns the template, and refuses an unknown stack and write calls as CloudFormation errors", async () => {
    // Act
    const template = await cloudFormation.send(new GetTemplateCommand({ StackName: "Eventrail" }));
    const unknown = await cloudFormation
      .send(new DescribeStacksCommand({ StackName: "NoSuchStack" }))
      .catch((error: unknown) => error);
    const write = await cloudFormation
      .send(new CreateStackCommand({ StackName: "Other", TemplateBody: "{}" }))
      .catch((error: unknown) => error);

    // Assess
    expect(Object.keys(JSON.parse(template.TemplateBody ?? "{}") as object)).toContain("Resources");
    expect(unknown).toMatchObject({
      name: "ValidationError",
      message: "Stack with id NoSuchStack does not exist",
    });
    expect(write).toMatchObject({ name: "InvalidAction", $metadata: { httpStatusCode: 400 } });
    expect((write as Error).message).toContain("serves only CloudFormation's read calls");
    expect((write as Error).message).toContain("npm start");
  });

  it("answers the AWS CLI's describe-stacks", async () => {
    // Prepare
    const aws = spawnSync("aws", ["--version"], { encoding: "utf8" });
    if (aws.error !== undefined) {
      console.warn(`skipped: the AWS CLI is not installed (${aws.error.message})`);
      return;
    }

    // Act: asynchronously, since the pipeline answering it runs in this process.
    const described = await promisify(execFile)(
      "aws",
      [
        "cloudformation",
        "describe-stacks",
        "--endpoint-url",
        example.pipeline.endpoint,
        "--region",
        "us-east-1",
        "--output",
        "json",
      ],
      {
        encoding: "utf8",
        env: { ...process.env, ...env, AWS_ENDPOINT_URL: undefined, AWS_PROFILE: undefined },
      },
    );

    // Assess
    expect(described.stderr).toBe("");
    const stacks = (
      JSON.parse(described.stdout) as {
        Stacks: { StackName: string; Outputs: { OutputKey: string; OutputValue: string }[] }[];
      }
    ).Stacks;
    expect(stacks[0]?.StackName).toBe("Eventrail");
    expect(Object.fromEntries((stacks[0]?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]))).toEqual(
      example.pipeline.model.outputs,
    );
  });

  it("runs eventrail status with only AWS_ENDPOINT_URL pointing at the local pipeline", async () => {
    // Prepare
    const io = fakeIo({ env });

    // Act
    const code = await runCli(["status", "--json"], io);

    // Assess
    expect(io.err()).toBe("");
    expect(code).toBe(ExitCode.ok);
    const status = JSON.parse(io.out()) as PipelineStatus;
    expect(status.subscriptions.map((s) => s.name).toSorted()).toEqual(
      example.pipeline.model.eventSourceMappings.length > 0
        ? (
            JSON.parse(example.pipeline.model.outputs[stackOutputs.subscriptions] ?? "[]") as {
              name: string;
            }[]
          )
            .map((s) => s.name)
            .toSorted()
        : [],
    );
    expect(status.audit.location).toContain(example.stateDir);
  });

  it("says which endpoint did not answer as CloudFormation does, and the fix", async () => {
    // Prepare: an endpoint with no local pipeline recorded on it answers EventBridge's protocol only.
    const { AWS_ACCESS_KEY_ID: _id, AWS_SECRET_ACCESS_KEY: _secret, ...withoutCredentials } = env;
    const io = fakeIo({ env: { ...withoutCredentials, AWS_ENDPOINT_URL: "http://127.0.0.1:9" } });

    // Act
    const code = await runCli(["status", "--region", "us-east-1"], io);

    // Assess
    expect(code).not.toBe(ExitCode.ok);
    expect(io.err()).toContain(
      "The endpoint http://127.0.0.1:9 did not answer CloudFormation's DescribeStacks",
    );
    expect(io.err()).toContain('"npm start"');
  });
});
