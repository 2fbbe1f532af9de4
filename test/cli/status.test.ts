import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { DescribeArchiveCommand, DescribeRuleCommand, EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ExitCode, runCli } from "../../lib/cli";
import { describeStacksAnswer } from "../ops/stack-fixture";
import { fakeIo } from "./fake-io";

const cloudFormation = mockClient(CloudFormationClient);
const eventBridge = mockClient(EventBridgeClient);
const sqs = mockClient(SQSClient);
const s3 = mockClient(S3Client);
const AWS = ["--region", "eu-west-1"];

beforeEach(() => {
  for (const mock of [cloudFormation, eventBridge, sqs, s3]) mock.reset();
  cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer());
  eventBridge
    .on(DescribeArchiveCommand)
    .resolves({ State: "ENABLED", EventCount: 1234, SizeBytes: 5 * 1024 * 1024, RetentionDays: 90 });
  eventBridge.on(DescribeRuleCommand).resolves({ State: "ENABLED" });
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({
    Attributes: {
      ApproximateNumberOfMessages: input.QueueUrl.endsWith("/inventory-dlq") ? "2" : "0",
      ApproximateNumberOfMessagesNotVisible: input.QueueUrl.endsWith("/inventory-queue") ? "3" : "0",
    },
  }));
  s3.on(ListObjectsV2Command).resolves({
    Contents: [
      { Key: "events/dt=2026-03-01/a.gz", LastModified: new Date(Date.now() - 120_000), Size: 2048 },
    ],
  });
});

describe("eventrail status", () => {
  it("shows the bus, the archive, each subscription's rule, depths and consumer, and the newest audit object", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["status", ...AWS], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    const out = io.out();
    expect(out).toContain('Stack    Eventrail (stack "Eventrail" in eu-west-1)');
    expect(out).toContain("Bus      eventrail  arn:aws:events:eu-west-1:123456789012:event-bus/eventrail");
    expect(out).toContain("Archive  eventrail-all  ENABLED  1,234 events, 5.0 MiB, kept 90 days");
    expect(out).toMatch(/^SUBSCRIPTION +RULE +QUEUE +IN-FLIGHT +DLQ +TARGET DLQ +CONSUMER$/m);
    expect(out).toMatch(/^inventory +ENABLED +0 +3 +2 +0 +Eventrail-inventoryConsumer$/m);
    expect(out).toMatch(/^analytics +ENABLED +0 +0 +0 +0 +Eventrail-analyticsConsumer$/m);
    expect(out).toMatch(
      /^Audit +s3:\/\/eventrail-audit\/events\/: newest events\/dt=2026-03-01\/a\.gz, 2m \d+s ago \(2\.0 KiB\); target DLQ 0$/m,
    );
  });

  it("prints the same as JSON for scripts", async () => {
    const io = fakeIo();
    expect(await runCli(["status", "--json", ...AWS], io)).toBe(ExitCode.ok);
    const status = JSON.parse(io.out()) as { subscriptions: { name: string; deadLetterDepth: number }[] };
    expect(status.subscriptions.map((s) => [s.name, s.deadLetterDepth])).toEqual([
      ["inventory", 2],
      ["analytics", 0],
    ]);
  });

  it("says in one line when the stack does not exist", async () => {
    // Prepare
    cloudFormation
      .on(DescribeStacksCommand)
      .rejects(Object.assign(new Error("Stack with id Nope does not exist"), { name: "ValidationError" }));
    const io = fakeIo();

    // Act
    const code = await runCli(["status", "--stack", "Nope", ...AWS], io);

    // Assess
    expect(code).toBe(ExitCode.failure);
    expect(io.err()).toMatch(
      /^eventrail status: error: CloudFormation stack "Nope" does not exist in this account and region; pass --stack NAME and --region R of the deployed pipeline stack\.\n$/,
    );
  });
});
