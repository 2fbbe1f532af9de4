import { describe, expect, it } from "vitest";
import {
  athenaBilledBytes,
  CostModelError,
  estimateMonthlyCost,
  expectedBatch,
  firehoseBilledBytes,
  type PipelineFacts,
  readPipelineFacts,
  tracesSampled,
  type Workload,
} from "../../lib/audit/cost-model";

/** A template shaped like the synthesized one: a rule → queue → mapping → function, plus the audit pieces. */
const template = {
  Resources: {
    Rule: {
      Type: "AWS::Events::Rule",
      Properties: {
        EventPattern: { source: ["eventrail.orders"], "detail-type": ["OrderPlaced"] },
        Targets: [{ Arn: { "Fn::GetAtt": ["Queue", "Arn"] }, Id: "Target0" }],
      },
    },
    AuditRule: {
      Type: "AWS::Events::Rule",
      Properties: {
        EventPattern: { source: [{ prefix: "" }] },
        Targets: [{ Arn: { "Fn::GetAtt": ["Stream", "Arn"] } }],
      },
    },
    Queue: { Type: "AWS::SQS::Queue", Properties: {} },
    Mapping: {
      Type: "AWS::Lambda::EventSourceMapping",
      Properties: {
        EventSourceArn: { "Fn::GetAtt": ["Queue", "Arn"] },
        FunctionName: { Ref: "Consumer" },
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 5,
      },
    },
    Consumer: {
      Type: "AWS::Lambda::Function",
      Properties: { MemorySize: 512, Architectures: ["arm64"], TracingConfig: { Mode: "Active" } },
    },
    Stream: {
      Type: "AWS::KinesisFirehose::DeliveryStream",
      Properties: {
        ExtendedS3DestinationConfiguration: { BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 64 } },
      },
    },
    WorkGroup: {
      Type: "AWS::Athena::WorkGroup",
      Properties: { WorkGroupConfiguration: { BytesScannedCutoffPerQuery: 1_073_741_824 } },
    },
    Archive: { Type: "AWS::Events::Archive", Properties: {} },
    Key: { Type: "AWS::KMS::Key", Properties: {} },
    Alarm1: { Type: "AWS::CloudWatch::Alarm", Properties: {} },
    Alarm2: { Type: "AWS::CloudWatch::Alarm", Properties: {} },
    Dashboard: { Type: "AWS::CloudWatch::Dashboard", Properties: {} },
  },
};

const workload: Workload = {
  eventsPerMonth: 1_000_000,
  mix: { OrderPlaced: 1 },
  eventBytes: { OrderPlaced: 600 },
  gzipRatio: 0.2,
  invocationMillis: 40,
  recordMillis: 2,
  athenaDayQueriesPerMonth: 100,
  emptyReceivesPerQueuePerSecond: 0.25,
  putPerEventMillis: 25,
  putPerEventMemoryMb: 128,
};

describe("billing units", () => {
  it.each([
    [1, 5_120],
    [5_120, 5_120],
    [5_121, 10_240],
  ])("Firehose bills a %i-byte record as %i bytes", (record, billed) => {
    expect(firehoseBilledBytes(record)).toBe(billed);
  });

  it.each([
    [1, 10_000_000],
    [12_345_678, 13_000_000],
  ])("Athena bills a %i-byte scan as %i bytes", (scanned, billed) => {
    expect(athenaBilledBytes(scanned)).toBe(billed);
  });

  it.each([
    [1_000_000, 1_000_000],
    [5_184_000, 2_592_000 + 0.05 * 2_592_000],
  ])("X-Ray keeps, of %i invocations a month, %f traces", (invocations, traces) => {
    expect(tracesSampled(invocations)).toBeCloseTo(traces, 3);
  });

  it.each([
    [0.4, 10, 0, 1],
    [10, 100, 5, 50],
    [100, 100, 5, 100],
  ])(
    "at %f messages/s, batch size %i and a %i s window, a batch holds %f records",
    (rate, size, window, batch) => {
      expect(expectedBatch(rate, size, window)).toBe(batch);
    },
  );
});

describe("reading a template", () => {
  it("finds each rule's detail-types, queue and consumer, and the priced resources", () => {
    const facts = readPipelineFacts(template);

    expect(facts).toEqual({
      routes: [
        {
          rule: "Rule",
          detailTypes: ["OrderPlaced"],
          queue: "Queue",
          consumer: {
            function: "Consumer",
            memoryMb: 512,
            architecture: "arm64",
            batchSize: 100,
            batchingWindowSeconds: 5,
            activeTracing: true,
          },
        },
      ],
      firehose: { bufferingIntervalSeconds: 300, bufferingSizeMiB: 64 },
      athenaCutoffBytes: 1_073_741_824,
      archives: 1,
      kmsKeys: 1,
      alarms: 2,
      dashboards: 1,
      polledQueues: 1,
    });
  });

  it("fails when a rule targets a queue nobody polls", () => {
    const unpolled = {
      Resources: { ...template.Resources, Mapping: { Type: "AWS::SNS::Topic", Properties: {} } },
    };

    expect(() => readPipelineFacts(unpolled)).toThrow(
      /Rule Rule targets queue Queue, but no Lambda function polls it/,
    );
  });
});

describe("the monthly estimate", () => {
  const facts: PipelineFacts = readPipelineFacts(template);
  const estimate = estimateMonthlyCost(facts, workload);
  const line = (item: string) => estimate.lines.find((l) => l.item === item);

  it("charges EventBridge one event per 64 KB chunk", () => {
    expect(line("EventBridge PutEvents")?.cost).toBeCloseTo(1.0, 6);
  });

  it("charges Firehose for 5 KB per record, not for the 600 bytes sent", () => {
    // 1,000,000 x 5,120 B = 4.768 GiB x $0.029
    expect(line("Firehose ingestion")?.cost).toBeCloseTo((5_120_000_000 / 1_073_741_824) * 0.029, 6);
  });

  it("counts one S3 PUT per buffer interval when the size threshold is never reached", () => {
    // 30 days / 300 s = 8,640 objects
    expect(line("S3 PUTs by Firehose")?.cost).toBeCloseTo(8.64 * 0.005, 6);
  });

  it("bills each one-day Athena query at least 10 MB", () => {
    // a day is 600 MB x 0.2 / 30 = 4 MB: billed 10 MB; plus 288 GETs
    const perQuery = (10_000_000 / 1e12) * 5 + (288 / 1000) * 0.0004;

    expect(line("Athena, 100 one-day queries")?.cost).toBeCloseTo(100 * perQuery, 9);
  });

  it("states the most one query can cost under the workgroup's cutoff", () => {
    // 1 GiB rounds up to 1,074 MB: 1.074e9 / 1e12 x $5
    expect(estimate.maxCostPerQuery).toBeCloseTo(0.00537, 8);
  });

  it("prices the alternative at one S3 PUT and one invocation per event", () => {
    const put = estimate.alternative.find((l) => l.item === "S3 PUT per event");

    expect(put?.cost).toBeCloseTo(5.0, 6);
    expect(estimate.alternativeTotal).toBeGreaterThan(estimate.auditTotal);
  });

  it("adds up its lines and shows the arithmetic of each", () => {
    expect(estimate.total).toBeCloseTo(
      estimate.lines.reduce((sum, l) => sum + l.cost, 0),
      9,
    );
    for (const l of [...estimate.lines, ...estimate.alternative]) expect(l.arithmetic).toMatch(/\d/);
  });

  it("fails on a detail-type whose size it was not told", () => {
    const act = () =>
      estimateMonthlyCost(facts, { ...workload, mix: { OrderPlaced: 0.5, PaymentFailed: 0.5 } });

    expect(act).toThrow(CostModelError);
    expect(act).toThrow(/no eventBytes for PaymentFailed/);
  });
});
