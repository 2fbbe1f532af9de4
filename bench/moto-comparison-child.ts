import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";

/**
 * The producer of `moto-comparison.bench.ts`, in its own process so that its CPU is not counted
 * with the server's. It publishes {@link ComparisonSpec.count} events to one bus, `perCall` entries
 * per PutEvents and `inFlight` calls at a time, and meanwhile polls the target queue's
 * ApproximateNumberOfMessages until every event is there or the deadline passes.
 *
 * It prints JSON lines on stdout, which the bench reads as they come (to sample the server's CPU
 * at each moment): `ready` just before the first call, `ingested` when the last call is answered
 * (or at the deadline), `routed` when the queue holds every event (or at the deadline), which is
 * the last line. At the deadline, calls still in flight are abandoned: the process exits.
 */

/** What the bench asks the producer to do. */
export interface ComparisonSpec {
  readonly endpoint: string;
  readonly region: string;
  readonly busName: string;
  readonly queueUrl: string;
  readonly source: string;
  readonly detailType: string;
  readonly count: number;
  readonly perCall: number;
  readonly inFlight: number;
  /** From the first call: no new call is made after it, and the run reports what it got so far. */
  readonly deadlineMs: number;
  /** Messages in the queue before the run (a warm-up's), subtracted from every count. */
  readonly baseline: number;
}

/** The `ready` line: epoch ms just before the first PutEvents call. */
export interface ReadyLine {
  readonly phase: "ready";
  readonly startedAt: number;
}

/** The `ingested` line. */
export interface IngestedLine {
  readonly phase: "ingested";
  readonly startedAt: number;
  /** Epoch ms of the last answer when every call was answered; else the deadline. */
  readonly lastAnswerAt: number;
  /** Entries accepted (the call's entries minus its FailedEntryCount). */
  readonly accepted: number;
  /** Entries refused, or in calls that failed. */
  readonly failed: number;
  /** Whether every call was answered before the deadline. */
  readonly complete: boolean;
  /** The first error a call failed with, if any. */
  readonly firstError?: string;
}

/** The `routed` line, the report's last. */
export interface RoutedLine {
  readonly phase: "routed";
  readonly startedAt: number;
  /** Epoch ms of the poll's answer that showed every event in the queue, or of the last poll. */
  readonly routedAt: number;
  /** Events in the queue at `routedAt` (baseline subtracted). */
  readonly routed: number;
  /** Whether every event reached the queue before the deadline. */
  readonly complete: boolean;
  /** GetQueueAttributes calls made. */
  readonly polls: number;
}

const credentials = { accessKeyId: "bench", secretAccessKey: "bench" };

/** Poll interval: 2 % of the time elapsed, between these bounds, so polling costs little at any rate. */
const MIN_POLL_MS = 20;
const MAX_POLL_MS = 1_000;

function line(value: ReadyLine | IngestedLine | RoutedLine): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

async function produce(spec: ComparisonSpec): Promise<void> {
  const config = { endpoint: spec.endpoint, region: spec.region, credentials, maxAttempts: 1 };
  const eventBridge = new EventBridgeClient(config);
  const sqs = new SQSClient(config);

  // Every entry is built before the clock starts.
  const calls: PutEventsRequestEntry[][] = [];
  for (let offset = 0; offset < spec.count; offset += spec.perCall) {
    const size = Math.min(spec.perCall, spec.count - offset);
    calls.push(
      Array.from({ length: size }, (_, i) => ({
        EventBusName: spec.busName,
        Source: spec.source,
        DetailType: spec.detailType,
        Detail: JSON.stringify({ n: offset + i, note: "moto comparison" }),
      })),
    );
  }

  // Connections opened untimed, as a long-running producer has them.
  await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: spec.queueUrl,
      AttributeNames: ["ApproximateNumberOfMessages"],
    }),
  );

  const startedAt = Date.now();
  const deadline = startedAt + spec.deadlineMs;
  line({ phase: "ready", startedAt });

  let next = 0;
  let accepted = 0;
  let failed = 0;
  let lastAnswerAt = startedAt;
  let firstError: string | undefined;
  const worker = async () => {
    while (next < calls.length && Date.now() < deadline) {
      const entries = calls[next++] ?? [];
      try {
        const answer = await eventBridge.send(new PutEventsCommand({ Entries: entries }));
        if (Date.now() > deadline) return;
        const refused = answer.FailedEntryCount ?? 0;
        accepted += entries.length - refused;
        failed += refused;
      } catch (error) {
        if (Date.now() > deadline) return;
        failed += entries.length;
        firstError ??= error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      lastAnswerAt = Date.now();
    }
  };
  const workers = Array.from({ length: spec.inFlight }, worker);
  const allAnswered = Promise.all(workers).then(() => true);
  const timedOut = sleep(spec.deadlineMs).then(() => false);
  const ingestComplete = (await Promise.race([allAnswered, timedOut])) && next >= calls.length;
  line({
    phase: "ingested",
    startedAt,
    lastAnswerAt: ingestComplete ? lastAnswerAt : deadline,
    accepted,
    failed,
    complete: ingestComplete,
    ...(firstError === undefined ? {} : { firstError }),
  });

  // Polled from here: no event can be in the queue before its call is answered, so only the last
  // answer's transit is lost, and polling does not compete with the calls.
  let routed = 0;
  let routedAt = startedAt;
  let polls = 0;
  let complete = false;
  for (;;) {
    const answer = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: spec.queueUrl,
        AttributeNames: ["ApproximateNumberOfMessages"],
      }),
    );
    polls++;
    routedAt = Date.now();
    routed = Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0) - spec.baseline;
    if (ingestComplete && routed >= accepted) {
      complete = accepted === spec.count;
      break;
    }
    if (routedAt >= deadline) break;
    const wait = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, (routedAt - startedAt) * 0.02));
    await sleep(Math.min(wait, deadline - routedAt));
  }
  line({ phase: "routed", startedAt, routedAt, routed, complete, polls });
  // Calls still in flight at the deadline are abandoned with the process.
  process.exit(0);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [mode, spec = ""] = process.argv.slice(2);
  if (mode === "produce") await produce(JSON.parse(spec) as ComparisonSpec);
  else throw new Error(`Unknown moto comparison child mode "${mode}"; expected "produce".`);
}
