import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { App } from "aws-cdk-lib";
import { ulid } from "ulid";
import {
  type CostLine,
  estimateMonthlyCost,
  formatUsd,
  readPipelineFacts,
  type Workload,
} from "../lib/audit/cost-model";
import { type EventType, type EventTypeName, eventTypes } from "../lib/catalog";
import { exampleEvent } from "../lib/catalog/json-schema";
import { AuditTrail } from "../lib/constructs/audit-trail";
import { PipelineAlarms } from "../lib/constructs/pipeline-alarms";
import { PipelineStack } from "../lib/pipeline-stack";
import { subscriptions } from "../lib/subscriptions";
import type { Bench, BenchRow } from "./table";

/**
 * The app's cost for one million events a month, from the synthesized pipeline (bus, archive, every
 * subscription, audit trail, alarms) and the us-east-1 price sheet in lib/audit/cost-model.ts. The
 * arithmetic of every line goes to stderr.
 */

/**
 * The stated workload, in events per order: every order is placed; 95 % get stock; 97 % of those
 * are charged; 5 % are cancelled. A catalogued type it does not state gets no share of the traffic,
 * and the output names it.
 */
const STATED_EVENTS_PER_ORDER: Partial<Record<EventTypeName, number>> = {
  OrderPlaced: 1,
  InventoryReserved: 0.95,
  InventoryReservationFailed: 0.05,
  PaymentProcessed: 0.95 * 0.97,
  PaymentFailed: 0.95 * 0.03,
  OrderCancelled: 0.05,
};
const EVENTS_PER_MONTH = 1_000_000;
const ROOT = path.resolve(import.meta.dirname, "..");

/** Events per order of a catalogued type: the stated workload's figure, 0 for a type it does not state. */
function eventsPerOrder(eventType: EventType): number {
  return STATED_EVENTS_PER_ORDER[eventType.detailType as EventTypeName] ?? 0;
}

/** Every catalogued type's share of the traffic; the shares add up to 1. */
function mix(): Record<string, number> {
  const perOrder = eventTypes.reduce((sum, eventType) => sum + eventsPerOrder(eventType), 0);
  return Object.fromEntries(eventTypes.map((t) => [t.detailType, eventsPerOrder(t) / perOrder]));
}

/** An event as it would be recorded: the catalog example with fresh ids and a fresh time. */
function recordedEvent(eventType: EventType, order: number, at: Date): Record<string, unknown> {
  const base = exampleEvent(eventType) as { detail: { metadata: object; data: object } };
  // Events of one order share its id; a type whose data has no orderId keeps its example's data.
  const data =
    "orderId" in base.detail.data
      ? { ...base.detail.data, orderId: `ORD-${String(order).padStart(8, "0")}` }
      : base.detail.data;
  return {
    ...base,
    id: randomUUID(),
    time: `${at.toISOString().slice(0, 19)}Z`,
    detail: {
      metadata: { ...base.detail.metadata, eventId: ulid(at.getTime()), correlationId: ulid(at.getTime()) },
      data,
    },
  };
}

/** The type whose cumulative share first reaches `pick` (0-1). */
function pickByShare(shares: Record<string, number>, pick: number): EventType {
  let cumulative = 0;
  let last: EventType | undefined;
  for (const eventType of eventTypes) {
    cumulative += shares[eventType.detailType] ?? 0;
    if (cumulative >= pick) return eventType;
    last = eventType;
  }
  if (last === undefined) throw new Error("The catalog has no event type to pick");
  return last;
}

/** gzip output / input over one day of the stated workload, each event on its own line. */
function measureGzipRatio(): number {
  const shares = mix();
  const perDay = Math.round(EVENTS_PER_MONTH / 30);
  const lines: string[] = [];
  const start = Date.parse("2026-03-01T00:00:00Z");
  for (let i = 0; i < perDay; i++) {
    // Deterministic interleaving that follows the shares.
    const pick = (i * 0.6180339887) % 1;
    const eventType = pickByShare(shares, pick);
    lines.push(
      `${JSON.stringify(recordedEvent(eventType, Math.floor(i / 3), new Date(start + i * 2_592)))}\n`,
    );
  }
  const raw = Buffer.from(lines.join(""));
  return gzipSync(raw).length / raw.length;
}

function synthesizedTemplate(): object {
  const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), "eventrail-cost-")) });
  // The lead's stack as deployed, with a no-op handler so that bundling takes no time.
  const stack = new PipelineStack(app, "Eventrail", {
    projectRoot: ROOT,
    subscriptions: subscriptions.map((s) => ({ ...s, entry: "test/fixtures/noop-handler.ts" })),
  });
  const wired = stack.node.findAll().some((c) => c instanceof AuditTrail);
  if (!wired) {
    const auditTrail = new AuditTrail(stack, "Audit", { eventBus: stack.bus.eventBus });
    new PipelineAlarms(stack, "Alarms", {
      eventBus: stack.bus.eventBus,
      subscriptions: stack.subscriptions.map((s) => ({ ...s, name: s.subscriptionName })),
      auditTrail,
    });
  }
  return app.synth().getStackArtifact(stack.artifactId).template as object;
}

function print(title: string, lines: readonly CostLine[], total: number): void {
  process.stderr.write(`\n${title}\n`);
  for (const line of lines) {
    process.stderr.write(
      `  ${line.group.padEnd(13)} ${line.item.padEnd(44)} ${formatUsd(line.cost).padStart(9)}  = ${line.arithmetic}\n`,
    );
  }
  process.stderr.write(`  ${"total".padEnd(58)} ${formatUsd(total).padStart(9)}\n`);
}

const bench: Bench = async () => {
  const facts = readPipelineFacts(synthesizedTemplate());
  const workload: Workload = {
    eventsPerMonth: EVENTS_PER_MONTH,
    mix: mix(),
    eventBytes: Object.fromEntries(
      eventTypes.map((t) => [
        t.detailType,
        Buffer.byteLength(JSON.stringify(recordedEvent(t, 1, new Date()))),
      ]),
    ),
    gzipRatio: measureGzipRatio(),
    invocationMillis: 40,
    recordMillis: 2,
    athenaDayQueriesPerMonth: 300,
    emptyReceivesPerQueuePerSecond: 0.25,
    putPerEventMillis: 25,
    putPerEventMemoryMb: 128,
  };
  const estimate = estimateMonthlyCost(facts, workload);
  process.stderr.write(
    `\nworkload: ${EVENTS_PER_MONTH.toLocaleString("en-US")} events/month; mix ${Object.entries(workload.mix)
      .map(([t, s]) => `${t} ${(s * 100).toFixed(1)}%`)
      .join(", ")}; sizes ${Object.entries(workload.eventBytes)
      .map(([t, b]) => `${t} ${b} B`)
      .join(", ")}; gzip ratio ${workload.gzipRatio.toFixed(3)}\n`,
  );
  const unstated = eventTypes.filter((t) => eventsPerOrder(t) === 0).map((t) => t.detailType);
  if (unstated.length > 0) {
    process.stderr.write(
      `no share of the traffic (not in the stated workload, STATED_EVENTS_PER_ORDER): ${unstated.join(", ")}\n`,
    );
  }
  print("pipeline as synthesized (USD/month)", estimate.lines, estimate.total);
  print(
    "alternative audit path: one S3 PUT per event from a Lambda",
    estimate.alternative,
    estimate.alternativeTotal,
  );

  const rows: BenchRow[] = [
    ...estimate.lines.map((l) => ({
      group: `cost/${l.group}`,
      metric: l.item,
      value: l.cost,
      unit: "USD/month",
    })),
    { group: "cost", metric: "pipeline total", value: estimate.total, unit: "USD/month" },
    {
      group: "cost/audit",
      metric: "audit path (Firehose, S3, Athena)",
      value: estimate.auditTotal,
      unit: "USD/month",
    },
    {
      group: "cost/alternative",
      metric: "audit path (one S3 PUT per event)",
      value: estimate.alternativeTotal,
      unit: "USD/month",
      target: "> Firehose path",
      met: estimate.alternativeTotal > estimate.auditTotal,
    },
    { group: "cost/audit", metric: "gzip ratio of a day", value: workload.gzipRatio, unit: "out/in" },
  ];
  if (estimate.maxCostPerQuery !== undefined) {
    rows.push({
      group: "cost/audit",
      metric: "most one query can cost (cutoff)",
      value: estimate.maxCostPerQuery,
      unit: "USD",
    });
  }
  return rows;
};

export default bench;
