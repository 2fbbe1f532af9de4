import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { ExitCode, runCli } from "../../lib/cli";
import { anEventBody, describeStacksAnswer, queue } from "../ops/stack-fixture";
import { fakeIo } from "./fake-io";

const cloudFormation = mockClient(CloudFormationClient);
const sqs = mockClient(SQSClient);
const AWS = ["--region", "eu-west-1"];

/** DLQ depths by queue name; every other queue is empty. */
let depths: Record<string, number>;
/** Messages each queue hands out, by queue name. */
let waiting: Record<string, Message[]>;

function deadLettered(eventId: string, attributes: Record<string, string> = {}): Message {
  return {
    MessageId: `msg-${eventId}`,
    ReceiptHandle: `rh-${eventId}`,
    Body: anEventBody(eventId),
    Attributes: { ApproximateReceiveCount: "6", SentTimestamp: String(Date.now() - 3_600_000) },
    MessageAttributes: Object.fromEntries(
      Object.entries(attributes).map(([k, v]) => [k, { DataType: "String", StringValue: v }]),
    ),
  };
}

const nameOf = (url: string | undefined) => url?.split("/").at(-1) ?? "";

beforeEach(() => {
  cloudFormation.reset();
  sqs.reset();
  depths = {};
  waiting = {};
  cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer());
  sqs.on(GetQueueAttributesCommand).callsFake((input: { QueueUrl: string }) => ({
    Attributes: {
      ApproximateNumberOfMessages: String(depths[nameOf(input.QueueUrl)] ?? 0),
      ApproximateNumberOfMessagesNotVisible: "0",
    },
  }));
  sqs.on(ReceiveMessageCommand).callsFake((input: { QueueUrl: string; MaxNumberOfMessages: number }) => ({
    Messages: (waiting[nameOf(input.QueueUrl)] ?? []).splice(0, input.MaxNumberOfMessages),
  }));
  sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });
  sqs.on(DeleteMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
    Successful: input.Entries.map((e) => ({ Id: e.Id })),
    Failed: [],
  }));
});

describe("eventrail dlq list", () => {
  it("lists every DLQ with its depth, oldest age and subscription, by default", async () => {
    // Prepare
    depths["inventory-dlq"] = 1;
    waiting["inventory-dlq"] = [deadLettered("e-1")];
    const io = fakeIo();

    // Act
    const code = await runCli(["dlq", ...AWS], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    const lines = io.out().split("\n");
    expect(lines[0]).toMatch(/^DLQ +KIND +SUBSCRIPTION +DEPTH +IN-FLIGHT +OLDEST$/);
    expect(lines[1]).toMatch(/^inventory +queue DLQ +inventory +1 +0 +1h 0m$/);
    expect(lines[2]).toMatch(/^inventory\/target +target DLQ +inventory +0 +0 +n\/a$/);
    expect(lines[5]).toMatch(/^audit\/target +target DLQ +\(audit trail\) +0 +0 +n\/a$/);
    expect(io.out()).toContain('1 dead-lettered message(s) (stack "Eventrail" in eu-west-1)');
  });

  it("receives nothing with --no-age", async () => {
    depths["inventory-dlq"] = 1;
    const io = fakeIo();
    expect(await runCli(["dlq", "list", "--no-age", "--json", ...AWS], io)).toBe(ExitCode.ok);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
    expect(JSON.parse(io.out()).deadLetterQueues[0]).toMatchObject({ name: "inventory", depth: 1 });
  });
});

describe("eventrail dlq peek", () => {
  it("shows the event ids, detail-type, receive count and EventBridge's error of a rule-target DLQ", async () => {
    // Prepare
    waiting["inventory-target-dlq"] = [
      deadLettered("e-1", {
        ERROR_CODE: "SQS_ERROR",
        ERROR_MESSAGE: "KMS.DisabledException",
        RETRY_ATTEMPTS: "185",
      }),
    ];
    const io = fakeIo();

    // Act
    const code = await runCli(["dlq", "peek", "inventory/target", ...AWS], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out()).toContain("1. OrderPlaced  received 6 time(s), sent 1h 0m ago");
    expect(io.out()).toContain("eventId e-1  EventBridge id eb-e-1  SQS msg-e-1");
    expect(io.out()).toContain("SQS_ERROR after 185 retries: KMS.DisabledException");
    expect(sqs.commandCalls(DeleteMessageBatchCommand)).toHaveLength(0);
  });

  it("needs the DLQ's name", async () => {
    const io = fakeIo();
    expect(await runCli(["dlq", "peek", ...AWS], io)).toBe(ExitCode.usage);
    expect(io.err()).toContain('dlq peek needs the DLQ\'s NAME, e.g. "eventrail dlq peek inventory"');
  });

  it("names the DLQs there are for an unknown name", async () => {
    const io = fakeIo();
    expect(await runCli(["dlq", "peek", "orders", ...AWS], io)).toBe(ExitCode.failure);
    expect(io.err()).toContain(
      'No dead-letter queue "orders" in stack "Eventrail"; expected one of: inventory, inventory/target',
    );
  });
});

describe("eventrail dlq redrive", () => {
  it("sends a rule-target DLQ's events back to the subscription's queue", async () => {
    // Prepare
    depths["inventory-target-dlq"] = 2;
    waiting["inventory-target-dlq"] = [deadLettered("e-1"), deadLettered("e-2")];
    sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: { Id: string }[] }) => ({
      Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: "n", MD5OfMessageBody: "" })),
      Failed: [],
    }));
    const io = fakeIo();

    // Act
    const code = await runCli(["dlq", "redrive", "inventory/target", ...AWS], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out()).toBe(
      `2 of 2 message(s) of inventory/target moved to ${queue("inventory-queue").url} by copying each message, then deleting it.\n`,
    );
  });

  it("exits 1 naming each message left in the DLQ and why", async () => {
    // Prepare
    depths["inventory-target-dlq"] = 1;
    waiting["inventory-target-dlq"] = [deadLettered("e-1")];
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [],
      Failed: [{ Id: "0", Code: "AccessDenied", SenderFault: true, Message: "not allowed" }],
    });
    const io = fakeIo();

    // Act
    const code = await runCli(["dlq", "redrive", "inventory/target", ...AWS], io);

    // Assess
    expect(code).toBe(ExitCode.failure);
    expect(io.err()).toBe("not moved: msg-e-1: AccessDenied: not allowed\n");
    expect(io.out()).toContain("They are still in the DLQ: fix the cause and run the redrive again.");
  });

  it("says what would move where in a dry run", async () => {
    depths["inventory-dlq"] = 7;
    const io = fakeIo();
    expect(await runCli(["dlq", "redrive", "inventory", "--dry-run", "--json", ...AWS], io)).toBe(
      ExitCode.ok,
    );
    expect(JSON.parse(io.out())).toMatchObject({
      dlq: "inventory",
      method: "move-task",
      toMove: 7,
      dryRun: true,
    });
  });

  it("refuses a --max that is not a whole number", async () => {
    const io = fakeIo();
    expect(await runCli(["dlq", "redrive", "inventory", "--max", "ten", ...AWS], io)).toBe(ExitCode.usage);
    expect(io.err()).toContain('--max "ten" is not a whole number of at least 1');
  });
});
