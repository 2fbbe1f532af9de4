import { describe, expect, it } from "vitest";
import {
  eventsMatching,
  flowTimeline,
  formatAge,
  mergeLive,
  topologyGraph,
  type ViewEvent,
} from "../../console/model.mjs";

function event(id: string, overrides: Partial<ViewEvent> = {}): ViewEvent {
  return {
    id,
    detailType: "OrderPlaced",
    source: "eventrail.orders",
    detail: { data: { orderId: id } },
    steps: [],
    ...overrides,
  };
}

describe("the console's view logic", () => {
  it("puts live events first, newest first, each once, and keeps at most the limit", () => {
    const merged = mergeLive([event("b"), event("a")], [event("c"), event("d"), event("b")], 3);

    expect(merged.map((e) => e.id)).toEqual(["b", "d", "c"]);
  });

  it("filters by exact detail-type and source and by text anywhere in the detail", () => {
    const events = [
      event("ORD-1"),
      event("ORD-2", { detailType: "OrderCancelled" }),
      event("x", { source: "eventrail.payments" }),
    ];

    expect(eventsMatching(events, { detailType: "OrderPlaced" }).map((e) => e.id)).toEqual(["ORD-1", "x"]);
    expect(eventsMatching(events, { source: "eventrail.payments" }).map((e) => e.id)).toEqual(["x"]);
    expect(eventsMatching(events, { text: "ord-2" }).map((e) => e.id)).toEqual(["ORD-2"]);
  });

  it("formats ages", () => {
    expect([undefined, 250, 42_000, 600_000, 9_000_000].map((ms) => formatAge(ms))).toEqual([
      "n/a",
      "250 ms",
      "42 s",
      "10 min",
      "2.5 h",
    ]);
  });

  it("times a flow's steps from its first, marks failures, places follow-ups and keeps each invocation's log lines", () => {
    const order = event("1", {
      eventId: "E1",
      steps: [
        { kind: "accepted", at: 1000, bus: "eventrail" },
        { kind: "received", at: 1010, functionName: "inventory", receiveCount: 1 },
        {
          kind: "handled",
          at: 1060,
          functionName: "inventory",
          ok: false,
          durationMs: 50,
          requestId: "r1",
          error: "Error: boom",
        },
      ],
    });
    const reserved = event("2", {
      detailType: "InventoryReserved",
      causationId: "E1",
      steps: [{ kind: "accepted", at: 1040, bus: "eventrail" }],
    });

    const timeline = flowTimeline({
      events: [order, reserved],
      logs: [
        { requestId: "r1", functionName: "inventory", message: "boom" },
        { requestId: "r2", functionName: "payments", message: "other" },
      ],
    });

    const [first] = timeline.events;
    expect(first?.rows.map((row) => [row.offsetMs, row.text, row.failed])).toEqual([
      [0, "accepted on bus eventrail", false],
      [10, "received by inventory (receive count 1)", false],
      [40, "published follow-up InventoryReserved", false],
      [60, "FAILED in inventory after 50 ms: Error: boom", true],
    ]);
    expect(first?.logs.map((line) => line.message)).toEqual(["boom"]);
  });

  it("draws the topology as a graph with live numbers, and a DLQ holding messages as an alarm", () => {
    const topology = {
      buses: [{ name: "eventrail", arn: "arn:bus" }],
      archives: [{ name: "all", bus: "eventrail" }],
      rules: [
        { name: "r", bus: "eventrail", targets: [{ kind: "sqs", arn: "arn:q", deadLetterArn: "arn:tdlq" }] },
      ],
      queues: [{ name: "q", arn: "arn:q", deadLetterArn: "arn:dlq" }],
      consumers: [{ functionName: "fn", queueArn: "arn:q", batchSize: 10 }],
      deliveryStreams: [],
    };
    const metrics = {
      accepted: 3,
      matchedByRule: { r: 2 },
      queues: [
        { arn: "arn:q", visible: 4, inFlight: 1 },
        { arn: "arn:dlq", visible: 1, inFlight: 0 },
      ],
    };

    const graph = topologyGraph(topology, metrics);

    expect(graph.nodes.map((n) => [n.kind, n.detail, n.alarm === true])).toEqual([
      ["bus", "3 accepted", false],
      ["archive", "", false],
      ["rule", "2 matched", false],
      ["queue", "4 waiting, 1 in flight", false],
      ["dlq", "1 message(s)", true],
      ["function", "batch 10", false],
      ["dlq", "0 message(s)", false],
    ]);
    expect(graph.edges).toContainEqual({ from: "arn:q", to: "arn:dlq", dashed: true });
    expect(graph.edges).toContainEqual({ from: "rule:r", to: "arn:q" });
  });

  it("draws the outbox: the functions that write it, its table, its pipe with its backlog, the bus, the pipe DLQ", () => {
    const topology = {
      stackName: "S",
      buses: [{ name: "eventrail", arn: "arn:bus" }],
      archives: [],
      rules: [],
      queues: [],
      consumers: [],
      deliveryStreams: [],
      pipes: [
        {
          name: "outbox-pipe",
          tableName: "outbox",
          writers: ["checkout", "inventory"],
          busArn: "arn:bus",
          deadLetterArn: "arn:pipe-dlq",
          backlog: 3,
          state: "STOPPED",
        },
      ],
    };

    const graph = topologyGraph(topology, {
      accepted: 0,
      queues: [{ arn: "arn:pipe-dlq", visible: 1, inFlight: 0 }],
    });

    expect(graph.nodes.map((n) => [n.kind, n.label, n.detail, n.alarm === true])).toEqual([
      ["bus", "bus eventrail", "0 accepted", false],
      ["table", "outbox outbox", "stream", false],
      ["pipe", "pipe outbox-pipe", "STOPPED, 3 to deliver", true],
      ["function", "λ checkout", "", false],
      ["function", "λ inventory", "", false],
      ["dlq", "pipe DLQ", "1 message(s)", true],
    ]);
    expect(graph.edges).toEqual([
      { from: "fn:checkout", to: "table:outbox" },
      { from: "fn:inventory", to: "table:outbox" },
      { from: "table:outbox", to: "pipe:outbox-pipe" },
      { from: "pipe:outbox-pipe", to: "arn:bus" },
      { from: "pipe:outbox-pipe", to: "arn:pipe-dlq", dashed: true },
    ]);
  });
});
