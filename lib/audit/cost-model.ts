import { AWS_DEFAULTS } from "../aws-limits";
/**
 * A monthly cost model of the pipeline, computed from a synthesized CloudFormation template (which
 * rules route which event types where, queue batching, function memory and architecture, Firehose
 * buffering, the Athena cutoff, how many keys, alarms and dashboards) and a stated price sheet and
 * workload. Every line carries its arithmetic, so the README can show how each figure was reached.
 */

/** Prices used by the model; us-east-1, on-demand, free tiers left out. */
export interface PriceSheet {
  /** EventBridge custom events published, per million 64 KB chunks. */
  readonly eventBridgePerMillionEvents: number;
  /** EventBridge archive: per GB of events archived. */
  readonly archivePerGbProcessed: number;
  /** SQS standard requests, per million 64 KB chunks. */
  readonly sqsPerMillionRequests: number;
  /** Lambda requests, per million. */
  readonly lambdaPerMillionRequests: number;
  /** Lambda compute, per GB-second, x86_64. */
  readonly lambdaPerGbSecondX86: number;
  /** Lambda compute, per GB-second, arm64. */
  readonly lambdaPerGbSecondArm: number;
  /** Firehose Direct PUT ingestion, per GB after rounding every record up to 5 KB. */
  readonly firehosePerGbIngested: number;
  /** S3 Standard storage, per GB-month. */
  readonly s3StandardPerGbMonth: number;
  /** S3 PUT, COPY, POST, LIST, per 1,000 requests. */
  readonly s3PutPerThousand: number;
  /** S3 GET, per 1,000 requests. */
  readonly s3GetPerThousand: number;
  /** Athena SQL, per TB (10^12 bytes) scanned, each query rounded up to whole MB with a 10 MB minimum. */
  readonly athenaPerTbScanned: number;
  /** KMS customer-managed key, per key-month. */
  readonly kmsPerKeyMonth: number;
  /** KMS requests, per 10,000. */
  readonly kmsPerTenThousandRequests: number;
  /** X-Ray traces recorded, per million. */
  readonly xrayPerMillionTraces: number;
  /** CloudWatch standard-resolution alarm, per alarm-month. */
  readonly alarmPerMonth: number;
  /** CloudWatch dashboard, per dashboard-month. */
  readonly dashboardPerMonth: number;
}

/** Public list prices, us-east-1, as stated on the AWS pricing pages (checked 2026). */
export const US_EAST_1_PRICES: PriceSheet = {
  eventBridgePerMillionEvents: 1.0,
  archivePerGbProcessed: 0.1,
  sqsPerMillionRequests: 0.4,
  lambdaPerMillionRequests: 0.2,
  lambdaPerGbSecondX86: 0.0000166667,
  lambdaPerGbSecondArm: 0.0000133334,
  firehosePerGbIngested: 0.029,
  s3StandardPerGbMonth: 0.023,
  s3PutPerThousand: 0.005,
  s3GetPerThousand: 0.0004,
  athenaPerTbScanned: 5.0,
  kmsPerKeyMonth: 1.0,
  kmsPerTenThousandRequests: 0.03,
  xrayPerMillionTraces: 5.0,
  alarmPerMonth: 0.1,
  dashboardPerMonth: 3.0,
};

/** Sizes the model uses; each is a billing unit of the service named. */
export const BILLING_UNITS = {
  /** EventBridge and SQS bill each 64 KB of a payload as one request. */
  chunkBytes: 65_536,
  /** Firehose rounds every record up to the next 5 KB. */
  firehoseRecordBytes: 5_120,
  gigabyte: 1_073_741_824,
  /** Athena bills MB and TB in powers of ten, like its 10 MB (10,000,000 bytes) minimum cutoff. */
  athenaMegabyte: 1_000_000,
  athenaMinimumBytes: 10_000_000,
  athenaTerabyte: 1_000_000_000_000,
  secondsPerMonth: 30 * 86_400,
  daysPerMonth: 30,
} as const;

/** What the model needs to know of the traffic; none of it is in the template. */
export interface Workload {
  readonly eventsPerMonth: number;
  /** Share of each detail-type in the traffic; the shares add up to 1. */
  readonly mix: Readonly<Record<string, number>>;
  /** Size in bytes of one whole EventBridge event (envelope and detail) of each detail-type. */
  readonly eventBytes: Readonly<Record<string, number>>;
  /** gzip output size / input size of a day of audit records. */
  readonly gzipRatio: number;
  /** Fixed cost of one consumer invocation, in ms. */
  readonly invocationMillis: number;
  /** Added cost of each record of a batch, in ms. */
  readonly recordMillis: number;
  /** Athena queries over one day's partition, per month. */
  readonly athenaDayQueriesPerMonth: number;
  /**
   * ReceiveMessage calls that return nothing, per queue per second, while Lambda long-polls an idle
   * queue. AWS does not publish the figure; 5 pollers with 20 s long polls give 0.25.
   */
  readonly emptyReceivesPerQueuePerSecond: number;
  /** For the alternative: milliseconds and memory of a function that PUTs one object per event. */
  readonly putPerEventMillis: number;
  readonly putPerEventMemoryMb: number;
}

/** One subscription's route as the template declares it. */
export interface RouteFacts {
  /** Logical id of the rule. */
  readonly rule: string;
  /** The detail-types the rule matches. */
  readonly detailTypes: readonly string[];
  /** Logical id of the target queue. */
  readonly queue: string;
  /** The consumer reading the queue. */
  readonly consumer: {
    readonly function: string;
    readonly memoryMb: number;
    readonly architecture: "arm64" | "x86_64";
    readonly batchSize: number;
    readonly batchingWindowSeconds: number;
    /** X-Ray active tracing: Lambda samples 1 invocation a second and 5 % of the rest. */
    readonly activeTracing: boolean;
  };
}

/** What the cost model reads from a synthesized template. */
export interface PipelineFacts {
  readonly routes: readonly RouteFacts[];
  /** Buffering of the audit delivery stream, when there is one. */
  readonly firehose?: { readonly bufferingIntervalSeconds: number; readonly bufferingSizeMiB: number };
  /** The Athena workgroup's per-query cutoff, when there is one. */
  readonly athenaCutoffBytes?: number;
  readonly archives: number;
  readonly kmsKeys: number;
  readonly alarms: number;
  readonly dashboards: number;
  /** Queues that a Lambda event source mapping polls. */
  readonly polledQueues: number;
}

/** Raised when the template lacks what the model needs. */
export class CostModelError extends Error {
  public override readonly name = "CostModelError";
}

type Template = {
  readonly Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
};

function logicalIdOf(reference: unknown): string | undefined {
  if (typeof reference !== "object" || reference === null) return undefined;
  const ref = reference as { Ref?: unknown; "Fn::GetAtt"?: unknown };
  if (typeof ref.Ref === "string") return ref.Ref;
  const getAtt = ref["Fn::GetAtt"];
  return Array.isArray(getAtt) && typeof getAtt[0] === "string" ? getAtt[0] : undefined;
}

/**
 * Reads the routes and the priced resources of a synthesized template: every rule whose pattern
 * lists detail-types and whose target is a queue polled by a Lambda event source mapping.
 */
export function readPipelineFacts(template: object): PipelineFacts {
  const resources = Object.entries((template as Template).Resources ?? {});
  const ofType = (type: string) => resources.filter(([, r]) => r.Type === type);
  const byId = new Map(resources);

  const mappings = ofType("AWS::Lambda::EventSourceMapping").map(([, r]) => r.Properties ?? {});
  const routes: RouteFacts[] = [];
  for (const [ruleId, rule] of ofType("AWS::Events::Rule")) {
    const pattern = (rule.Properties?.EventPattern ?? {}) as Record<string, unknown>;
    const detailTypes = pattern["detail-type"];
    if (!Array.isArray(detailTypes) || !detailTypes.every((d) => typeof d === "string")) continue;
    const targets = (rule.Properties?.Targets ?? []) as { Arn?: unknown }[];
    for (const target of targets) {
      const queue = logicalIdOf(target.Arn);
      if (queue === undefined || byId.get(queue)?.Type !== "AWS::SQS::Queue") continue;
      const mapping = mappings.find((m) => logicalIdOf(m.EventSourceArn) === queue);
      const functionId = logicalIdOf(mapping?.FunctionName);
      const fn = functionId === undefined ? undefined : byId.get(functionId)?.Properties;
      if (mapping === undefined || functionId === undefined || fn === undefined) {
        throw new CostModelError(`Rule ${ruleId} targets queue ${queue}, but no Lambda function polls it`);
      }
      const architectures = (fn.Architectures ?? ["x86_64"]) as string[];
      routes.push({
        rule: ruleId,
        detailTypes,
        queue,
        consumer: {
          function: functionId,
          memoryMb: Number(fn.MemorySize ?? 128),
          architecture: architectures[0] === "arm64" ? "arm64" : "x86_64",
          batchSize: Number(mapping.BatchSize ?? 10),
          batchingWindowSeconds: Number(mapping.MaximumBatchingWindowInSeconds ?? 0),
          activeTracing: (fn.TracingConfig as { Mode?: string } | undefined)?.Mode === "Active",
        },
      });
    }
  }

  const stream = ofType("AWS::KinesisFirehose::DeliveryStream")[0]?.[1].Properties;
  const hints = (stream?.ExtendedS3DestinationConfiguration as { BufferingHints?: Record<string, number> })
    ?.BufferingHints;
  const workGroup = ofType("AWS::Athena::WorkGroup")[0]?.[1].Properties?.WorkGroupConfiguration as
    | { BytesScannedCutoffPerQuery?: number }
    | undefined;
  return {
    routes,
    firehose: hints
      ? {
          bufferingIntervalSeconds: hints.IntervalInSeconds ?? AWS_DEFAULTS.firehoseBuffering.intervalSeconds,
          bufferingSizeMiB: hints.SizeInMBs ?? AWS_DEFAULTS.firehoseBuffering.sizeMiB,
        }
      : undefined,
    athenaCutoffBytes: workGroup?.BytesScannedCutoffPerQuery,
    archives: ofType("AWS::Events::Archive").length,
    kmsKeys: ofType("AWS::KMS::Key").length,
    alarms: ofType("AWS::CloudWatch::Alarm").length,
    dashboards: ofType("AWS::CloudWatch::Dashboard").length,
    polledQueues: new Set(mappings.map((m) => logicalIdOf(m.EventSourceArn))).size,
  };
}

/** One priced line. */
export interface CostLine {
  /** Groups lines: `events`, `subscriptions`, `audit`, `fixed`, `alternative`. */
  readonly group: string;
  readonly item: string;
  /** USD per month. */
  readonly cost: number;
  /** How `cost` was computed, with the numbers. */
  readonly arithmetic: string;
}

/** The model's answer. */
export interface CostEstimate {
  readonly lines: readonly CostLine[];
  /** USD per month of the pipeline as synthesized. */
  readonly total: number;
  /** The audit path alone (Firehose, S3, Athena): what the alternative replaces. */
  readonly auditTotal: number;
  /** The alternative audit path: a Lambda on the audit rule doing one S3 PUT per event. */
  readonly alternative: readonly CostLine[];
  readonly alternativeTotal: number;
  /** Most one query can cost in the workgroup, by its cutoff; undefined without a workgroup. */
  readonly maxCostPerQuery?: number;
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");
const usd = (n: number) => `$${n < 0.01 ? n.toPrecision(3) : n.toFixed(2)}`;
const gb = (bytes: number) => bytes / BILLING_UNITS.gigabyte;

/** Athena's bill for a scan of `bytes`: whole MB, at least 10 MB. */
export function athenaBilledBytes(bytes: number): number {
  const rounded = Math.ceil(bytes / BILLING_UNITS.athenaMegabyte) * BILLING_UNITS.athenaMegabyte;
  return Math.max(BILLING_UNITS.athenaMinimumBytes, rounded);
}

/** Firehose's billed size of a record: rounded up to the next 5 KB. */
export function firehoseBilledBytes(recordBytes: number): number {
  return Math.ceil(recordBytes / BILLING_UNITS.firehoseRecordBytes) * BILLING_UNITS.firehoseRecordBytes;
}

/** Records per Lambda invocation: the window's arrivals, at least 1, at most the batch size. */
export function expectedBatch(messagesPerSecond: number, batchSize: number, windowSeconds: number): number {
  return Math.min(batchSize, Math.max(1, messagesPerSecond * windowSeconds));
}

/** Traces X-Ray's default rule keeps of a month of invocations: the first each second, 5 % of the rest. */
export function tracesSampled(invocationsPerMonth: number): number {
  const perSecond = invocationsPerMonth / BILLING_UNITS.secondsPerMonth;
  return BILLING_UNITS.secondsPerMonth * (Math.min(perSecond, 1) + 0.05 * Math.max(0, perSecond - 1));
}

/** Prices the pipeline of `facts` under `workload`. */
export function estimateMonthlyCost(
  facts: PipelineFacts,
  workload: Workload,
  prices: PriceSheet = US_EAST_1_PRICES,
): CostEstimate {
  const types = Object.keys(workload.mix);
  const eventsOf = (detailType: string) => workload.eventsPerMonth * (workload.mix[detailType] ?? 0);
  const bytesOf = (detailType: string) => {
    const bytes = workload.eventBytes[detailType];
    if (bytes === undefined) throw new CostModelError(`Workload has no eventBytes for ${detailType}`);
    return bytes;
  };
  const chunks = (bytes: number) => Math.ceil(bytes / BILLING_UNITS.chunkBytes);
  const rawBytes = types.reduce((sum, t) => sum + eventsOf(t) * bytesOf(t), 0);
  const averageBytes = rawBytes / workload.eventsPerMonth;
  const lines: CostLine[] = [];
  const add = (line: CostLine) => lines.push(line);

  const eventChunks = types.reduce((sum, t) => sum + eventsOf(t) * chunks(bytesOf(t)), 0);
  add({
    group: "events",
    item: "EventBridge PutEvents",
    cost: (eventChunks / 1e6) * prices.eventBridgePerMillionEvents,
    arithmetic: `${count(eventChunks)} events of ${Math.round(averageBytes)} B average (1 chunk of 64 KB each) x $${prices.eventBridgePerMillionEvents}/M`,
  });
  if (facts.archives > 0) {
    add({
      group: "events",
      item: "EventBridge archive",
      cost: facts.archives * gb(rawBytes) * prices.archivePerGbProcessed,
      arithmetic: `${facts.archives} archive x ${gb(rawBytes).toFixed(3)} GB x $${prices.archivePerGbProcessed}/GB (storage of the archive left out)`,
    });
  }

  for (const route of facts.routes) {
    const messages = route.detailTypes.reduce((sum, t) => sum + eventsOf(t), 0);
    const c = route.consumer;
    const batch = expectedBatch(
      messages / BILLING_UNITS.secondsPerMonth,
      c.batchSize,
      c.batchingWindowSeconds,
    );
    const invocations = messages / batch;
    const emptyReceives = workload.emptyReceivesPerQueuePerSecond * BILLING_UNITS.secondsPerMonth;
    // SendMessage (EventBridge) per message; ReceiveMessage and DeleteMessageBatch per batch; idle polls.
    const requests = messages + 2 * invocations + emptyReceives;
    add({
      group: "subscriptions",
      item: `SQS ${route.queue}`,
      cost: (requests / 1e6) * prices.sqsPerMillionRequests,
      arithmetic: `(${count(messages)} sends + 2 x ${count(invocations)} receive/delete batches + ${count(emptyReceives)} empty long polls) x $${prices.sqsPerMillionRequests}/M`,
    });
    const millis = Math.ceil(workload.invocationMillis + batch * workload.recordMillis);
    const gbSeconds = invocations * (millis / 1000) * (c.memoryMb / 1024);
    const perGbSecond =
      c.architecture === "arm64" ? prices.lambdaPerGbSecondArm : prices.lambdaPerGbSecondX86;
    add({
      group: "subscriptions",
      item: `Lambda ${c.function}`,
      cost: (invocations / 1e6) * prices.lambdaPerMillionRequests + gbSeconds * perGbSecond,
      arithmetic: `${count(invocations)} invocations (batch ${batch.toFixed(2)}) x $${prices.lambdaPerMillionRequests}/M + ${count(invocations)} x ${millis} ms x ${c.memoryMb} MB = ${count(gbSeconds)} GB-s x $${perGbSecond} (${c.architecture})`,
    });
    if (c.activeTracing) {
      const perSecond = invocations / BILLING_UNITS.secondsPerMonth;
      const traces = tracesSampled(invocations);
      add({
        group: "subscriptions",
        item: `X-Ray ${c.function}`,
        cost: (traces / 1e6) * prices.xrayPerMillionTraces,
        arithmetic: `${count(traces)} traces (${perSecond.toFixed(2)} invocations/s: 1/s sampled, then 5 %) x $${prices.xrayPerMillionTraces}/M`,
      });
    }
  }

  const compressedBytes = rawBytes * workload.gzipRatio;
  let maxCostPerQuery: number | undefined;
  let auditTotal = 0;
  if (facts.firehose) {
    const billed = types.reduce((sum, t) => sum + eventsOf(t) * firehoseBilledBytes(bytesOf(t)), 0);
    const { bufferingIntervalSeconds, bufferingSizeMiB } = facts.firehose;
    const objects = Math.max(
      BILLING_UNITS.secondsPerMonth / bufferingIntervalSeconds,
      rawBytes / (bufferingSizeMiB * 1_048_576),
    );
    const dayBytes = compressedBytes / BILLING_UNITS.daysPerMonth;
    const scanned = athenaBilledBytes(dayBytes);
    const objectsPerDay = objects / BILLING_UNITS.daysPerMonth;
    const q = workload.athenaDayQueriesPerMonth;
    const audit: CostLine[] = [
      {
        group: "audit",
        item: "Firehose ingestion",
        cost: gb(billed) * prices.firehosePerGbIngested,
        arithmetic: `${count(workload.eventsPerMonth)} records rounded up to 5 KB = ${gb(billed).toFixed(3)} GB (raw ${gb(rawBytes).toFixed(3)} GB) x $${prices.firehosePerGbIngested}/GB`,
      },
      {
        group: "audit",
        item: "S3 PUTs by Firehose",
        cost: (objects / 1000) * prices.s3PutPerThousand,
        arithmetic: `${count(objects)} objects (one per ${bufferingIntervalSeconds} s buffer; ${bufferingSizeMiB} MiB is never reached) x $${prices.s3PutPerThousand}/1,000`,
      },
      {
        group: "audit",
        item: "S3 storage, one month of events",
        cost: gb(compressedBytes) * prices.s3StandardPerGbMonth,
        arithmetic: `${gb(rawBytes).toFixed(3)} GB x gzip ratio ${workload.gzipRatio.toFixed(3)} = ${gb(compressedBytes).toFixed(4)} GB x $${prices.s3StandardPerGbMonth}/GB-month (grows by this each month kept)`,
      },
      {
        group: "audit",
        item: `Athena, ${q} one-day queries`,
        cost:
          q *
          ((scanned / BILLING_UNITS.athenaTerabyte) * prices.athenaPerTbScanned +
            (objectsPerDay / 1000) * prices.s3GetPerThousand),
        arithmetic: `${q} x (${(dayBytes / 1e6).toFixed(2)} MB a day billed as ${scanned / 1e6} MB x $${prices.athenaPerTbScanned}/TB + ${count(objectsPerDay)} GETs x $${prices.s3GetPerThousand}/1,000)`,
      },
    ];
    lines.push(...audit);
    auditTotal = audit.reduce((sum, line) => sum + line.cost, 0);
    if (facts.athenaCutoffBytes !== undefined) {
      maxCostPerQuery =
        (athenaBilledBytes(facts.athenaCutoffBytes) / BILLING_UNITS.athenaTerabyte) *
        prices.athenaPerTbScanned;
    }
  }

  add({
    group: "fixed",
    item: "KMS keys",
    cost: facts.kmsKeys * prices.kmsPerKeyMonth,
    arithmetic: `${facts.kmsKeys} customer-managed keys x $${prices.kmsPerKeyMonth}`,
  });
  // SQS asks KMS for a data key once per reuse period (1 h) per queue and principal: send and receive.
  const kmsRequests = facts.polledQueues * 2 * (BILLING_UNITS.secondsPerMonth / 3600);
  add({
    group: "fixed",
    item: "KMS requests (SQS data keys)",
    cost: (kmsRequests / 10_000) * prices.kmsPerTenThousandRequests,
    arithmetic: `${facts.polledQueues} queues x 2 principals x 720 hourly data keys = ${count(kmsRequests)} x $${prices.kmsPerTenThousandRequests}/10,000`,
  });
  add({
    group: "fixed",
    item: "CloudWatch alarms and dashboard",
    cost: facts.alarms * prices.alarmPerMonth + facts.dashboards * prices.dashboardPerMonth,
    arithmetic: `${facts.alarms} alarms x $${prices.alarmPerMonth} + ${facts.dashboards} dashboard x $${prices.dashboardPerMonth}`,
  });

  const alternative = perEventPutAlternative(workload, prices, rawBytes);
  return {
    lines,
    total: lines.reduce((sum, line) => sum + line.cost, 0),
    auditTotal,
    alternative,
    alternativeTotal: alternative.reduce((sum, line) => sum + line.cost, 0),
    maxCostPerQuery,
  };
}

/**
 * The audit path without Firehose: a Lambda target on the audit rule writes each event as its own
 * S3 object. Nothing batches, so nothing compresses and Athena opens one object per event.
 */
function perEventPutAlternative(workload: Workload, prices: PriceSheet, rawBytes: number): CostLine[] {
  const events = workload.eventsPerMonth;
  const gbSeconds = events * (workload.putPerEventMillis / 1000) * (workload.putPerEventMemoryMb / 1024);
  const dayBytes = rawBytes / BILLING_UNITS.daysPerMonth;
  const scanned = athenaBilledBytes(dayBytes);
  const objectsPerDay = events / BILLING_UNITS.daysPerMonth;
  const q = workload.athenaDayQueriesPerMonth;
  return [
    {
      group: "alternative",
      item: "Lambda, one invocation per event",
      cost: (events / 1e6) * prices.lambdaPerMillionRequests + gbSeconds * prices.lambdaPerGbSecondArm,
      arithmetic: `${count(events)} x $${prices.lambdaPerMillionRequests}/M + ${count(events)} x ${workload.putPerEventMillis} ms x ${workload.putPerEventMemoryMb} MB = ${count(gbSeconds)} GB-s x $${prices.lambdaPerGbSecondArm}`,
    },
    {
      group: "alternative",
      item: "S3 PUT per event",
      cost: (events / 1000) * prices.s3PutPerThousand,
      arithmetic: `${count(events)} PUTs x $${prices.s3PutPerThousand}/1,000`,
    },
    {
      group: "alternative",
      item: "S3 storage, one month, uncompressed",
      cost: gb(rawBytes) * prices.s3StandardPerGbMonth,
      arithmetic: `${gb(rawBytes).toFixed(3)} GB x $${prices.s3StandardPerGbMonth}/GB-month`,
    },
    {
      group: "alternative",
      item: `Athena, ${q} one-day queries`,
      cost:
        q *
        ((scanned / BILLING_UNITS.athenaTerabyte) * prices.athenaPerTbScanned +
          (objectsPerDay / 1000) * prices.s3GetPerThousand),
      arithmetic: `${q} x (${(dayBytes / 1e6).toFixed(2)} MB billed as ${scanned / 1e6} MB x $${prices.athenaPerTbScanned}/TB + ${count(objectsPerDay)} GETs x $${prices.s3GetPerThousand}/1,000)`,
    },
  ];
}

/** Formats a cost for tables: dollars with cents, or three significant digits below a cent. */
export function formatUsd(cost: number): string {
  return usd(cost);
}
