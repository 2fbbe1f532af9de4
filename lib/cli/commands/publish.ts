import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  DEFAULT_MAX_AUDIT_RECORD_BYTES,
  DEFAULT_MAX_ENTRY_BYTES,
  EventBridgePublisher,
  type EventPublisher,
  InMemoryPublisher,
  LEGACY_MAX_ENTRY_BYTES,
  type PublishInput,
} from "../../producer";
import { awsClientConfig, requireRegion } from "../aws-client-config";
import { CliUsageError, defineCommand, ExitCode } from "../command";
import { type CliIo, paint, writeLine } from "../io";
import { parsePublishLine } from "../publish-input";

/** Problems spelled out on stderr before the rest are only counted (all are in `--json`). */
const PROBLEMS_SHOWN = 50;

/** An event that was not published, by line. */
export interface PublishProblem {
  readonly line: number;
  readonly detailType: string;
  /** `invalid`: never sent (bad line, bad data, too large); `failed`: EventBridge refused it. */
  readonly status: "invalid" | "failed";
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** What `publish --json` prints. */
export interface PublishSummary {
  readonly bus: string;
  /** Events read (non-blank lines). */
  readonly events: number;
  readonly published: number;
  readonly failed: number;
  readonly invalid: number;
  readonly calls: number;
  readonly dryRun: boolean;
  /** Every event not published, by line number. */
  readonly problems: readonly PublishProblem[];
}

/** `eventrail publish`: NDJSON events through the publisher to a bus. */
export const publishCommand = defineCommand({
  name: "publish",
  summary: "Publish NDJSON events (a file or stdin) to an event bus through the publisher.",
  description: [
    "Reads one event per line and publishes them through the EventBridge publisher: validated against the",
    "catalog first, sent 10 to a PutEvents call, retried when throttled. Each line is either",
    '  {"detail-type": "OrderPlaced", "data": {...}}   (optional: correlationId, causationId, resources)',
    "or a full PutEvents entry",
    '  {"Source": "eventrail.orders", "DetailType": "OrderPlaced", "Detail": {"metadata": {...}, "data": {...}}}',
    "Every event that is not published is named with its line number and reason, and the exit code is 1.",
    "Without --endpoint the SDK's own settings apply (AWS_ENDPOINT_URL_EVENTBRIDGE, AWS_ENDPOINT_URL).",
  ].join("\n"),
  usage: "--bus NAME [--file F.ndjson] [--endpoint URL] [--region R] [--json] [options]",
  options: {
    bus: { type: "string", valueName: "NAME", required: true, description: "The event bus name or ARN." },
    file: {
      type: "string",
      short: "f",
      valueName: "F.ndjson",
      description: "Read events from this file instead of stdin.",
    },
    endpoint: {
      type: "string",
      valueName: "URL",
      description: "EventBridge endpoint, e.g. the local pipeline or moto_server.",
    },
    region: { type: "string", valueName: "R", description: "AWS region (default: AWS_REGION / profile)." },
    producer: {
      type: "string",
      valueName: "NAME",
      description: 'metadata.producer of detail-type lines (default "eventrail-cli"); entries keep theirs.',
    },
    "max-entry-bytes": {
      type: "string",
      valueName: "N",
      description: `PutEvents size limit (default ${DEFAULT_MAX_ENTRY_BYTES}; ${LEGACY_MAX_ENTRY_BYTES} for 256 KB buses).`,
    },
    "max-audit-record-bytes": {
      type: "string",
      valueName: "N|off",
      description: `Largest audit record an event may make (default ${DEFAULT_MAX_AUDIT_RECORD_BYTES}, Firehose's 1,000 KiB); off for a bus without the audit trail.`,
    },
    "max-in-flight": { type: "string", valueName: "N", description: "PutEvents calls at once (default 16)." },
    "dry-run": { type: "boolean", description: "Validate and batch, but send nothing." },
    json: { type: "boolean", description: "Print the summary as JSON, with every problem." },
  },
  examples: [
    "eventrail publish --bus orders --file events.ndjson --region eu-west-1",
    "cat events.ndjson | eventrail publish --bus orders --endpoint http://127.0.0.1:4010",
    `echo '{"detail-type":"OrderCancelled","data":{"orderId":"ORD-1","customerId":"CUST-1","reason":"customer-request"}}' | eventrail publish --bus orders`,
    "eventrail publish --bus orders --file events.ndjson --dry-run --json",
  ],
  async run(options, io) {
    const maxEntryBytes = integerOption("max-entry-bytes", options["max-entry-bytes"], 1);
    const maxAuditRecordBytes = auditLimitOption(options["max-audit-record-bytes"]);
    const maxInFlight = integerOption("max-in-flight", options["max-in-flight"], 1);
    const lines = await openLines(options.file, io);
    const settings = {
      eventBusName: options.bus,
      producer: options.producer ?? "eventrail-cli",
      ...(maxEntryBytes === undefined ? {} : { maxEntryBytes }),
      ...(maxAuditRecordBytes === undefined ? {} : { maxAuditRecordBytes }),
      ...(maxInFlight === undefined ? {} : { maxInFlight }),
    };
    let publisher: EventPublisher;
    if (options["dry-run"]) {
      publisher = new InMemoryPublisher({ ...settings, record: false });
    } else {
      const client = new EventBridgeClient(
        awsClientConfig({ endpoint: options.endpoint, region: options.region }, io.env),
      );
      await requireRegion(client);
      publisher = new EventBridgePublisher({ ...settings, client });
    }
    const summary = await publishLines(
      lines,
      publisher,
      options.bus,
      options["dry-run"],
      (problem, count) => {
        if (!options.json && count <= PROBLEMS_SHOWN) writeLine(io.stderr, describeProblem(problem, io));
      },
    );
    if (options.json) writeLine(io.stdout, JSON.stringify(summary, null, 2));
    else printSummary(summary, io);
    return summary.published === summary.events ? ExitCode.ok : ExitCode.failure;
  },
});

/**
 * Publishes NDJSON lines through a publisher, streaming (bounded memory whatever the input's
 * length), and tells each problem to `onProblem` as soon as it is known.
 */
export async function publishLines(
  lines: AsyncIterable<string>,
  publisher: EventPublisher,
  bus: string,
  dryRun: boolean,
  onProblem: (problem: PublishProblem, count: number) => void,
): Promise<PublishSummary> {
  const problems: PublishProblem[] = [];
  const report = (problem: PublishProblem) => {
    problems.push(problem);
    onProblem(problem, problems.length);
  };
  /** Line numbers of the inputs handed to the publisher and not yet reported: outcomes come in order. */
  const pendingLines: number[] = [];
  let events = 0;

  async function* inputs(): AsyncGenerator<PublishInput> {
    let line = 0;
    for await (const text of lines) {
      line++;
      const parsed = parsePublishLine(text, line);
      if (parsed === undefined) continue;
      events++;
      if (parsed.kind === "rejected") {
        const { kind: _kind, ...problem } = parsed;
        report({ ...problem, status: "invalid" });
        continue;
      }
      pendingLines.push(parsed.line);
      yield parsed.input;
    }
  }

  const stream = publisher.publishStream(inputs());
  for await (const outcome of stream) {
    const line = pendingLines.shift() ?? 0;
    if (outcome.status !== "published") {
      const { detailType, status, errorCode, errorMessage } = outcome;
      report({ line, detailType, status, errorCode, errorMessage });
    }
  }
  const { published, failed, calls } = stream.counts;
  const invalid = events - published - failed;
  problems.sort((a, b) => a.line - b.line);
  return { bus, events, published, failed, invalid, calls, dryRun, problems };
}

async function openLines(file: string | undefined, io: CliIo): Promise<AsyncIterable<string>> {
  if (file !== undefined && file !== "-") {
    try {
      await access(file);
    } catch {
      throw new CliUsageError(
        `--file "${file}" cannot be read: no such file, or no permission. Check the path.`,
      );
    }
    return createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  }
  if (io.stdin.isTTY === true) {
    throw new CliUsageError(
      "No input: pass --file F.ndjson, or pipe NDJSON to stdin (e.g. cat events.ndjson | eventrail publish --bus orders).",
    );
  }
  return createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
}

function integerOption(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min) {
    throw new CliUsageError(
      `--${name} "${value}" is not a whole number of at least ${min}; e.g. --${name} 16.`,
    );
  }
  return number;
}

/** `--max-audit-record-bytes`: a whole number of bytes, or `off` for a bus without the audit trail. */
function auditLimitOption(value: string | undefined): number | false | undefined {
  if (value === undefined) return undefined;
  if (value === "off") return false;
  if (!/^\d+$/.test(value) || Number(value) < 1) {
    throw new CliUsageError(
      `--max-audit-record-bytes "${value}" is neither a whole number of at least 1 nor "off"; e.g. --max-audit-record-bytes ${DEFAULT_MAX_AUDIT_RECORD_BYTES} (the default), or off for a bus no audit trail records.`,
    );
  }
  return Number(value);
}

function describeProblem(problem: PublishProblem, io: CliIo): string {
  const label = paint(io.stderr, "red", `line ${problem.line}:`);
  return `${label} ${problem.detailType} ${problem.status} (${problem.errorCode}): ${problem.errorMessage}`;
}

function printSummary(summary: PublishSummary, io: CliIo): void {
  const hidden = summary.problems.length - PROBLEMS_SHOWN;
  if (hidden > 0) writeLine(io.stderr, `... and ${hidden} more problem(s); use --json to see them all.`);
  const verb = summary.dryRun ? "Validated (dry run, nothing sent)" : "Published";
  const counts = `${summary.published.toLocaleString("en-US")} of ${summary.events.toLocaleString("en-US")}`;
  const calls = summary.dryRun ? "" : ` in ${summary.calls.toLocaleString("en-US")} PutEvents call(s)`;
  const tail =
    summary.failed + summary.invalid === 0
      ? paint(io.stdout, "green", "all ok.")
      : paint(io.stdout, "red", `${summary.failed} failed, ${summary.invalid} invalid.`);
  writeLine(io.stdout, `${verb} ${counts} event(s) to bus "${summary.bus}"${calls}: ${tail}`);
}
