import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { z } from "zod";
import { SavedQueryError, savedQueries } from "../audit/saved-queries";
import { eventTypes } from "../catalog";
import type { LocalPipeline } from "../local/local-pipeline";
import { localAuditEventCounter } from "../ops/audit-event-count";
import { prepareAuditQuery } from "../ops/audit-query";
import {
  DeadLetterQueueError,
  type DeadLetterQueueRef,
  deadLetterQueuesOf,
  describeDeadLetterQueues,
  findDeadLetterQueue,
  peekDeadLetterQueue,
  redriveDeadLetterQueue,
} from "../ops/dlq";
import { LocalAuditError, locateLocalAuditEvents, runLocalAuditQuery } from "../ops/local-audit";
import {
  describeArchiveReplay,
  dryRunArchiveReplay,
  ReplayError,
  replayProgress,
  startArchiveReplay,
} from "../ops/replay";
import { type StackResources, stackResourcesFromOutputs } from "../ops/stack-resources";
import { parseTimeWindow, TimeWindowError } from "../ops/time-window";
import { toPutEventsEntry } from "../producer/envelope";
import { EventValidationError } from "../producer/errors";
import type { AnyPublishRequest } from "../producer/types";
import type { FlowRecorder, RecordedEvent } from "./flow-recorder";

/** The console's URL path on the edge. */
export const CONSOLE_PATH = "/console";

/** Events sent per second on the live stream at most; the rest are counted as left out. */
export const MAX_STREAMED_EVENTS_PER_SECOND = 20;

/** What the topology view draws: the pipeline's resources, from the assembly it runs. */
export interface ConsoleTopology {
  readonly stackName: string;
  readonly buses: readonly { name: string; arn: string }[];
  readonly archives: readonly { name: string; bus: string }[];
  readonly rules: readonly {
    name: string;
    bus: string;
    pattern: unknown;
    targets: readonly { kind: string; arn: string; deadLetterArn?: string }[];
  }[];
  readonly queues: readonly { name: string; arn: string; deadLetterArn?: string; maxReceiveCount?: number }[];
  readonly consumers: readonly { functionName: string; queueArn: string; batchSize: number }[];
  readonly deliveryStreams: readonly { name: string; arn: string; bucket: string }[];
  /**
   * The pipes (the transactional outbox's): the table whose stream they read, the functions that
   * write to it, the bus they put events on, their DLQ and, live, their backlog and state.
   */
  readonly pipes: readonly {
    name: string;
    tableName: string;
    writers: readonly string[];
    busArn: string;
    deadLetterArn?: string;
    backlog: number;
    state: string;
  }[];
}

/** The live numbers: per queue depth, in flight and DLQ depth; per rule matched; consumer errors. */
export interface ConsoleMetrics {
  readonly at: number;
  readonly accepted: number;
  readonly failedHandlings: number;
  readonly matchedByRule: Readonly<Record<string, number>>;
  readonly queues: readonly {
    name: string;
    arn: string;
    visible: number;
    inFlight: number;
    delayed: number;
  }[];
}

/** One event in a flow answer, with its steps and the consumers' log lines. */
export interface ConsoleFlow {
  readonly correlationId: string;
  readonly events: readonly RecordedEvent[];
  readonly logs: readonly { requestId: string; functionName: string; message: string }[];
  /** The recorder keeps the last N events; an older flow shows only what is kept. */
  readonly kept: number;
}

/** Options of {@link serveConsole}. */
export interface ConsoleOptions {
  /** The pipeline's state folder: the audit view reads the local audit files under it. */
  readonly stateDir: string;
  /** The assembly the pipeline runs: its outputs name the audit bucket. */
  readonly cdkOutDir: string;
  /** The built browser app (index.html and its assets). @default dist/console of the package */
  readonly assetsDir?: string;
}

/**
 * Serves the console on the pipeline's own port: the built browser app under `/console`, and its
 * API under `/console/api`, a view over the pipeline's state, the recorder's trace and `lib/ops`
 * (the DLQ view calls the same functions as `eventrail dlq`, with SDK clients on the local edge).
 */
export function serveConsole(pipeline: LocalPipeline, recorder: FlowRecorder, options: ConsoleOptions): void {
  const assetsDir = options.assetsDir ?? defaultAssetsDir();
  const region = pipeline.model.region;
  const clientConfig = {
    endpoint: pipeline.endpoint,
    region,
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
  const sqs = new SQSClient(clientConfig);
  const eventBridge = new EventBridgeClient(clientConfig);
  const auditLocation = async () => {
    const location = await locateLocalAuditEvents({
      stateDir: options.stateDir,
      cdkOutDir: options.cdkOutDir,
    });
    return { ...location, stateDir: options.stateDir };
  };
  let resources: StackResources | undefined;
  const stackResources = (): StackResources => {
    resources ??= stackResourcesFromOutputs(
      pipeline.model.stackName,
      pipeline.model.outputs,
      "the local pipeline's assembly",
    );
    return resources;
  };
  const deadLetterQueue = (name: string): DeadLetterQueueRef => findDeadLetterQueue(stackResources(), name);

  const api: Record<string, (req: IncomingMessage, url: URL, res: ServerResponse) => Promise<void>> = {
    "GET topology": async (_req, _url, res) => json(res, 200, topology(pipeline)),
    "GET metrics": async (_req, _url, res) => json(res, 200, metrics(pipeline, recorder)),
    "GET events": async (_req, url, res) => {
      const detailType = url.searchParams.get("detailType") ?? "";
      const source = url.searchParams.get("source") ?? "";
      const text = (url.searchParams.get("text") ?? "").toLowerCase();
      const limit = Math.min(500, Math.max(1, Number(url.searchParams.get("limit") ?? 100) || 100));
      json(res, 200, {
        events: recorder.recent(limit, (event) => matchesFilter(event, detailType, source, text)),
      });
    },
    "GET flow": async (_req, url, res) => {
      const correlationId = decodeURIComponent(url.pathname.split("/").at(-1) ?? "");
      json(res, 200, flow(recorder, correlationId));
    },
    "GET stream": async (req, _url, res) => stream(req, res, pipeline, recorder),
    "GET dlqs": async (_req, _url, res) => {
      const refs = deadLetterQueuesOf(stackResources());
      json(res, 200, { deadLetterQueues: await describeDeadLetterQueues(sqs, refs) });
    },
    "GET peek": async (_req, url, res) => {
      const ref = deadLetterQueue(url.searchParams.get("dlq") ?? "");
      json(res, 200, { messages: await peekDeadLetterQueue(sqs, ref, { max: 10 }) });
    },
    "POST redrive": async (req, _url, res) => {
      const body = (await readJson(req)) as { dlq?: unknown; max?: unknown };
      const ref = deadLetterQueue(String(body.dlq ?? ""));
      const max = body.max === undefined ? undefined : Number(body.max);
      const result = await redriveDeadLetterQueue({ sqs }, ref, max === undefined ? {} : { max });
      json(res, 200, {
        ...result,
        message:
          result.toMove === 0
            ? `${ref.name} is empty: nothing to redrive.`
            : `Moved ${result.moved} of ${result.toMove} message(s) from ${ref.name} back to ${result.destination}.`,
      });
    },
  };

  Object.assign(api, {
    "GET catalog": async (_req: IncomingMessage, _url: URL, res: ServerResponse) =>
      json(res, 200, {
        eventTypes: eventTypes.map((type) => {
          return {
            detailType: type.detailType,
            source: type.source,
            description: type.description,
            // The JSON editor validates with Ajv's default dialect (draft-07) as the user types.
            editorSchema: z.toJSONSchema(type.data, { target: "draft-7", io: "input" }),
            example: type.example,
          };
        }),
      }),
    "POST publish": async (req: IncomingMessage, _url: URL, res: ServerResponse) => {
      const body = (await readJson(req)) as { detailType?: unknown; data?: unknown };
      let entry: ReturnType<typeof toPutEventsEntry>;
      try {
        entry = toPutEventsEntry(
          { detailType: String(body.detailType ?? ""), data: body.data } as AnyPublishRequest,
          { eventBusName: stackResources().eventBusName, producer: "eventrail-console" },
        );
      } catch (error) {
        if (!(error instanceof EventValidationError)) throw error;
        return json(res, 400, { error: error.message, issues: error.issues });
      }
      const answer = await eventBridge.send(new PutEventsCommand({ Entries: [entry] }));
      const result = answer.Entries?.[0];
      if (result?.EventId === undefined) {
        return json(res, 400, {
          error: `The bus refused the event: ${result?.ErrorCode} ${result?.ErrorMessage}`,
        });
      }
      const detail = JSON.parse(entry.Detail ?? "{}") as {
        metadata: { correlationId: string; eventId: string };
      };
      json(res, 200, { eventId: result.EventId, correlationId: detail.metadata.correlationId });
    },
    "GET saved-queries": async (_req: IncomingMessage, _url: URL, res: ServerResponse) =>
      json(res, 200, {
        savedQueries: savedQueries.map(({ name, description, parameters }) => ({
          name,
          description,
          parameters,
        })),
      }),
    "POST audit": async (req: IncomingMessage, _url: URL, res: ServerResponse) => {
      const body = (await readJson(req)) as { query?: unknown; params?: Record<string, string> };
      let prepared: ReturnType<typeof prepareAuditQuery>;
      try {
        prepared = prepareAuditQuery(String(body.query ?? ""), body.params ?? {});
      } catch (error) {
        if (error instanceof SavedQueryError) return json(res, 400, { error: error.message });
        throw error;
      }
      try {
        const location = await auditLocation();
        const result = await runLocalAuditQuery({
          eventsRoot: location.eventsRoot,
          sql: prepared.sql,
          maxRows: 1_000,
          sandboxed: true,
        });
        json(res, 200, { sql: prepared.sql, columns: result.columns.map((c) => c.name), rows: result.rows });
      } catch (error) {
        if (error instanceof LocalAuditError) return json(res, 400, { error: error.message });
        throw error;
      }
    },
    "POST replay": async (req: IncomingMessage, _url: URL, res: ServerResponse) => {
      const body = (await readJson(req)) as {
        from?: unknown;
        to?: unknown;
        subscriptions?: unknown;
        dryRun?: unknown;
      };
      const now = new Date();
      try {
        const window = parseTimeWindow(String(body.from ?? ""), String(body.to ?? "now"), now);
        const subscriptions = Array.isArray(body.subscriptions) ? body.subscriptions.map(String) : [];
        // The console replays what the archive holds now: the local archive is written before routing.
        const request = { window, subscriptions, force: true, now };
        if (body.dryRun === true) {
          const counter = localAuditEventCounter(await auditLocation());
          return json(res, 200, await dryRunArchiveReplay(eventBridge, stackResources(), request, counter));
        }
        json(res, 200, await startArchiveReplay(eventBridge, stackResources(), request));
      } catch (error) {
        if (
          error instanceof TimeWindowError ||
          error instanceof ReplayError ||
          error instanceof LocalAuditError
        ) {
          return json(res, 400, { error: error.message });
        }
        throw error;
      }
    },
    "GET replay": async (_req: IncomingMessage, url: URL, res: ServerResponse) => {
      try {
        const status = await describeArchiveReplay(eventBridge, url.searchParams.get("name") ?? "");
        json(res, 200, { ...status, progress: replayProgress(status) });
      } catch (error) {
        if (error instanceof ReplayError) return json(res, 404, { error: error.message });
        throw error;
      }
    },
    "GET subscriptions": async (_req: IncomingMessage, _url: URL, res: ServerResponse) =>
      json(res, 200, { subscriptions: stackResources().subscriptions.map((s) => s.name) }),
  });

  pipeline.serveHttp(CONSOLE_PATH, async (req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const apiPrefix = `${CONSOLE_PATH}/api/`;
    if (url.pathname.startsWith(apiPrefix)) {
      const name = url.pathname.slice(apiPrefix.length).split("/")[0] ?? "";
      const handler = api[`${req.method} ${name}`];
      if (handler === undefined) {
        return json(res, 404, { error: `No console API ${req.method} ${url.pathname}.` });
      }
      try {
        await handler(req, url, res);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const status = error instanceof DeadLetterQueueError || error instanceof SyntaxError ? 400 : 500;
        if (!res.headersSent) json(res, status, { error: message });
      }
      return;
    }
    await serveAsset(res, assetsDir, url.pathname.slice(CONSOLE_PATH.length));
  });
}

function defaultAssetsDir(): string {
  // The package's dist/console, next to dist/cli (the bundle build rewrites this URL to the source's).
  return fileURLToPath(new URL("../../dist/console", import.meta.url));
}

function topology(pipeline: LocalPipeline): ConsoleTopology {
  const { model } = pipeline;
  return {
    stackName: model.stackName,
    buses: model.buses.map((bus) => ({ name: bus.name, arn: bus.arn })),
    archives: model.archives.map((archive) => ({ name: archive.name, bus: archive.sourceBusName })),
    rules: model.rules.map((rule) => ({
      name: rule.name,
      bus: rule.busName,
      pattern: rule.eventPattern,
      targets: rule.targets.map((target) => ({
        kind: target.kind,
        arn: target.arn,
        ...(target.deadLetterArn === undefined ? {} : { deadLetterArn: target.deadLetterArn }),
      })),
    })),
    queues: model.queues.map((queue) => ({
      name: queue.name,
      arn: queue.arn,
      ...(queue.redrive === undefined
        ? {}
        : {
            deadLetterArn: queue.redrive.deadLetterTargetArn,
            maxReceiveCount: queue.redrive.maxReceiveCount,
          }),
    })),
    consumers: model.eventSourceMappings.map((mapping) => ({
      functionName: mapping.functionName,
      queueArn: mapping.queueArn,
      batchSize: mapping.batchSize,
    })),
    deliveryStreams: model.deliveryStreams.map((stream) => ({
      name: stream.name,
      arn: stream.arn,
      bucket: stream.bucketName,
    })),
    pipes: pipeline.pipes.map((pipe) => {
      const status = pipe.status();
      const table = model.tables.find((t) => t.stream?.arn === pipe.settings.sourceArn);
      const tableName = table?.name ?? pipe.settings.sourceArn;
      return {
        name: pipe.name,
        tableName,
        // The functions told the table's name by the template (OUTBOX_TABLE_NAME and the like).
        writers: model.functions
          .filter((fn) => Object.values(fn.environment).includes(tableName))
          .map((fn) => fn.name),
        busArn: pipe.settings.targetArn,
        ...(status.deadLetterArn === undefined ? {} : { deadLetterArn: status.deadLetterArn }),
        backlog: status.backlog,
        state: status.currentState,
      };
    }),
  };
}

function metrics(pipeline: LocalPipeline, recorder: FlowRecorder): ConsoleMetrics {
  return {
    at: Date.now(),
    accepted: recorder.counters.accepted,
    failedHandlings: recorder.counters.failedHandlings,
    matchedByRule: Object.fromEntries(recorder.counters.matchedByRule),
    queues: pipeline.queues.queues.map((queue) => ({ name: queue.name, arn: queue.arn, ...queue.counts() })),
  };
}

function flow(recorder: FlowRecorder, correlationId: string): ConsoleFlow {
  const events = recorder.flow(correlationId);
  const requestIds = new Set<string>();
  for (const event of events) {
    for (const step of event.steps) {
      if ((step.kind === "received" || step.kind === "handled") && step.requestId !== undefined) {
        requestIds.add(step.requestId);
      }
    }
  }
  return { correlationId, events, logs: recorder.logLines(requestIds), kept: recorder.size };
}

function matchesFilter(event: RecordedEvent, detailType: string, source: string, text: string): boolean {
  if (detailType !== "" && event.detailType !== detailType) return false;
  if (source !== "" && event.source !== source) return false;
  return text === "" || JSON.stringify(event.detail).toLowerCase().includes(text);
}

/**
 * Server-sent events: `metrics` every second, `event` for accepted events (at most
 * {@link MAX_STREAMED_EVENTS_PER_SECOND} a second; `metrics.leftOut` counts the others), so a busy
 * pipeline never floods the browser. A client that loses the stream reconnects by itself.
 */
function stream(
  req: IncomingMessage,
  res: ServerResponse,
  pipeline: LocalPipeline,
  recorder: FlowRecorder,
): void {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-store",
    connection: "keep-alive",
  });
  res.write("retry: 1000\n\n");
  let sentThisSecond = 0;
  let leftOut = 0;
  const unsubscribe = recorder.subscribe((event) => {
    if (sentThisSecond >= MAX_STREAMED_EVENTS_PER_SECOND) {
      leftOut += 1;
      return;
    }
    sentThisSecond += 1;
    res.write(`event: event\ndata: ${JSON.stringify(event)}\n\n`);
  });
  const tick = setInterval(() => {
    res.write(`event: metrics\ndata: ${JSON.stringify({ ...metrics(pipeline, recorder), leftOut })}\n\n`);
    sentThisSecond = 0;
    leftOut = 0;
  }, 1000);
  tick.unref();
  req.on("close", () => {
    clearInterval(tick);
    unsubscribe();
  });
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
};

async function serveAsset(res: ServerResponse, assetsDir: string, requested: string): Promise<void> {
  const index = path.join(assetsDir, "index.html");
  if (!existsSync(index)) {
    res.writeHead(503, { "content-type": "text/html; charset=utf-8" });
    res.end(
      "<!doctype html><title>eventrail console</title><p>The console is not built. Run <code>npm run build:console</code> (npm ci runs it) and reload.</p>\n",
    );
    return;
  }
  // Files of the build by their path; every other path (/, /flow/<id>, ...) is the app's own route.
  const relative = path.normalize(requested).replace(/^([/\\])+/, "");
  const file = path.join(assetsDir, relative);
  const isAsset =
    relative !== "" && file.startsWith(assetsDir + path.sep) && path.extname(file) in CONTENT_TYPES;
  const chosen = isAsset && existsSync(file) ? file : index;
  const body = await readFile(chosen);
  res.writeHead(200, {
    "content-type": CONTENT_TYPES[path.extname(chosen)] ?? "application/octet-stream",
    "cache-control": "no-store",
    // Only this origin's own bundle runs: the JSON editor's schema validator (Ajv) compiles schemas
    // to functions, hence 'unsafe-eval'; its styles are injected, hence 'unsafe-inline' for styles.
    "content-security-policy":
      "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1_048_576) throw new SyntaxError("The request body is larger than 1 MiB.");
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  return text === "" ? {} : JSON.parse(text);
}
