import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it, vi } from "vitest";
import type { BusEvent } from "../../../lib/local/events/bus-event";
import { LocalEventBridge } from "../../../lib/local/events/local-event-bridge";
import {
  type DeliveryReport,
  TargetDispatcher,
  type TargetSinks,
} from "../../../lib/local/events/target-dispatcher";
import type { LocalPipelineModel, LocalRuleDefinition, LocalRuleTarget } from "../../../lib/local/model";
import { busEvent } from "./support/bus-event";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const BUS_ARN = `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/eventrail`;
const RETRY = { maximumRetryAttempts: 3, maximumEventAgeInSeconds: 60 };

function queue(name: string): LocalRuleTarget {
  return { id: name, arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`, kind: "sqs", retryPolicy: RETRY };
}

function stream(name: string): LocalRuleTarget {
  return {
    id: name,
    arn: `arn:aws:firehose:${REGION}:${ACCOUNT}:deliverystream/${name}`,
    kind: "firehose",
    retryPolicy: RETRY,
  };
}

function rule(name: string, targets: LocalRuleTarget[]): LocalRuleDefinition {
  return {
    logicalId: name,
    name,
    arn: `arn:aws:events:${REGION}:${ACCOUNT}:rule/eventrail/${name}`,
    busName: "eventrail",
    eventPattern: { source: ["eventrail.orders"] },
    state: "ENABLED",
    targets,
  };
}

function model(rules: LocalRuleDefinition[]): LocalPipelineModel {
  return {
    stackName: "Eventrail",
    accountId: ACCOUNT,
    region: REGION,
    buses: [{ logicalId: "Bus", name: "eventrail", arn: BUS_ARN }],
    rules,
    archives: [],
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

/** Lets other work run for a few turns, as a disk write would. */
async function yieldTurns(turns: number): Promise<void> {
  for (let n = 0; n < turns; n++) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * Stub sinks that record, per event id, the order of calls: `spooling <stream>` and `spooled
 * <stream>` around an audit put that takes a few turns, `send <queue>` for a queue send.
 */
function recordingSinks(options: { failFirstSpool?: boolean } = {}) {
  const calls: { id: string; call: string }[] = [];
  let failSpool = options.failFirstSpool === true;
  const name = (arn: string) => arn.slice(arn.lastIndexOf(arn.includes("/") ? "/" : ":") + 1);
  const sinks: TargetSinks = {
    sendToQueue: async (queueArn, body) => {
      calls.push({ id: (JSON.parse(body) as BusEvent).id, call: `send ${name(queueArn)}` });
    },
    putToDeliveryStream: async (streamArn, record) => {
      const { id } = JSON.parse(record) as BusEvent;
      calls.push({ id, call: `spooling ${name(streamArn)}` });
      await yieldTurns(5);
      if (failSpool) {
        failSpool = false;
        throw new Error("disk full");
      }
      calls.push({ id, call: `spooled ${name(streamArn)}` });
    },
    putToBus: async () => {},
    invokeFunction: async () => {},
  };
  return { sinks, calls };
}

const entry = (n: number) => ({
  Source: "eventrail.orders",
  DetailType: "OrderPlaced",
  Detail: JSON.stringify({ orderId: `ORD-${n}` }),
  EventBusName: "eventrail",
});

describe("the local EventBridge's order of delivery", () => {
  it("spools every event to every audit stream before any queue target of any rule receives it", async () => {
    // Prepare: audit targets declared last, one of them in a rule that also feeds a queue.
    const { sinks, calls } = recordingSinks();
    const bridge = new LocalEventBridge({
      model: model([
        rule("inventory", [queue("inventory")]),
        rule("mixed", [queue("mixed"), stream("audit-copy")]),
        rule("analytics", [queue("analytics")]),
        rule("audit", [stream("audit")]),
      ]),
      stateDir: await mkdtemp(path.join(tmpdir(), "local-eb-")),
      sinks,
    });
    await bridge.open();

    // Act
    const results = await Promise.all(
      [0, 1].map((call) => bridge.putEvents(Array.from({ length: 10 }, (_, n) => entry(call * 10 + n)))),
    );

    // Assess: per event, both audit streams were spooled, and only then were the 3 queues sent to.
    const ids = results.flatMap((result) => result.Entries.map((e) => ("EventId" in e ? e.EventId : "")));
    expect(ids.filter(Boolean)).toHaveLength(20);
    for (const id of ids) {
      const order = calls.filter((c) => c.id === id).map((c) => c.call);
      expect(order.slice(0, 4).toSorted()).toEqual([
        "spooled audit",
        "spooled audit-copy",
        "spooling audit",
        "spooling audit-copy",
      ]);
      expect(order.slice(4).toSorted()).toEqual(["send analytics", "send inventory", "send mixed"]);
    }
  });

  it("goes on with the other targets when the audit spool fails, and retries the audit", async () => {
    // Prepare
    const { sinks, calls } = recordingSinks({ failFirstSpool: true });
    const reports: string[] = [];
    const bridge = new LocalEventBridge({
      model: model([rule("inventory", [queue("inventory")]), rule("audit", [stream("audit")])]),
      stateDir: await mkdtemp(path.join(tmpdir(), "local-eb-")),
      sinks,
      timeScale: 100_000,
      log: (line) => reports.push(line),
    });
    await bridge.open();

    // Act
    const result = await bridge.putEvents([entry(1)]);
    const id =
      result.Entries[0] !== undefined && "EventId" in result.Entries[0] ? result.Entries[0].EventId : "";
    await vi.waitFor(() => expect(calls.filter((c) => c.call === "spooled audit")).toHaveLength(1));
    await bridge.close();

    // Assess
    expect(result.FailedEntryCount).toBe(0);
    expect(reports.filter((line) => line.includes("-> arn:aws:firehose"))).toEqual([
      expect.stringMatching(/^delivered rule audit -> .* after 2 attempts$/),
    ]);
    expect(calls.filter((c) => c.id === id).map((c) => c.call)).toEqual([
      "spooling audit",
      "send inventory",
      "spooling audit",
      "spooled audit",
    ]);
  });
});

describe("a rule with an audit target and other targets", () => {
  it("has the audit target delivered before its other targets are tried", async () => {
    // Prepare
    const { sinks, calls } = recordingSinks();
    const reports: DeliveryReport[] = [];
    const dispatcher = new TargetDispatcher({ sinks, onReport: (report) => reports.push(report) });
    const event = busEvent({ id: "e-7" });

    // Act
    await dispatcher.dispatch(rule("mixed", [queue("first"), queue("second"), stream("audit")]), event);

    // Assess
    expect(calls.map((c) => c.call)).toEqual([
      "spooling audit",
      "spooled audit",
      "send first",
      "send second",
    ]);
    expect(reports.map((r) => r.outcome)).toEqual(["delivered", "delivered", "delivered"]);
  });
});
