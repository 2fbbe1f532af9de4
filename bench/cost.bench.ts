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
import { catalog, type EventTypeName } from "../lib/catalog";
import { exampleEvent } from "../lib/catalog/json-schema";
import { AuditTrail } from "../lib/constructs/audit-trail";
import { PipelineAlarms } from "../lib/constructs/pipeline-alarms";
import { PipelineStack } from "../lib/pipeline-stack";
import { subscriptions } from "../lib/subscriptions";
import type { Bench, BenchRow } from "./table";

/**
 * The example domain's cost for one million events a month, from the synthesized pipeline (bus,
 * archive, the three subscriptions, audit trail, alarms) and the us-east-1 price sheet in
 * lib/audit/cost-model.ts. The arithmetic of every line goes to stderr.
 */

/** Events per order: every order is placed; 95 % get stock; 97 % of those are charged; 5 % are cancelled. */
const EVENTS_PER_ORDER: Record<EventTypeName, number> = {
  OrderPlaced: 1,
  InventoryReserved: 0.95,
  InventoryReservationFailed: 0.05,
  PaymentProcessed: 0.95 * 0.97,
  PaymentFailed: 0.95 * 0.03,
  OrderCancelled: 0.05,
};
const EVENTS_PER_MONTH = 1_000_000;
const ROOT = path.resolve(import.meta.dirname, "..");

function mix(): Record<string, number> {
  const perOrder = Object.values(EVENTS_PER_ORDER).reduce((sum, n) => sum + n, 0);
  return Object.fromEntries(Object.entries(EVENTS_PER_ORDER).map(([type, n]) => [type, n / perOrder]));
}

/** An event as it would be recorded: the catalog example with fresh ids and a fresh time. */
function recordedEvent(type: EventTypeName, order: number, at: Date): Record<string, unknown> {
  const base = exampleEvent(catalog[type]) as { detail: { metadata: object; data: object } };
  const orderId = `ORD-${String(order).padStart(8, "0")}`;
  return {
    ...base,
    id: randomUUID(),
    time: `${at.toISOString().slice(0, 19)}Z`,
    detail: {
      metadata: { ...base.detail.metadata, eventId: ulid(at.getTime()), correlationId: ulid(at.getTime()) },
      data: { ...base.detail.data, orderId },
    },
  };
}

/** The type whose cumulative share first reaches `pick` (0-1). */
function pickByShare(
  types: readonly EventTypeName[],
  shares: Record<string, number>,
  pick: number,
): EventTypeName {
  let cumulative = 0;
  for (const type of types) {
    cumulative += shares[type] ?? 0;
    if (cumulative >= pick) return type;
  }
  return types[types.length - 1] ?? "OrderPlaced";
}

/** gzip output / input over one day of the example domain, each event on its own line. */
function measureGzipRatio(): number {
  const shares = mix();
  const perDay = Math.round(EVENTS_PER_MONTH / 30);
  const types = Object.keys(shares) as EventTypeName[];
  const lines: string[] = [];
  const start = Date.parse("2026-03-01T00:00:00Z");
  for (let i = 0; i < perDay; i++) {
    // Deterministic interleaving that follows the shares.
    const pick = (i * 0.6180339887) % 1;
    const type = pickByShare(types, shares, pick);
    lines.push(`${JSON.stringify(recordedEvent(type, Math.floor(i / 3), new Date(start + i * 2_592)))}\n`);
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
  const types = Object.keys(EVENTS_PER_ORDER) as EventTypeName[];
  const workload: Workload = {
    eventsPerMonth: EVENTS_PER_MONTH,
    mix: mix(),
    eventBytes: Object.fromEntries(
      types.map((t) => [t, Buffer.byteLength(JSON.stringify(recordedEvent(t, 1, new Date())))]),
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
