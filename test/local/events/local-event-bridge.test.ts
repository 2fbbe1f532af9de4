import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { AwsServiceError } from "../../../lib/local/aws-error";
import { LocalEventBridge, LocalEventBridgeConfigError } from "../../../lib/local/events/local-event-bridge";
import type { TargetSinks } from "../../../lib/local/events/target-dispatcher";
import type { LocalPipelineModel, LocalRuleDefinition } from "../../../lib/local/model";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const BUS_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/eventrail`;
const ARCHIVE_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:archive/eventrail-all`;

function rule(name: string, detailTypes: string[]): LocalRuleDefinition {
  return {
    logicalId: name,
    name,
    arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/eventrail/${name}`,
    busName: "eventrail",
    eventPattern: { source: ["eventrail.orders"], "detail-type": detailTypes },
    state: "ENABLED",
    targets: [
      {
        id: "q",
        arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}-queue`,
        kind: "sqs",
        retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
      },
    ],
  };
}

function model(
  rules: LocalRuleDefinition[] = [
    rule("inventory", ["OrderPlaced"]),
    rule("analytics", ["OrderPlaced", "OrderCancelled"]),
  ],
): LocalPipelineModel {
  return {
    stackName: "Eventrail",
    accountId: ACCOUNT,
    region: REGION,
    buses: [{ logicalId: "Bus", name: "eventrail", arn: BUS_ARN }],
    rules,
    archives: [
      {
        logicalId: "Archive",
        name: "eventrail-all",
        arn: ARCHIVE_ARN,
        sourceBusArn: BUS_ARN,
        sourceBusName: "eventrail",
        eventPattern: { account: [ACCOUNT] },
        retentionDays: 0,
      },
    ],
    queues: [],
    functions: [],
    eventSourceMappings: [],
    tables: [],
    pipes: [],
    deliveryStreams: [],
    buckets: [],
    outputs: {},
  };
}

async function start(pipelineModel = model()) {
  const delivered: { queueArn: string; event: Record<string, unknown> }[] = [];
  const sinks: TargetSinks = {
    sendToQueue: vi.fn(async (queueArn: string, body: string) => {
      delivered.push({ queueArn, event: JSON.parse(body) });
    }),
    putToDeliveryStream: vi.fn(async () => {}),
    putToBus: vi.fn(async () => {}),
    invokeFunction: vi.fn(async () => {}),
  };
  const stateDir = await mkdtemp(path.join(tmpdir(), "local-eb-"));
  const bridge = new LocalEventBridge({ model: pipelineModel, stateDir, sinks });
  await bridge.open();
  return { bridge, delivered };
}

const orderPlaced = {
  Source: "eventrail.orders",
  DetailType: "OrderPlaced",
  Detail: JSON.stringify({ data: { orderId: "ORD-1" } }),
  EventBusName: "eventrail",
};

describe("the local EventBridge", () => {
  it("routes an accepted event to every matching rule's target and answers its id", async () => {
    const { bridge, delivered } = await start();

    const result = (await bridge.service("PutEvents", { Entries: [orderPlaced] })) as {
      FailedEntryCount: number;
      Entries: { EventId?: string }[];
    };

    expect(result.FailedEntryCount).toBe(0);
    expect(delivered.map((d) => d.queueArn).sort()).toEqual([
      `arn:aws:sqs:${REGION}:${ACCOUNT}:analytics-queue`,
      `arn:aws:sqs:${REGION}:${ACCOUNT}:inventory-queue`,
    ]);
    expect(delivered[0]?.event.id).toBe(result.Entries[0]?.EventId);
  });

  it("reports bad entries in place while the good ones go through", async () => {
    const { bridge, delivered } = await start();

    const result = await bridge.service("PutEvents", {
      Entries: [{ ...orderPlaced, Detail: "[]" }, orderPlaced, { ...orderPlaced, Source: undefined }],
    });

    expect(result).toEqual({
      FailedEntryCount: 2,
      Entries: [
        { ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." },
        { EventId: expect.any(String) },
        { ErrorCode: "InvalidArgument", ErrorMessage: expect.stringContaining("Source") },
      ],
    });
    expect(delivered).toHaveLength(2);
  });

  it.each([
    [
      "more than 10 entries",
      { Entries: Array.from({ length: 11 }, () => orderPlaced) },
      "ValidationException",
    ],
    ["no entries", { Entries: [] }, "ValidationException"],
    ["an unknown bus", { Entries: [{ ...orderPlaced, EventBusName: "nope" }] }, "ResourceNotFoundException"],
  ])("refuses a PutEvents call with %s", async (_case, input, code) => {
    const { bridge } = await start();

    await expect(bridge.service("PutEvents", input)).rejects.toMatchObject({ code });
  });

  it("answers an operation it does not implement with an error naming it", async () => {
    const { bridge } = await start();

    const call = bridge.service("PutRule", { Name: "x" });

    await expect(call).rejects.toBeInstanceOf(AwsServiceError);
    await expect(call).rejects.toThrow(/does not implement PutRule/);
  });

  it("refuses at start a rule whose pattern it cannot honour, naming the rule", () => {
    const broken = { ...rule("broken", ["OrderPlaced"]), eventPattern: { source: "not-an-array" } };

    expect(
      () => new LocalEventBridge({ model: model([broken]), stateDir: tmpdir(), sinks: {} as TargetSinks }),
    ).toThrow(LocalEventBridgeConfigError);
    expect(
      () => new LocalEventBridge({ model: model([broken]), stateDir: tmpdir(), sinks: {} as TargetSinks }),
    ).toThrow(/event pattern of rule broken cannot be run locally/);
  });

  it("describes its rules, targets and archive as the AWS API does", async () => {
    const { bridge } = await start();
    await bridge.service("PutEvents", { Entries: [orderPlaced] });

    const rules = (await bridge.service("ListRules", { EventBusName: "eventrail" })) as {
      Rules: { Name: string }[];
    };
    const targets = (await bridge.service("ListTargetsByRule", {
      Rule: "inventory",
      EventBusName: "eventrail",
    })) as {
      Targets: { Arn: string; RetryPolicy: unknown }[];
    };
    const archive = await bridge.service("DescribeArchive", { ArchiveName: "eventrail-all" });

    expect(rules.Rules.map((r) => r.Name)).toEqual(["inventory", "analytics"]);
    expect(targets.Targets[0]).toMatchObject({
      Arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:inventory-queue`,
      RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
    });
    expect(archive).toMatchObject({ ArchiveName: "eventrail-all", EventCount: 1, State: "ENABLED" });
    await expect(
      bridge.service("DescribeRule", { Name: "nope", EventBusName: "eventrail" }),
    ).rejects.toMatchObject({
      code: "ResourceNotFoundException",
    });
  });

  it("replays an archived window to the chosen rule only, marked with replay-name, and does not archive it again", async () => {
    const { bridge, delivered } = await start();
    const before = new Date(Date.now() - 60_000);
    await bridge.service("PutEvents", { Entries: [orderPlaced, orderPlaced] });
    delivered.length = 0;

    const started = await bridge.service("StartReplay", {
      ReplayName: "after-fix",
      EventSourceArn: ARCHIVE_ARN,
      EventStartTime: before.getTime() / 1000,
      EventEndTime: Date.now() / 1000 + 60,
      Destination: {
        Arn: BUS_ARN,
        FilterArns: [`arn:aws:events:${REGION}:${ACCOUNT}:rule/eventrail/inventory`],
      },
    });
    await bridge.replaysIdle();

    expect(started).toMatchObject({ State: "STARTING" });
    expect(delivered.map((d) => d.queueArn)).toEqual([
      `arn:aws:sqs:${REGION}:${ACCOUNT}:inventory-queue`,
      `arn:aws:sqs:${REGION}:${ACCOUNT}:inventory-queue`,
    ]);
    expect(delivered.every((d) => d.event["replay-name"] === "after-fix")).toBe(true);
    expect(await bridge.service("DescribeReplay", { ReplayName: "after-fix" })).toMatchObject({
      State: "COMPLETED",
    });
    expect(await bridge.service("DescribeArchive", { ArchiveName: "eventrail-all" })).toMatchObject({
      EventCount: 2,
    });
  });

  it("refuses a replay to another bus than the archive's source", async () => {
    const { bridge } = await start();

    const call = bridge.service("StartReplay", {
      ReplayName: "elsewhere",
      EventSourceArn: ARCHIVE_ARN,
      EventStartTime: 0,
      EventEndTime: Date.now() / 1000,
      Destination: { Arn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default` },
    });

    await expect(call).rejects.toMatchObject({ code: "ValidationException" });
  });

  it.each([
    [
      "FilterArns that is not a list",
      { Arn: BUS_ARN, FilterArns: "rule/eventrail/inventory" },
      "Destination.FilterArns",
    ],
    ["FilterArns holding a number", { Arn: BUS_ARN, FilterArns: [7] }, "Destination.FilterArns"],
    ["a Destination that is not a structure", "bus", "Destination"],
    ["an Arn that is not a string", { Arn: 12 }, "Destination.Arn"],
  ])("refuses a StartReplay whose %s as a client error naming the member", async (_, destination, member) => {
    const { bridge } = await start();

    const call = bridge.service("StartReplay", {
      ReplayName: "malformed",
      EventSourceArn: ARCHIVE_ARN,
      EventStartTime: 0,
      EventEndTime: Date.now() / 1000,
      Destination: destination,
    });

    await expect(call).rejects.toMatchObject({ code: "SerializationException", statusCode: 400 });
    await expect(call).rejects.toThrow(`Cannot read member ${member}`);
  });

  it("names every operation it serves when asked for one it does not", async () => {
    const { bridge } = await start();

    const call = bridge.service("PutRule", { Name: "x" });

    await expect(call).rejects.toMatchObject({ code: "UnknownOperationException" });
    await expect(call).rejects.toThrow(/Supported: PutEvents, TestEventPattern, .*CancelReplay\./);
  });

  it("stamps an entry whose Time is null with the time it arrives, as an absent Time", async () => {
    const { bridge, delivered } = await start();
    const before = Date.now();

    await bridge.service("PutEvents", { Entries: [{ ...orderPlaced, Time: null }] });

    expect(Date.parse(String(delivered[0]?.event.time))).toBeGreaterThanOrEqual(
      Math.floor(before / 1000) * 1000,
    );
  });

  it("answers TestEventPattern with EventBridge's semantics", async () => {
    const { bridge } = await start();
    const event = JSON.stringify({
      id: "1",
      account: ACCOUNT,
      source: "eventrail.orders",
      time: "2026-11-23T10:00:00Z",
      region: REGION,
      resources: [],
      "detail-type": "OrderPlaced",
      detail: { total: 120 },
    });

    const matching = await bridge.service("TestEventPattern", {
      EventPattern: JSON.stringify({ detail: { total: [{ numeric: [">", 100] }] } }),
      Event: event,
    });
    const invalid = bridge.service("TestEventPattern", { EventPattern: '{"detail": "x"}', Event: event });

    expect(matching).toEqual({ Result: true });
    await expect(invalid).rejects.toMatchObject({ code: "InvalidEventPatternException" });
  });
});

describe("the local EventBridge and the audit trail", () => {
  it("has an event in the audit stream before any queue target receives it", async () => {
    // Prepare: the audit rule is declared last, so only the bridge's ordering can put it first.
    const auditRule: LocalRuleDefinition = {
      ...rule("audit", ["OrderPlaced"]),
      targets: [
        {
          id: "audit",
          arn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/audit`,
          kind: "firehose",
          retryPolicy: { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 },
        },
      ],
    };
    const calls: string[] = [];
    let releaseAudit = (): void => {};
    const sinks: TargetSinks = {
      sendToQueue: vi.fn(async (queueArn: string) => {
        calls.push(`queue ${queueArn.slice(queueArn.lastIndexOf(":") + 1)}`);
      }),
      putToDeliveryStream: vi.fn(async () => {
        calls.push("audit spooling");
        await new Promise<void>((resolve) => {
          releaseAudit = resolve;
        });
        calls.push("audit spooled");
      }),
      putToBus: vi.fn(async () => {}),
      invokeFunction: vi.fn(async () => {}),
    };
    const stateDir = await mkdtemp(path.join(tmpdir(), "local-eb-"));
    const bridge = new LocalEventBridge({
      model: model([rule("inventory", ["OrderPlaced"]), rule("analytics", ["OrderPlaced"]), auditRule]),
      stateDir,
      sinks,
    });
    await bridge.open();

    // Act
    const putting = bridge.service("PutEvents", { Entries: [orderPlaced] });
    while (!calls.includes("audit spooling")) await new Promise((resolve) => setTimeout(resolve, 1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const whileSpooling = [...calls];
    releaseAudit();
    await putting;

    // Assess
    expect(whileSpooling).toEqual(["audit spooling"]);
    expect(calls.slice(0, 2)).toEqual(["audit spooling", "audit spooled"]);
    expect(calls.slice(2).toSorted()).toEqual(["queue analytics-queue", "queue inventory-queue"]);
  });
});

describe("the local EventBridge and hostile input", () => {
  const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${"}".repeat(levels)}`;

  it("answers a Detail nested 10,000 levels with its own MalformedDetail, and routes the good entry once", async () => {
    // Prepare
    const { bridge, delivered } = await start();

    // Act
    const result = (await bridge.service("PutEvents", {
      Entries: [orderPlaced, { ...orderPlaced, Detail: deep(10_000) }],
    })) as { FailedEntryCount: number; Entries: Record<string, string>[] };

    // Assess
    expect(result.FailedEntryCount).toBe(1);
    expect(result.Entries[1]).toEqual({ ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed." });
    expect(delivered.filter((d) => d.event.id === result.Entries[0]?.EventId)).toHaveLength(2);
    expect(delivered).toHaveLength(2);
  });

  it("accepts a Detail nested as deep as EventBridge reads", async () => {
    // Prepare
    const { bridge } = await start();

    // Act
    const result = (await bridge.service("PutEvents", {
      Entries: [{ ...orderPlaced, Detail: deep(999) }],
    })) as { FailedEntryCount: number };

    // Assess
    expect(result.FailedEntryCount).toBe(0);
  });

  it.each([
    ["a string", "abc"],
    ["a list holding null", [null]],
    ["an object", {}],
    ["an entry whose Detail is an object", [{ ...orderPlaced, Detail: { data: {} } }]],
    ["an entry whose Resources is a string", [{ ...orderPlaced, Resources: "arn" }]],
  ])(
    "refuses Entries that are %s as a whole with a SerializationException, routing nothing",
    async (_, entries) => {
      // Prepare
      const { bridge, delivered } = await start();

      // Act
      // With a good entry before the bad one, too: the whole request is refused before any routing.
      const refusal = Array.isArray(entries)
        ? await bridge.service("PutEvents", { Entries: [orderPlaced, ...entries] }).then(
            () => undefined,
            (error: unknown) => error,
          )
        : undefined;
      const alone = await bridge.service("PutEvents", { Entries: entries }).then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      expect(alone).toBeInstanceOf(AwsServiceError);
      expect(alone).toMatchObject({ code: "SerializationException", statusCode: 400 });
      if (Array.isArray(entries)) expect(refusal).toMatchObject({ code: "SerializationException" });
      expect(delivered).toHaveLength(0);
    },
  );

  it("refuses TestEventPattern input nested beyond the limit with a 400, not a stack overflow", async () => {
    // Prepare
    const { bridge } = await start();
    const event = JSON.stringify({
      id: "1",
      account: ACCOUNT,
      source: "s",
      time: "2026-01-01T00:00:00Z",
      region: REGION,
      resources: [],
      "detail-type": "t",
    });

    // Act
    const deepEvent = await bridge
      .service("TestEventPattern", {
        EventPattern: '{"source":["s"]}',
        Event: `${event.slice(0, -1)},"detail":${deep(10_000)}}`,
      })
      .catch((error: unknown) => error);
    const deepPattern = await bridge
      .service("TestEventPattern", { EventPattern: deep(10_000), Event: event })
      .catch((error: unknown) => error);

    // Assess
    expect(deepEvent).toMatchObject({ code: "ValidationException", statusCode: 400 });
    expect(deepPattern).toMatchObject({ code: "InvalidEventPatternException", statusCode: 400 });
  });

  it("escapes control characters of Source and DetailType in its log lines", async () => {
    // Prepare
    const lines: string[] = [];
    const stateDir = await mkdtemp(path.join(tmpdir(), "local-eb-"));
    const sinks: TargetSinks = {
      sendToQueue: vi.fn(async () => {}),
      putToDeliveryStream: vi.fn(async () => {}),
      putToBus: vi.fn(async () => {}),
      invokeFunction: vi.fn(async () => {}),
    };
    const bridge = new LocalEventBridge({ model: model(), stateDir, sinks, log: (line) => lines.push(line) });
    await bridge.open();

    // Act
    await bridge.service("PutEvents", {
      Entries: [
        {
          ...orderPlaced,
          Source: "x\naccepted Forged 1 on eventrail",
          DetailType: "A\rB\u001b[31m",
          Detail: "[]",
        },
      ],
    });

    // Assess
    expect(
      lines.every((line) => !line.includes("\n") && !line.includes("\r") && !line.includes("\u001b")),
    ).toBe(true);
    expect(lines.join("\n")).toContain("rejected A\\rB\\u001b[31m from x\\naccepted Forged 1 on eventrail");
  });
});
