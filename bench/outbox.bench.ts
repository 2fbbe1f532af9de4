import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { catalog } from "../lib/catalog";
import type { BusEvent } from "../lib/local/events/bus-event";
import { LocalPipeline } from "../lib/local/local-pipeline";
import type { PipelineObserver } from "../lib/local/pipeline-observer";
import { EventBridgePublisher } from "../lib/producer";
import { OutboxWriter } from "../lib/producer/outbox-writer";
import { type OutboxOutput, stackOutputs } from "../lib/stack-outputs";
import { synthesizeNoopAssembly } from "./local-pipeline.bench";
import type { Bench, BenchRow } from "./table";

const GROUP = "outbox";
const EVENTS = 1_000;
/** Producers writing at once, each one event after the other. */
const WRITERS = 8;

interface RunResult {
  readonly wallMs: number;
  readonly cpuMsPerEvent: number;
  /** From the producer's call to the event's acceptance on the bus, in ms. */
  readonly latency: { readonly p50: number; readonly p99: number };
}

/**
 * The same 1,000 PaymentFailed events, published by 8 producers, side by side on the example's
 * pipeline with no-op consumers: PutEvents on the bus directly, and through the outbox (one
 * TransactWriteItems each, then the table's stream, the pipe, the relay and PutEvents). The clock
 * runs from the first call to the last event accepted on the bus; CPU is the whole process's
 * (the pipeline, its function workers and the producers).
 */
async function run(via: "bus" | "outbox"): Promise<RunResult> {
  const cdkOutDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-outbox-assembly-"));
  const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-outbox-state-"));
  synthesizeNoopAssembly(cdkOutDir);
  const started = new Map<string, number>();
  const latencies: number[] = [];
  let done: () => void = () => {};
  const allAccepted = new Promise<void>((resolve) => {
    done = resolve;
  });
  const observer: PipelineObserver = {
    accepted(event: BusEvent) {
      const eventId = (event.detail as { metadata?: { eventId?: string } }).metadata?.eventId;
      const at = eventId === undefined ? undefined : started.get(eventId);
      if (at === undefined) return;
      latencies.push(performance.now() - at);
      if (latencies.length === EVENTS) done();
    },
    matched: () => {},
    delivered: () => {},
    received: () => {},
    handled: () => {},
    log: () => {},
  };
  const pipeline = await LocalPipeline.start({ cdkOutDir, stateDir, port: 0, timeScale: 1, observer });
  const config = {
    endpoint: pipeline.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
  const outboxTable = (JSON.parse(pipeline.model.outputs[stackOutputs.outbox] ?? "{}") as OutboxOutput)
    .tableName;
  const writer = new OutboxWriter({
    tableName: outboxTable,
    producer: "bench",
    client: DynamoDBDocumentClient.from(new DynamoDBClient(config)),
  });
  const publisher = new EventBridgePublisher({
    eventBusName: "eventrail",
    producer: "bench",
    client: new EventBridgeClient(config),
  });
  try {
    const cpuBefore = process.cpuUsage();
    const wallBefore = performance.now();
    await Promise.all(
      Array.from({ length: WRITERS }, async (_, w) => {
        for (let n = w; n < EVENTS; n += WRITERS) {
          const request = {
            detailType: "PaymentFailed" as const,
            data: { ...catalog.PaymentFailed.example, orderId: `ORD-BENCH-${n}` },
          };
          if (via === "outbox") {
            const entry = writer.prepare(request);
            started.set(entry.eventId, performance.now());
            await writer.commit([entry]);
          } else {
            const eventId = `bench-${via}-${n}`;
            started.set(eventId, performance.now());
            await publisher.publish({ ...request, eventId });
          }
        }
      }),
    );
    await allAccepted;
    const wallMs = performance.now() - wallBefore;
    const cpu = process.cpuUsage(cpuBefore);
    const sorted = [...latencies].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return {
      wallMs,
      cpuMsPerEvent: (cpu.user + cpu.system) / 1_000 / EVENTS,
      latency: { p50: at(0.5), p99: at(0.99) },
    };
  } finally {
    await pipeline.stop();
    await rm(cdkOutDir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
}

const bench: Bench = async () => {
  await run("bus"); // warms up the bench process (JIT, module loading) so both measured runs start equal
  const direct = await run("bus");
  const outbox = await run("outbox");
  const rate = (r: RunResult) => (EVENTS * 1_000) / r.wallMs;
  const rows: BenchRow[] = [
    {
      group: GROUP,
      metric: `${EVENTS} events by ${WRITERS} producers, PutEvents directly: events/s`,
      value: rate(direct),
      unit: "/s",
    },
    {
      group: GROUP,
      metric: "  CPU per event (pipeline, function workers, producers)",
      value: direct.cpuMsPerEvent,
      unit: "ms",
    },
    { group: GROUP, metric: "  call to acceptance on the bus, p50", value: direct.latency.p50, unit: "ms" },
    { group: GROUP, metric: "  call to acceptance on the bus, p99", value: direct.latency.p99, unit: "ms" },
    {
      group: GROUP,
      metric: "through the outbox (transaction, stream, pipe, relay): events/s",
      value: rate(outbox),
      unit: "/s",
    },
    { group: GROUP, metric: "  CPU per event", value: outbox.cpuMsPerEvent, unit: "ms" },
    {
      group: GROUP,
      metric: "  commit call to acceptance on the bus, p50",
      value: outbox.latency.p50,
      unit: "ms",
    },
    {
      group: GROUP,
      metric: "  commit call to acceptance on the bus, p99",
      value: outbox.latency.p99,
      unit: "ms",
    },
    {
      group: GROUP,
      metric: "  CPU per event, outbox / direct",
      value: outbox.cpuMsPerEvent / direct.cpuMsPerEvent,
      unit: "x",
    },
  ];
  return rows;
};

export default bench;
