import { SQSClient } from "@aws-sdk/client-sqs";
import {
  deadLetterQueuesOf,
  describeDeadLetterQueues,
  findDeadLetterQueue,
  type PeekedMessage,
  peekDeadLetterQueue,
  type RedriveResult,
  redriveDeadLetterQueue,
} from "../../ops/dlq";
import type { StackResources } from "../../ops/stack-resources";
import { formatDuration } from "../../ops/time-window";
import { CliUsageError, defineCommand, ExitCode } from "../command";
import { defineCommandGroup } from "../command-group";
import { type CliIo, paint, writeLine } from "../io";
import { OPS_TARGET_USAGE, opsTargetOptions, resolveOpsTarget } from "../ops-target";
import { noProgressBar, progressBar } from "../progress-bar";
import { renderTable, type TableCell } from "../table";

const NAMES_HELP =
  "NAME is <subscription> for a subscription's queue DLQ (messages its consumer failed maxReceiveCount times),\n" +
  "<subscription>/target for its rule-target DLQ (events EventBridge could not deliver to the queue), or\n" +
  "audit/target for the audit trail's (events Firehose never received), or outbox/pipe for the outbox pipe's\n" +
  "(stream batches the pipe gave up on: redrive reads them back from the outbox table's stream, kept 24 hours).";

const listCommand = defineCommand({
  name: "dlq list",
  summary: "Every DLQ of the stack with its depth, oldest age and subscription (default).",
  description: [
    "Lists the queue DLQ and rule-target DLQ of every subscription and the audit trail's target DLQ, with the",
    "messages waiting and in flight. SQS has no attribute for the age of the oldest message (CloudWatch's",
    "ApproximateAgeOfOldestMessage is a metric), so it is computed from the SentTimestamp of up to 10 messages",
    "peeked from each non-empty DLQ: receiving them increments their ApproximateReceiveCount (--no-age skips it).",
    "A queue DLQ message's SentTimestamp is when it was first sent to the subscription's queue.",
  ].join("\n"),
  usage: `[--no-age] [--json] ${OPS_TARGET_USAGE}`,
  options: {
    "no-age": {
      type: "boolean",
      description: "Do not peek for the oldest age (shows n/a); no message is received.",
    },
    json: { type: "boolean", description: "Print { deadLetterQueues: [...] } as JSON." },
    ...opsTargetOptions,
  },
  examples: [
    "eventrail dlq list --region eu-west-1",
    "eventrail dlq --local",
    "eventrail dlq list --json --no-age",
  ],
  async run(options, io) {
    const target = await resolveOpsTarget(options, { env: io.env });
    const summaries = await describeDeadLetterQueues(
      new SQSClient(target.clientConfig),
      deadLetterQueuesOf(target.resources),
      { sampleAge: !options["no-age"] },
    );
    if (options.json) {
      writeLine(io.stdout, JSON.stringify({ deadLetterQueues: summaries }, null, 2));
      return ExitCode.ok;
    }
    const rows = summaries.map((s): TableCell[] => [
      s.name,
      s.kind === "queue" ? "queue DLQ" : s.kind === "pipe" ? "pipe DLQ" : "target DLQ",
      s.subscription ?? (s.kind === "pipe" ? "(outbox)" : "(audit trail)"),
      s.depth > 0 ? { text: String(s.depth), style: "red" } : "0",
      String(s.inFlight),
      s.oldestAgeMs === undefined ? "n/a" : formatDuration(s.oldestAgeMs),
    ]);
    writeLine(
      io.stdout,
      renderTable(io.stdout, ["DLQ", "KIND", "SUBSCRIPTION", "DEPTH", "IN-FLIGHT", "OLDEST"], rows),
    );
    const waiting = summaries.reduce((sum, s) => sum + s.depth, 0);
    writeLine(
      io.stdout,
      waiting === 0
        ? paint(io.stdout, "green", `All dead-letter queues are empty (${target.label}).`)
        : `${waiting} dead-lettered message(s) (${target.label}): "eventrail dlq peek NAME" shows them, "eventrail dlq redrive NAME" moves them back.`,
    );
    return ExitCode.ok;
  },
});

const peekCommand = defineCommand({
  name: "dlq peek",
  summary: "Show a DLQ's messages without consuming them: event ids, detail-type, receive count, errors.",
  description: [
    "Reads up to --max messages of a DLQ and makes them visible again at once; nothing is deleted. Shows each",
    "event's detail.metadata.eventId and EventBridge id, its detail-type, its receive count and, for a",
    "rule-target DLQ, EventBridge's ERROR_CODE and ERROR_MESSAGE. CAREFUL: receiving a message increments its",
    "ApproximateReceiveCount, and while a page is being read (seconds) its messages are hidden from other readers",
    "(up to 30 s if the command is killed mid-way).",
    NAMES_HELP,
  ].join("\n"),
  usage: `NAME [--max N] [--json] ${OPS_TARGET_USAGE}`,
  options: {
    dlq: {
      type: "string",
      valueName: "NAME",
      description: "The DLQ (or give NAME first): inventory, inventory/target, audit/target, outbox/pipe.",
    },
    max: { type: "string", valueName: "N", description: "At most N messages (default 10)." },
    json: { type: "boolean", description: "Print { dlq, messages: [...] } as JSON, with each body." },
    ...opsTargetOptions,
  },
  examples: [
    "eventrail dlq peek inventory --region eu-west-1",
    "eventrail dlq peek inventory/target --local --max 50",
    "eventrail dlq peek audit/target --json | jq '.messages[].body'",
  ],
  async run(options, io) {
    const name = requireDlqName(options.dlq, "peek");
    const max = wholeNumber("max", options.max) ?? 10;
    const target = await resolveOpsTarget(options, { env: io.env });
    const ref = findDeadLetterQueue(target.resources, name);
    const messages = await peekDeadLetterQueue(new SQSClient(target.clientConfig), ref, { max });
    if (options.json) {
      writeLine(io.stdout, JSON.stringify({ dlq: name, messages }, null, 2));
      return ExitCode.ok;
    }
    if (messages.length === 0) {
      writeLine(io.stdout, `${name} is empty (${target.label}).`);
      return ExitCode.ok;
    }
    writeLine(io.stdout, `${messages.length} message(s) of ${name} (${target.label}), left in place:`);
    for (const [index, message] of messages.entries()) printPeeked(io, index + 1, message);
    return ExitCode.ok;
  },
});

const redriveCommand = defineCommand({
  name: "dlq redrive",
  summary: "Move a DLQ's messages back to where they failed; nothing is lost if interrupted.",
  description: [
    "A queue DLQ goes back to its subscription's queue with SQS StartMessageMoveTask (progress from",
    "ListMessageMoveTasks); with --max it is copied instead. A rule-target DLQ is copied: each message's body",
    "(the event) is sent to the subscription's queue (audit/target: put to the Firehose delivery stream) and",
    "deleted from the DLQ only once the copy is confirmed, so an interrupted redrive loses nothing and can be",
    "run again. A message may then arrive twice: consumers are idempotent on detail.metadata.eventId.",
    "Fix the cause first (or the messages come back to the DLQ); --dry-run says what would move where.",
    NAMES_HELP,
  ].join("\n"),
  usage: `NAME [--max N] [--dry-run] [--json] ${OPS_TARGET_USAGE}`,
  options: {
    dlq: {
      type: "string",
      valueName: "NAME",
      description: "The DLQ (or give NAME first): inventory, inventory/target, audit/target, outbox/pipe.",
    },
    max: { type: "string", valueName: "N", description: "Move at most N messages (default: all)." },
    "dry-run": { type: "boolean", description: "Say how many messages would move where; move nothing." },
    json: { type: "boolean", description: "Print the outcome as JSON." },
    ...opsTargetOptions,
  },
  examples: [
    "eventrail dlq redrive inventory --region eu-west-1",
    "eventrail dlq redrive inventory/target --max 10 --local",
    "eventrail dlq redrive inventory --dry-run",
  ],
  async run(options, io) {
    const name = requireDlqName(options.dlq, "redrive");
    const max = wholeNumber("max", options.max);
    const target = await resolveOpsTarget(options, { env: io.env });
    const ref = findDeadLetterQueue(target.resources, name);
    const bar = options.json ? noProgressBar : progressBar(io.stderr);
    const result = await redriveDeadLetterQueue(
      {
        sqs: new SQSClient(target.clientConfig),
        ...(ref.redrive.kind === "delivery-stream"
          ? { firehose: new (await import("@aws-sdk/client-firehose")).FirehoseClient(target.clientConfig) }
          : {}),
        ...(ref.redrive.kind === "outbox-stream"
          ? {
              dynamoDbStreams: new (await import("@aws-sdk/client-dynamodb-streams")).DynamoDBStreamsClient(
                target.clientConfig,
              ),
              eventBridge: new (await import("@aws-sdk/client-eventbridge")).EventBridgeClient(
                target.clientConfig,
              ),
            }
          : {}),
      },
      ref,
      {
        max,
        dryRun: options["dry-run"],
        pollIntervalMs: target.kind === "local" ? 200 : 2_000,
        onProgress: (p) =>
          bar.update(
            p.total === 0 ? 1 : p.moved / p.total,
            `${p.moved}/${p.total} moved${p.failed > 0 ? `, ${p.failed} failed` : ""}`,
          ),
      },
    );
    bar.clear();
    if (options.json) writeLine(io.stdout, JSON.stringify(result, null, 2));
    else printRedrive(io, result, target.resources);
    const taskFailed = result.task !== undefined && result.task.status !== "COMPLETED";
    return result.failed.length > 0 || taskFailed ? ExitCode.failure : ExitCode.ok;
  },
});

/** `eventrail dlq`: list, peek at and redrive the stack's dead-letter queues. */
export const dlqCommand = defineCommandGroup({
  name: "dlq",
  summary: "List the dead-letter queues, peek at their messages, redrive them to where they failed.",
  description:
    "Every DLQ of the stack by name, found from the stack's outputs (--stack, default Eventrail) or, with\n" +
    `--local, from the local pipeline's assembly.\n${NAMES_HELP}`,
  subcommands: [
    { command: listCommand },
    { command: peekCommand, positional: "dlq" },
    { command: redriveCommand, positional: "dlq" },
  ],
  defaultSubcommand: "list",
  examples: [
    "eventrail dlq list --region eu-west-1",
    "eventrail dlq peek inventory --local",
    "eventrail dlq redrive inventory/target --local",
  ],
});

function requireDlqName(name: string | undefined, subcommand: string): string {
  if (name === undefined) {
    throw new CliUsageError(
      `dlq ${subcommand} needs the DLQ's NAME, e.g. "eventrail dlq ${subcommand} inventory"; "eventrail dlq list" shows the names.`,
    );
  }
  return name;
}

function wholeNumber(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new CliUsageError(
      `--${option} "${value}" is not a whole number of at least 1; e.g. --${option} 10.`,
    );
  }
  return Number(value);
}

function printPeeked(io: CliIo, index: number, message: PeekedMessage): void {
  const label = paint(io.stdout, "bold", `${index}. ${message.detailType ?? "(not an EventBridge event)"}`);
  const age = message.sentAt ? `, sent ${formatDuration(Date.now() - message.sentAt.getTime())} ago` : "";
  writeLine(io.stdout, `${label}  received ${message.receiveCount} time(s)${age}`);
  writeLine(
    io.stdout,
    `   eventId ${message.eventId ?? "n/a"}  EventBridge id ${message.eventBridgeId ?? "n/a"}  SQS ${message.messageId}`,
  );
  const failure = message.failure;
  if (failure !== undefined) {
    const retries = failure.retryAttempts === undefined ? "" : ` after ${failure.retryAttempts} retries`;
    const exhausted = failure.exhaustedRetryCondition ? ` (${failure.exhaustedRetryCondition})` : "";
    writeLine(
      io.stdout,
      `   ${paint(io.stdout, "red", failure.errorCode ?? "no ERROR_CODE")}${retries}${exhausted}: ${failure.errorMessage ?? ""}`,
    );
  }
}

function printRedrive(io: CliIo, result: RedriveResult, resources: StackResources): void {
  const how =
    result.method === "move-task" ? "an SQS message move task" : "copying each message, then deleting it";
  if (result.dryRun) {
    writeLine(
      io.stdout,
      `Dry run (nothing moved): ${result.toMove} message(s) of ${result.dlq} would go to ${result.destination} by ${how}.`,
    );
    return;
  }
  const failedTask = result.task !== undefined && result.task.status !== "COMPLETED";
  const outcome = `${result.moved} of ${result.toMove} message(s) of ${result.dlq} moved to ${result.destination} by ${how}`;
  writeLine(
    io.stdout,
    failedTask || result.failed.length > 0 ? paint(io.stdout, "red", `${outcome}.`) : `${outcome}.`,
  );
  if (failedTask) {
    writeLine(
      io.stdout,
      `The move task ended ${result.task?.status}: ${result.task?.failureReason ?? "no reason given"}.`,
    );
  }
  for (const failure of result.failed.slice(0, 20)) {
    writeLine(io.stderr, `${paint(io.stderr, "red", "not moved:")} ${failure.messageId}: ${failure.reason}`);
  }
  if (result.failed.length > 20)
    writeLine(io.stderr, `... and ${result.failed.length - 20} more; use --json to see all.`);
  if (result.failed.length > 0)
    writeLine(io.stdout, "They are still in the DLQ: fix the cause and run the redrive again.");
  if (result.notDeleted > 0) {
    writeLine(
      io.stdout,
      `${result.notDeleted} message(s) were sent but could not be deleted from the DLQ: a later redrive sends them again (consumers of ${resources.stackName} are idempotent on eventId).`,
    );
  }
}
