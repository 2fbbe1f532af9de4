import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { catalog } from "../lib/catalog";
import { EventBridgePublisher, type PublishRequest, toPutEventsEntry } from "../lib/producer";
import type { Bench, BenchRow } from "./table";

/**
 * The publisher against a local PutEvents endpoint that answers after a fixed delay, like a
 * network round trip. The endpoint runs in its own process so that it does not share the
 * publisher's event loop (or its core). Three measurements:
 *
 * - a naive loop, one awaited PutEvents per event, on a 1,000-event sample: its rate is
 *   extrapolated, since it is flat (each event costs one round trip);
 * - the publisher on 100,000 events: events per second and PutEvents calls;
 * - peak RSS of a child process streaming 1,000,000 events through `publishStream`.
 */

const GROUP = "publisher";
const ROUND_TRIP_MS = 10;
const NAIVE_SAMPLE = 1_000;
const PUBLISHER_EVENTS = 100_000;
const STREAM_EVENTS = 1_000_000;
/** The RSS child uses a faster endpoint: the round trip does not change memory, only duration. */
const STREAM_ROUND_TRIP_MS = 1;
/** Calls in flight for the 1,000,000-event stream; raised from the default to keep the run short. */
const STREAM_MAX_IN_FLIGHT = 32;

const self = fileURLToPath(import.meta.url);
const tsx = import.meta.resolve("tsx");

function request(n: number): PublishRequest<"OrderPlaced"> {
  return { detailType: "OrderPlaced", data: { ...catalog.OrderPlaced.example, orderId: `ORD-${n}` } };
}

function* requests(count: number): Generator<PublishRequest<"OrderPlaced">> {
  for (let n = 0; n < count; n++) yield request(n);
}

function client(endpoint: string): EventBridgeClient {
  return new EventBridgeClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "bench", secretAccessKey: "bench" },
  });
}

/** Runs this file in a child process in `mode`; resolves with the child and its first stdout line. */
async function child(mode: string, ...args: string[]): Promise<{ process: ChildProcess; line: string }> {
  const started = spawn(process.execPath, ["--import", tsx, self, mode, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  const lines = createInterface({ input: started.stdout as NodeJS.ReadableStream });
  for await (const line of lines) return { process: started, line };
  throw new Error(`bench child "${mode}" exited with code ${started.exitCode} before reporting`);
}

async function startEndpoint(roundTripMs: number): Promise<{ endpoint: string; stop(): void }> {
  const { process: server, line } = await child("serve", String(roundTripMs));
  const { port } = JSON.parse(line) as { port: number };
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => server.kill() };
}

async function naiveRate(endpoint: string): Promise<number> {
  const eventBridge = client(endpoint);
  const context = { eventBusName: "bench", producer: "bench" };
  const started = performance.now();
  for (const next of requests(NAIVE_SAMPLE)) {
    await eventBridge.send(new PutEventsCommand({ Entries: [toPutEventsEntry(next, context)] }));
  }
  return NAIVE_SAMPLE / ((performance.now() - started) / 1_000);
}

async function publisherRun(endpoint: string): Promise<{ rate: number; calls: number; published: number }> {
  const publisher = new EventBridgePublisher({
    eventBusName: "bench",
    producer: "bench",
    client: client(endpoint),
  });
  const started = performance.now();
  const stream = publisher.publishStream(requests(PUBLISHER_EVENTS));
  for await (const _outcome of stream) {
    // Only the counts matter here.
  }
  const seconds = (performance.now() - started) / 1_000;
  return { rate: PUBLISHER_EVENTS / seconds, calls: stream.counts.calls, published: stream.counts.published };
}

interface StreamReport {
  readonly maxRssMb: number;
  readonly seconds: number;
  readonly published: number;
  readonly calls: number;
}

const bench: Bench = async () => {
  const endpoint = await startEndpoint(ROUND_TRIP_MS);
  let naive: number;
  let run: Awaited<ReturnType<typeof publisherRun>>;
  try {
    naive = await naiveRate(endpoint.endpoint);
    run = await publisherRun(endpoint.endpoint);
  } finally {
    endpoint.stop();
  }
  const streamEndpoint = await startEndpoint(STREAM_ROUND_TRIP_MS);
  let stream: StreamReport;
  try {
    const { line } = await child("stream", streamEndpoint.endpoint, String(STREAM_EVENTS));
    stream = JSON.parse(line) as StreamReport;
  } finally {
    streamEndpoint.stop();
  }

  const ratio = run.rate / naive;
  const callsPerEvent = run.calls / PUBLISHER_EVENTS;
  const rows: BenchRow[] = [
    {
      group: GROUP,
      metric: `naive loop, 1 awaited PutEvents per event (${NAIVE_SAMPLE.toLocaleString("en-US")}-event sample, rate extrapolated), ${ROUND_TRIP_MS} ms round trip`,
      value: naive,
      unit: "events/s",
    },
    {
      group: GROUP,
      metric: `EventBridgePublisher, ${PUBLISHER_EVENTS.toLocaleString("en-US")} events, defaults, ${ROUND_TRIP_MS} ms round trip`,
      value: run.rate,
      unit: "events/s",
    },
    {
      group: GROUP,
      metric: "throughput, publisher / naive loop",
      value: ratio,
      unit: "x",
      target: ">= 40x",
      met: ratio >= 40,
    },
    {
      group: GROUP,
      metric: `PutEvents calls for ${PUBLISHER_EVENTS.toLocaleString("en-US")} events (naive loop: 1 per event)`,
      value: run.calls,
      unit: "calls",
    },
    {
      group: GROUP,
      metric: "PutEvents calls per event",
      value: callsPerEvent,
      unit: "calls/event",
      target: "<= 0.1",
      met: callsPerEvent <= 0.1 && run.published === PUBLISHER_EVENTS,
    },
    {
      group: GROUP,
      metric: `peak RSS, child streaming ${STREAM_EVENTS.toLocaleString("en-US")} events (publishStream, ${STREAM_MAX_IN_FLIGHT} in flight, ${STREAM_ROUND_TRIP_MS} ms round trip)`,
      value: stream.maxRssMb,
      unit: "MB",
      target: "< 300 MB",
      met: stream.maxRssMb < 300 && stream.published === STREAM_EVENTS,
    },
    {
      group: GROUP,
      metric: `throughput of that ${STREAM_EVENTS.toLocaleString("en-US")}-event stream`,
      value: stream.published / stream.seconds,
      unit: "events/s",
    },
  ];
  return rows;
};

export default bench;

/** Child mode "serve": a PutEvents endpoint answering every entry after `roundTripMs`. */
async function serve(roundTripMs: number): Promise<void> {
  let ids = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const { Entries = [] } = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { Entries?: unknown[] };
      const body = JSON.stringify({
        FailedEntryCount: 0,
        Entries: Entries.map(() => ({ EventId: `id-${ids++}` })),
      });
      setTimeout(() => {
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
        res.end(body);
      }, roundTripMs);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
}

/** Child mode "stream": streams `count` events to `endpoint`, then reports its peak RSS. */
async function streamEvents(endpoint: string, count: number): Promise<void> {
  const publisher = new EventBridgePublisher({
    eventBusName: "bench",
    producer: "bench",
    client: client(endpoint),
    maxInFlight: STREAM_MAX_IN_FLIGHT,
  });
  const started = performance.now();
  const stream = publisher.publishStream(requests(count));
  for await (const _outcome of stream) {
    // Consuming is what lets the stream go on (backpressure); nothing is kept.
  }
  const report: StreamReport = {
    // maxRSS is in kilobytes (KiB) on Linux.
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    seconds: (performance.now() - started) / 1_000,
    published: stream.counts.published,
    calls: stream.counts.calls,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === self) {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === "serve") await serve(Number(args[0]));
  else if (mode === "stream") await streamEvents(args[0] ?? "", Number(args[1]));
  else throw new Error(`Unknown bench child mode "${mode}"; expected "serve" or "stream".`);
}
