import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import {
  type AuditObjectFinder,
  getPipelineStatus,
  localAuditDelivery,
  localAuditObjectFinder,
  localPipes,
  type PipelineStatus,
  s3AuditObjectFinder,
} from "../../ops/status";
import { formatDuration } from "../../ops/time-window";
import { defineCommand, ExitCode } from "../command";
import { type CliIo, paint, writeLine } from "../io";
import { OPS_TARGET_USAGE, type OpsTarget, opsTargetOptions, resolveOpsTarget } from "../ops-target";
import { renderTable, type TableCell } from "../table";

/** `eventrail status`: the stack at a glance. */
export const statusCommand = defineCommand({
  name: "status",
  summary:
    "The stack at a glance: bus, rules, queue and DLQ depths, consumers, archive, outbox, audit trail.",
  description: [
    "Shows the bus; for each subscription its rule's state, the messages waiting in its queue and in flight",
    "(being processed), its DLQ and rule-target DLQ depths and its consumer; the archive's size and event",
    "count; the outbox's pipe state, backlog (local only: AWS publishes none) and pipe DLQ depth; the audit",
    "trail's target DLQ depth and newest object (local: the newest file under the audit folder; AWS: the newest",
    "object of today's and yesterday's dt= partitions). Nothing is received or changed.",
  ].join("\n"),
  usage: `[--json] ${OPS_TARGET_USAGE}`,
  options: {
    json: { type: "boolean", description: "Print the status as JSON." },
    ...opsTargetOptions,
  },
  examples: [
    "eventrail status --region eu-west-1",
    "eventrail status --local",
    "eventrail status --stack Eventrail-staging --json",
  ],
  async run(options, io) {
    const target = await resolveOpsTarget(options, {
      env: io.env,
      notice: (line) => writeLine(io.stderr, line),
    });
    const endpoint = target.kind === "local" ? target.clientConfig.endpoint : undefined;
    const sqs = new SQSClient(target.clientConfig);
    const [found, delivery, outbox] = await Promise.all([
      getPipelineStatus(
        { eventBridge: new EventBridgeClient(target.clientConfig), sqs },
        target.resources,
        await auditFinder(target),
      ),
      typeof endpoint === "string" ? localAuditDelivery(endpoint) : undefined,
      outboxStatus(target, sqs, typeof endpoint === "string" ? endpoint : undefined),
    ]);
    const status: PipelineStatus = {
      ...found,
      ...(delivery === undefined ? {} : { audit: { ...found.audit, delivery } }),
      ...(outbox === undefined ? {} : { outbox }),
    };
    if (options.json) writeLine(io.stdout, JSON.stringify(status, null, 2));
    else printStatus(io, status, target.label);
    return ExitCode.ok;
  },
});

/** The outbox's status, when the stack has one; the Pipes client is loaded only then. */
async function outboxStatus(target: OpsTarget, sqs: SQSClient, localEndpoint: string | undefined) {
  const { outbox } = target.resources;
  if (outbox === undefined) return undefined;
  const [{ PipesClient }, { getOutboxStatus }] = await Promise.all([
    import("@aws-sdk/client-pipes"),
    import("../../ops/outbox"),
  ]);
  const pipes = localEndpoint === undefined ? undefined : await localPipes(localEndpoint);
  return getOutboxStatus({ pipes: new PipesClient(target.clientConfig), sqs }, outbox, pipes);
}

async function auditFinder(target: OpsTarget): Promise<AuditObjectFinder> {
  const { auditBucketName: bucketName, auditEventsPrefix: eventsPrefix } = target.resources;
  if (target.kind === "local" && target.stateDir !== undefined) {
    return localAuditObjectFinder({ stateDir: target.stateDir, bucketName, eventsPrefix });
  }
  // Loaded here: a local pipeline's audit files are read directly.
  const { S3Client } = await import("@aws-sdk/client-s3");
  // An endpoint override (moto_server, LocalStack) serves buckets by path, not by host name.
  const s3 = new S3Client({
    ...target.clientConfig,
    forcePathStyle: target.clientConfig.endpoint !== undefined,
  });
  return s3AuditObjectFinder({ s3, bucketName, eventsPrefix });
}

function printStatus(io: CliIo, status: PipelineStatus, label: string): void {
  const out = io.stdout;
  const bold = (text: string) => paint(out, "bold", text);
  const count = (n: number | undefined) => (n === undefined ? "?" : n.toLocaleString("en-US"));
  writeLine(out, `${bold("Stack")}    ${status.stackName} (${label})`);
  writeLine(out, `${bold("Bus")}      ${status.bus.name}  ${paint(out, "dim", status.bus.arn)}`);
  const { archive } = status;
  const retention =
    archive.retentionDays === undefined
      ? ""
      : archive.retentionDays === 0
        ? ", kept forever"
        : `, kept ${archive.retentionDays} days`;
  writeLine(
    out,
    `${bold("Archive")}  ${archive.name}  ${archive.state ?? "?"}  ${count(archive.eventCount)} events, ${formatBytes(archive.sizeBytes)}${retention}`,
  );
  writeLine(out);
  const depth = (n: number, style: "red" | "yellow"): TableCell => (n > 0 ? { text: count(n), style } : "0");
  const rows = status.subscriptions.map((s): TableCell[] => [
    s.name,
    s.ruleState === "ENABLED" ? s.ruleState : { text: s.ruleState, style: "red" },
    count(s.queueDepth),
    count(s.inFlight),
    depth(s.deadLetterDepth, "red"),
    depth(s.targetDeadLetterDepth, "red"),
    s.consumer,
  ]);
  writeLine(
    out,
    renderTable(out, ["SUBSCRIPTION", "RULE", "QUEUE", "IN-FLIGHT", "DLQ", "TARGET DLQ", "CONSUMER"], rows),
  );
  writeLine(out);
  const newest = status.audit.newestObject;
  const newestText =
    newest === undefined
      ? paint(out, "yellow", "no object yet")
      : `newest ${newest.key}, ${formatDuration(Date.now() - newest.lastModified.getTime())} ago (${formatBytes(newest.sizeBytes)})`;
  const auditDlq = status.audit.targetDeadLetterDepth;
  writeLine(
    out,
    `${bold("Audit")}    ${status.audit.location}: ${newestText}; target DLQ ${auditDlq > 0 ? paint(out, "red", count(auditDlq)) : "0"}`,
  );
  for (const stream of status.audit.delivery ?? []) {
    const waiting = `${count(stream.pendingRecords)} events waiting to be written`;
    if (stream.failing === undefined) {
      writeLine(out, `         stream ${stream.stream}: ${waiting}`);
      continue;
    }
    writeLine(
      out,
      paint(
        out,
        "red",
        `         ALARM stream ${stream.stream}: writing audit objects fails since ${formatDuration(Date.now() - stream.failing.since)} (${stream.failing.attempts} attempts): ${stream.failing.error}; ${waiting}, kept in the spool`,
      ),
    );
  }
  printOutbox(io, status);
}

function printOutbox(io: CliIo, status: PipelineStatus): void {
  const { outbox } = status;
  if (outbox === undefined) return;
  const out = io.stdout;
  const state =
    outbox.pipeState === "RUNNING"
      ? outbox.pipeState
      : paint(out, "red", `${outbox.pipeState}${outbox.stateReason ? ` (${outbox.stateReason})` : ""}`);
  const backlog =
    outbox.backlog === undefined
      ? "backlog n/a in AWS (watch the pipe's alarms)"
      : `${outbox.backlog.toLocaleString("en-US")} record(s) to deliver`;
  const dlq = outbox.deadLetterDepth > 0 ? paint(out, "red", String(outbox.deadLetterDepth)) : "0";
  writeLine(
    out,
    `${paint(out, "bold", "Outbox")}   ${outbox.tableName} -> pipe ${outbox.pipeName} ${state}; ${backlog}; pipe DLQ ${dlq}`,
  );
}

function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined) return "? bytes";
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}
