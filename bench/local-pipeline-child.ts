import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MAX_ENTRIES_PER_CALL } from "../lib/producer/entry-size";
import type { AnyPublishRequest } from "../lib/producer/types";
import { BENCH_SKU } from "./local-pipeline-seed";

/**
 * The child processes of `local-pipeline.bench.ts`, kept out of that file so that a child loads
 * only what it measures (the bench itself loads the CDK to synthesize). Each mode prints JSON lines
 * on stdout; the last one is its report.
 *
 * - `start <cdkOutDir>`: start-up of a fresh process, then the cold first invocation;
 * - `produce <endpoint> <spec>`: publishes events (see {@link ProduceSpec}) from outside the
 *   pipeline's process, as a producer would;
 * - `profile <cdkOutDir> <type> <count>`: runs the pipeline (run it with `--cpu-prof`), publishes
 *   `count` events of `type` from a `produce` child and exits once the consumers handled them all,
 *   so that Node writes one CPU profile per thread (see `cpu-profile-stages.ts`).
 */

/** The event types the bench publishes. */
export type BenchEventType = "PaymentFailed" | "OrderCancelled" | "OrderPlaced";

/** The handling each event type gets in the example app, as records per consumer. */
export const ROUTES: Record<BenchEventType, { inventory: number; payments: number; analytics: number }> = {
  PaymentFailed: { inventory: 0, payments: 0, analytics: 1 },
  OrderCancelled: { inventory: 1, payments: 0, analytics: 1 },
  // OrderPlaced → inventory → InventoryReserved → payments → PaymentProcessed; analytics counts all three.
  OrderPlaced: { inventory: 1, payments: 1, analytics: 3 },
};

/** What a `produce` child publishes. */
export interface ProduceSpec {
  readonly detailType: BenchEventType;
  readonly count: number;
  /** Makes orderIds unique across runs. */
  readonly tag: string;
  /**
   * Events per second, sent as one PutEvents call every {@link PACE_INTERVAL_MS} and reported with
   * each event's send time. 0 publishes as fast as the project's EventBridgePublisher can (16
   * calls of 10 entries in flight).
   */
  readonly ratePerSecond: number;
}

/** What a `produce` child reports. */
export interface ProduceReport {
  /** Epoch ms just before the first PutEvents call. */
  readonly startedAt: number;
  /** Epoch ms when the last call was answered. */
  readonly endedAt: number;
  readonly published: number;
  readonly failed: number;
  /** Paced runs only: [eventId, epoch ms just before its PutEvents call]. */
  readonly sent: readonly (readonly [string, number])[];
}

/** What a `start` child reports. */
export interface StartReport {
  /** Process start (Node's time origin) → endpoint answers: Node, tsx, module loading and start. */
  readonly processToAnswerMs: number;
  /** Loading the local pipeline's modules. */
  readonly importMs: number;
  /** `LocalPipeline.start` called → an EventBridge API call answered. */
  readonly startToAnswerMs: number;
  /** The inventory worker's initialization at the first invocation (`cold start` of its invoke line). */
  readonly coldStartMs: number;
  /** The first event after start: just before PutEvents → inventory's log line for it. */
  readonly firstEventMs: number;
}

/** Paced producers send one call per interval; 500 events/s is 10 entries every 20 ms. */
export const PACE_INTERVAL_MS = 20;

const credentials = { accessKeyId: "bench", secretAccessKey: "bench" };
const context = { eventBusName: "eventrail", producer: "bench" };

function report(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A POST of the AWS JSON protocol, without the SDK (which the start-up child must not load first). */
async function awsJson(endpoint: string, target: string, body: unknown): Promise<Response> {
  return fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target },
    body: JSON.stringify(body),
  });
}

async function measureStart(cdkOutDir: string): Promise<void> {
  const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-start-"));
  let coldStartMs: number | undefined;
  let handledAt: number | undefined;
  let wanted: string | undefined;
  let inventoryFunction: string | undefined;
  let settle: (() => void) | undefined;
  const settled = new Promise<void>((done) => {
    settle = done;
  });
  const check = () => {
    if (coldStartMs !== undefined && handledAt !== undefined) settle?.();
  };

  const importStarted = performance.now();
  const { LocalPipeline } = await import("../lib/local/local-pipeline");
  const startCalled = performance.now();
  const pipeline = await LocalPipeline.start({
    cdkOutDir,
    stateDir,
    port: 0,
    log: (kind, line) => {
      if (kind === "invoke" && inventoryFunction !== undefined && line.startsWith(`${inventoryFunction} `)) {
        const cold = /cold start ([\d.]+) ms/.exec(line);
        if (cold) coldStartMs = Number(cold[1]);
        check();
      } else if (kind === "function" && wanted !== undefined && line.includes(wanted)) {
        handledAt = Date.now();
        check();
      }
    },
  });
  try {
    const answer = await awsJson(pipeline.endpoint, "AWSEvents.ListEventBuses", {});
    if (!answer.ok) throw new Error(`ListEventBuses answered HTTP ${answer.status}: ${await answer.text()}`);
    const answeredAt = performance.now();

    const { stackOutputs } = await import("../lib/stack-outputs");
    const subscriptions = JSON.parse(pipeline.model.outputs[stackOutputs.subscriptions] ?? "[]") as {
      name: string;
      functionName: string;
    }[];
    inventoryFunction = subscriptions.find((s) => s.name === "inventory")?.functionName;
    if (inventoryFunction === undefined) throw new Error("The assembly has no inventory subscription");

    const { toPutEventsEntry } = await import("../lib/producer");
    const { catalog } = await import("../lib/catalog");
    const entry = toPutEventsEntry(
      {
        detailType: "OrderCancelled",
        data: { ...catalog.OrderCancelled.example, orderId: "ORD-BENCH-FIRST" },
      },
      context,
    );
    wanted = (JSON.parse(entry.Detail ?? "{}") as { metadata: { eventId: string } }).metadata.eventId;
    const sentAt = Date.now();
    const put = await awsJson(pipeline.endpoint, "AWSEvents.PutEvents", { Entries: [entry] });
    if (!put.ok) throw new Error(`PutEvents answered HTTP ${put.status}: ${await put.text()}`);
    const timeout = setTimeout(() => settle?.(), 30_000);
    await settled;
    clearTimeout(timeout);
    if (coldStartMs === undefined || handledAt === undefined) {
      throw new Error("The first event did not reach the inventory consumer within 30 s");
    }
    const startReport: StartReport = {
      processToAnswerMs: answeredAt,
      importMs: startCalled - importStarted,
      startToAnswerMs: answeredAt - startCalled,
      coldStartMs,
      firstEventMs: handledAt - sentAt,
    };
    report(startReport);
  } finally {
    await pipeline.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

function eventData(spec: ProduceSpec, n: number): Record<string, unknown> {
  // Per type: an OrderCancelled for an order would make a later OrderPlaced of it reserve nothing.
  const orderId = `ORD-${spec.tag}-${spec.detailType}-${n}`;
  switch (spec.detailType) {
    case "PaymentFailed":
      return {
        orderId,
        customerId: "CUST-BENCH",
        amount: { amount: 4_999, currency: "EUR" },
        reason: "card-declined",
      };
    case "OrderCancelled":
      // No such order was placed: inventory records the cancellation and reserves nothing.
      return { orderId, customerId: "CUST-BENCH", reason: "customer-request" };
    case "OrderPlaced":
      return {
        orderId,
        customerId: "CUST-BENCH",
        items: [{ sku: BENCH_SKU, quantity: 1 }],
        total: { amount: 4_999, currency: "EUR" },
        placedAt: new Date().toISOString(),
      };
  }
}

async function produce(endpoint: string, spec: ProduceSpec): Promise<void> {
  const { EventBridgeClient, PutEventsCommand } = await import("@aws-sdk/client-eventbridge");
  const { EventBridgePublisher, toPutEventsEntry } = await import("../lib/producer");
  const client = new EventBridgeClient({ endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
  // The data is built per type above; the catalog validates it again when the entry is made.
  const request = (n: number) =>
    ({ detailType: spec.detailType, data: eventData(spec, n) }) as AnyPublishRequest;

  if (spec.ratePerSecond === 0) {
    const publisher = new EventBridgePublisher({ ...context, client });
    const requests = function* () {
      for (let n = 0; n < spec.count; n++) yield request(n);
    };
    const startedAt = Date.now();
    const stream = publisher.publishStream(requests());
    for await (const _outcome of stream) {
      // The counts are what matters.
    }
    const produced: ProduceReport = {
      startedAt,
      endedAt: Date.now(),
      published: stream.counts.published,
      failed: spec.count - stream.counts.published,
      sent: [],
    };
    report(produced);
    return;
  }

  // Paced: entries are built before the clock starts, calls are not awaited (an open loop, so a
  // slow pipeline does not slow the producer down), and each tick is due at an absolute time.
  const perCall = Math.max(1, Math.round((spec.ratePerSecond * PACE_INTERVAL_MS) / 1_000));
  const entries = Array.from({ length: spec.count }, (_, n) => toPutEventsEntry(request(n), context));
  const ids = entries.map(
    (entry) => (JSON.parse(entry.Detail ?? "{}") as { metadata: { eventId: string } }).metadata.eventId,
  );
  const sent: [string, number][] = [];
  const calls: Promise<void>[] = [];
  let published = 0;
  const startedAt = Date.now();
  for (let offset = 0, tick = 0; offset < entries.length; offset += perCall, tick++) {
    const due = startedAt + tick * PACE_INTERVAL_MS;
    const wait = due - Date.now();
    if (wait > 0) await new Promise((resolveTimer) => setTimeout(resolveTimer, wait));
    const batch = entries.slice(offset, offset + perCall);
    const at = Date.now();
    for (let i = 0; i < batch.length; i++) sent.push([ids[offset + i] ?? "", at]);
    // Above 500 events/s a tick holds more than one PutEvents call's 10 entries.
    for (let start = 0; start < batch.length; start += MAX_ENTRIES_PER_CALL) {
      const call = batch.slice(start, start + MAX_ENTRIES_PER_CALL);
      calls.push(
        client.send(new PutEventsCommand({ Entries: call })).then((answer) => {
          published += call.length - (answer.FailedEntryCount ?? 0);
        }),
      );
    }
  }
  await Promise.allSettled(calls);
  const produced: ProduceReport = {
    startedAt,
    endedAt: Date.now(),
    published,
    failed: spec.count - published,
    sent,
  };
  report(produced);
}

/** Runs one route under the profiler: start, seed, publish from a producer process, drain, stop. */
async function profileRoute(cdkOutDir: string, type: BenchEventType, count: number): Promise<void> {
  const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-profile-"));
  const { LocalPipeline } = await import("../lib/local/local-pipeline");
  const { seedBenchStock } = await import("./local-pipeline-seed");
  const route = ROUTES[type];
  const expected = (route.inventory + route.payments + route.analytics) * count;
  let handled = 0;
  let drained: () => void = () => {};
  const done = new Promise<void>((resolveDone) => {
    drained = resolveDone;
  });
  const pipeline = await LocalPipeline.start({
    cdkOutDir,
    stateDir,
    port: 0,
    timeScale: 5,
    log: (kind, line) => {
      if (kind !== "invoke") return;
      handled += Number(/ (\d+) deleted/.exec(line)?.[1] ?? 0);
      if (handled >= expected) drained();
    },
  });
  try {
    await seedBenchStock(pipeline);
    const spec: ProduceSpec = { detailType: type, count, tag: `profile-${Date.now()}`, ratePerSecond: 0 };
    const { spawn } = await import("node:child_process");
    const producer = spawn(
      process.execPath,
      [
        "--import",
        import.meta.resolve("tsx"),
        fileURLToPath(import.meta.url),
        "produce",
        pipeline.endpoint,
        JSON.stringify(spec),
      ],
      { stdio: ["ignore", "ignore", "inherit"] },
    );
    const status = await new Promise<number | null>((exited) => producer.once("exit", exited));
    if (status !== 0) throw new Error(`the producer exited with ${status}`);
    const timeout = setTimeout(drained, 120_000);
    await done;
    clearTimeout(timeout);
    report({ expected, handled });
  } finally {
    await pipeline.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [mode, first = "", second = "", third = ""] = process.argv.slice(2);
  if (mode === "start") await measureStart(first);
  else if (mode === "produce") await produce(first, JSON.parse(second) as ProduceSpec);
  else if (mode === "profile") await profileRoute(first, second as BenchEventType, Number(third));
  else throw new Error(`Unknown bench child mode "${mode}"; expected "start", "produce" or "profile".`);
}
