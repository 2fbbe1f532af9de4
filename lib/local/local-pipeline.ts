import { availableParallelism } from "node:os";
import * as path from "node:path";
import { AWS_LIMITS } from "../aws-limits";
import { loadLocalModel } from "./assembly";
import { AwsServiceError } from "./aws-error";
import { type Clock, systemClock } from "./clock";
import {
  CLOUDFORMATION_API_VERSION,
  createCloudFormationService,
} from "./cloudformation/cloudformation-service";
import { type LocalDynamoDb, startLocalDynamoDb } from "./dynamodb";
import { DYNAMODB_STREAMS_TARGET_PREFIX } from "./dynamodb/streams-service";
import { EdgeServer, type HttpHandler } from "./edge-server";
import type { BusEvent } from "./events/bus-event";
import { LocalEventBridge } from "./events/local-event-bridge";
import { DeliveryError, type StringAttributes, type TargetSinks } from "./events/target-dispatcher";
import {
  DeliveryStreamSink,
  type DeliveryStreamStatus,
  FirehoseRecordError,
} from "./firehose/delivery-stream-sink";
import { type FunctionLogEntry, FunctionRunner, type InvocationResult } from "./lambda/function-runner";
import { LAMBDA_FUNCTIONS_PATH, lambdaInvokeHandler } from "./lambda/invoke-http";
import {
  DEFAULT_MAPPING_CONCURRENCY,
  type EventSourceQueue,
  formatBatchInvocationReport,
  type ReceivedSqsMessage,
  SqsEventSourcePoller,
} from "./lambda/sqs-event-source";
import type { LocalPipelineModel } from "./model";
import { observedInvoker, observedLog, type PipelineObserver } from "./pipeline-observer";
import { PIPES_PATH, pipesHttpHandler } from "./pipes/pipes-http";
import { StreamPipe, type StreamPipeStatus } from "./pipes/stream-pipe";
import type { LocalQueue, ReceivedMessage } from "./sqs/queue";
import { QueueStore, recoveryNotices } from "./sqs/queue-store";
import { createSqsService } from "./sqs/sqs-service";

/** The port the local pipeline listens on unless told otherwise. */
export const DEFAULT_LOCAL_PORT = 4010;

/** What `GET /health` answers: whether the pipeline runs, and how its audit streams are doing. */
export interface LocalPipelineHealth {
  readonly status: "starting" | "ok";
  /** Each delivery stream: records waiting to be written, and whether writing objects fails. */
  readonly audit: readonly DeliveryStreamStatus[];
  /** Each pipe: its state, and the stream records it has yet to deliver (the outbox's backlog). */
  readonly pipes: readonly StreamPipeStatus[];
}

/** What the local pipeline logs, by kind, so the CLI can colour and filter it. */
export type LocalLogKind =
  | "pipeline"
  | "event"
  | "rule"
  | "delivery"
  | "dlq"
  | "invoke"
  | "function"
  | "audit"
  | "error";

/** Options of {@link LocalPipeline.start}. */
export interface LocalPipelineOptions {
  /** The synthesized cloud assembly. */
  readonly cdkOutDir: string;
  /** Where queues, tables, the archive and the audit files live. */
  readonly stateDir: string;
  /** 0 picks a free port. @default 4010 */
  readonly port?: number;
  /** Divides visibility timeouts, retry back-offs, batching windows and buffering intervals. @default 1 */
  readonly timeScale?: number;
  /** Which stack of the assembly to run. @default - the only one */
  readonly stackName?: string;
  /** Receives every log line. @default - nothing is logged */
  readonly log?: (kind: LocalLogKind, line: string) => void;
  /** Whether consumers' own log lines are passed to `log`. @default true */
  readonly functionLogs?: boolean;
  /**
   * Salvage damaged state instead of refusing to start: every valid SQS journal record is kept and
   * the damaged ones reported, and a DynamoDB folder without its manifest is repaired by LevelDB.
   * @default false
   */
  readonly repair?: boolean;
  /**
   * The time source of every emulated service (see {@link Clock}); a test can run the pipeline on
   * a clock of its own. @default systemClock
   */
  readonly clock?: Clock;
  /**
   * Told of every step each event takes (the local console's trace); the functions' log lines are
   * captured for it too. @default - none
   */
  readonly observer?: PipelineObserver;
}

/**
 * The synthesized app on one machine: reads the cloud assembly and runs what it describes behind
 * one AWS-compatible endpoint: the buses, rules and archive (EventBridge), the queues with their
 * redrive policies (SQS), the tables (DynamoDB), the Firehose audit stream writing to a local
 * folder laid out like its bucket, and every Lambda consumer's bundled code fed by its event
 * source mapping.
 */
export class LocalPipeline {
  private constructor(
    /** The endpoint clients use, e.g. `http://127.0.0.1:4010`. */
    public readonly endpoint: string,
    /** What the pipeline runs, read from the assembly. */
    public readonly model: LocalPipelineModel,
    /** The local EventBridge (for tests and the CLI). */
    public readonly eventBridge: LocalEventBridge,
    /** The local SQS engine. */
    public readonly queues: QueueStore,
    private readonly edge: EdgeServer,
    private readonly dynamoDb: LocalDynamoDb,
    private readonly sinks: readonly DeliveryStreamSink[],
    private readonly runners: readonly FunctionRunner[],
    private readonly pollers: readonly SqsEventSourcePoller[],
    /** The EventBridge pipes (the outbox's), for tests and the CLI. */
    public readonly pipes: readonly StreamPipe[],
  ) {}

  /** Starts everything; resolves when the endpoint answers. */
  public static async start(options: LocalPipelineOptions): Promise<LocalPipeline> {
    const log = options.log ?? (() => {});
    const timeScale = options.timeScale ?? 1;
    const clock = options.clock ?? systemClock;
    let health: () => LocalPipelineHealth = () => ({ status: "starting", audit: [], pipes: [] });
    const edge = new EdgeServer({ routes: [], log: (line) => log("error", line), health: () => health() });
    const endpoint = await edge.listen(options.port ?? DEFAULT_LOCAL_PORT);
    const started: { close(): Promise<void> }[] = [edge];
    try {
      const model = await loadLocalModel({
        cdkOutDir: options.cdkOutDir,
        stackName: options.stackName,
        endpoint,
      });
      const dynamoDb = await startLocalDynamoDb({
        stateDir: options.stateDir,
        tables: model.tables,
        log: (line) => log("pipeline", line),
        repair: options.repair === true,
        clock,
        region: model.region,
      });
      started.push(dynamoDb);
      const queues = await QueueStore.open({
        queues: model.queues,
        stateDir: options.stateDir,
        timeScale,
        clock,
        defaultSenderId: model.accountId,
        repair: options.repair === true,
        onDeadLetter: (move) =>
          log(
            "dlq",
            `DEAD-LETTERED message ${move.messageId} from queue ${move.sourceQueue} -> ${move.deadLetterQueue} after ${move.receiveCount} receives (maxReceiveCount ${move.maxReceiveCount})`,
          ),
      });
      started.push(queues);
      for (const notice of recoveryNotices(queues.recovery)) {
        log(notice.severity === "warning" ? "error" : "pipeline", notice.text);
      }
      if (queues.recovery.restoredMessages > 0) {
        log("pipeline", `restored ${queues.recovery.restoredMessages} messages from ${options.stateDir}`);
      }

      const sinks = model.deliveryStreams.map(
        (stream) =>
          new DeliveryStreamSink({
            stream,
            stateDir: options.stateDir,
            timeScale,
            clock,
            log: (line) =>
              log(
                /^(AUDIT WRITE FAILED|AUDIT SPOOL ERROR|AUDIT SPOOL REPAIRED)/.test(line) ? "error" : "audit",
                line,
              ),
          }),
      );
      for (const sink of sinks) await sink.open({ repair: options.repair === true });
      started.push(...sinks);
      let pipes: readonly StreamPipe[] = [];
      health = () => ({
        status: "ok",
        audit: sinks.map((sink) => sink.status()),
        pipes: pipes.map((pipe) => pipe.status()),
      });

      const runners = model.functions.map((definition) => {
        const mappings = model.eventSourceMappings.filter((m) => m.functionName === definition.name);
        const concurrency = mappings.reduce(
          (sum, m) => sum + (m.maxConcurrency ?? DEFAULT_MAPPING_CONCURRENCY),
          0,
        );
        return new FunctionRunner({
          definition,
          endpointUrl: endpoint,
          // Lambda's concurrency is a bound, not a number of threads to start: more execution
          // environments than cores only add cold starts and contention on this machine.
          maxConcurrency: Math.max(1, Math.min(concurrency, availableParallelism())),
          edgeDispatch: (request) => edge.dispatch(request),
          // Function timeouts stay real: a cold start and a handler take the same wall time at any
          // time scale. Messages stay invisible while their invocation can run (see the pollers).
          timeScale: 1,
          // Lines nobody reads are dropped in the worker.
          ...(options.observer !== undefined || (options.log !== undefined && options.functionLogs !== false)
            ? {
                onLog: (entry: FunctionLogEntry) => {
                  if (options.log !== undefined && options.functionLogs !== false) {
                    log("function", `${entry.functionName} | ${entry.message}`);
                  }
                  if (options.observer !== undefined) observedLog(options.observer, entry);
                },
              }
            : {}),
        });
      });
      started.push(...runners);

      let eventBridge: LocalEventBridge | undefined;
      const targetSinks = createTargetSinks({
        queues,
        sinks,
        runners,
        model,
        route: (event, busArn) => {
          if (!eventBridge) throw new Error("the local EventBridge is not ready");
          return eventBridge.routeToBus(event, busArn);
        },
      });
      eventBridge = new LocalEventBridge({
        model,
        stateDir: options.stateDir,
        sinks: targetSinks,
        timeScale,
        clock,
        observer: options.observer,
        ...(options.log === undefined ? {} : { log: (line: string) => log(classify(line), line) }),
      });
      await eventBridge.open();
      started.push(eventBridge);

      edge.mount({
        targetPrefix: "AWSEvents",
        contentType: "application/x-amz-json-1.1",
        service: eventBridge.service,
      });
      edge.mount({
        targetPrefix: "AmazonSQS",
        contentType: "application/x-amz-json-1.0",
        service: createSqsService(queues, { accountId: model.accountId, region: model.region, endpoint }),
      });
      edge.mountQuery(CLOUDFORMATION_API_VERSION, createCloudFormationService(model, new Date(clock.now())));
      edge.mount({
        targetPrefix: "DynamoDB_20120810",
        contentType: "application/x-amz-json-1.0",
        service: dynamoDb.service,
      });
      edge.mount({
        targetPrefix: DYNAMODB_STREAMS_TARGET_PREFIX,
        contentType: "application/x-amz-json-1.0",
        service: dynamoDb.streamsService,
      });

      const bridge = eventBridge;
      pipes = await Promise.all(
        model.pipes.map((definition) =>
          StreamPipe.open({
            definition,
            streams: dynamoDb.streams,
            ...(definition.enrichmentArn === undefined
              ? {}
              : { enrich: enrichmentInvoker(definition.enrichmentArn, model, runners, options.observer) }),
            putEvents: (entries) => bridge.putEvents(entries),
            async sendToDeadLetter(queueArn, body) {
              const queue = queues.queueByArn(queueArn);
              if (!queue) throw new Error(`The pipe's dead-letter queue ${queueArn} does not exist`);
              await queue.send({ body });
            },
            stateFile: path.join(options.stateDir, "pipes", `${definition.name}.json`),
            clock,
            timeScale,
            log: (line) =>
              log(
                line.startsWith("DEAD-LETTERED")
                  ? "dlq"
                  : /^PIPE (ERROR|\S+ \w+StageFailed)/.test(line)
                    ? "error"
                    : "delivery",
                line,
              ),
          }),
        ),
      );
      started.push(...pipes);
      edge.mountHttp(PIPES_PATH, pipesHttpHandler(pipes, new Date(clock.now())));
      edge.mountHttp(
        LAMBDA_FUNCTIONS_PATH,
        lambdaInvokeHandler(
          runners.map((runner) =>
            options.observer === undefined ? runner : observedInvoker(runner, options.observer),
          ),
        ),
      );

      const pollers = model.eventSourceMappings
        .filter((mapping) => mapping.enabled)
        .map((mapping) => {
          const runner = runners.find((r) => r.functionName === mapping.functionName);
          const queue = queues.queueByArn(mapping.queueArn);
          if (!runner || !queue) {
            throw new Error(
              `Event source mapping ${mapping.logicalId} joins ${mapping.queueArn} to ${mapping.functionName}, which the template does not both declare`,
            );
          }
          const poller = new SqsEventSourcePoller({
            mapping,
            queue: eventSourceQueue(queue, model.region),
            invoker: options.observer === undefined ? runner : observedInvoker(runner, options.observer),
            timeScale,
            clock,
            ...(options.log === undefined
              ? {}
              : { onInvocation: (report) => log("invoke", formatBatchInvocationReport(report)) }),
            onError: (error) => log("error", error.message),
          });
          poller.start();
          return poller;
        });

      log(
        "pipeline",
        `running ${model.stackName}: ${model.rules.length} rules, ${model.queues.length} queues, ${model.functions.length} functions, ${model.tables.length} tables, ${model.pipes.length} pipes, ${model.deliveryStreams.length} delivery streams`,
      );
      return new LocalPipeline(
        endpoint,
        model,
        eventBridge,
        queues,
        edge,
        dynamoDb,
        sinks,
        runners,
        pollers,
        pipes,
      );
    } catch (error) {
      for (const resource of started.reverse()) await resource.close().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Serves plain HTTP requests whose path starts with `prefix` (e.g. `/console`) on the edge's own
   * port, behind its Host and Origin checks.
   */
  public serveHttp(prefix: string, handler: HttpHandler): void {
    this.edge.mountHttp(prefix, handler);
  }

  /** The DynamoDB service behind the edge, for seeding and tests. */
  public get dynamoDbService(): LocalDynamoDb["service"] {
    return this.dynamoDb.service;
  }

  /** The audit streams' state: records waiting, and failing object writes (what `GET /health` shows). */
  public auditStatus(): readonly DeliveryStreamStatus[] {
    return this.sinks.map((sink) => sink.status());
  }

  /** Writes buffered audit records out now (tests; the stream's buffering interval does it otherwise). */
  public async flushAudit(): Promise<void> {
    await Promise.all(this.sinks.map((sink) => sink.flush()));
  }

  /**
   * Stops cleanly: pollers finish their in-flight batches, the audit buffer is written, queues and
   * tables close. Nothing accepted is lost: queues and the spool are on disk.
   */
  public async stop(): Promise<void> {
    await Promise.all(this.pipes.map((p) => p.close()));
    await Promise.all(this.pollers.map((p) => p.stop()));
    await this.edge.close();
    await this.eventBridge.close();
    await Promise.all(this.sinks.map((s) => s.close()));
    await Promise.all(this.runners.map((r) => r.close()));
    await this.queues.close();
    await this.dynamoDb.close();
  }
}

/** Invokes a pipe's enrichment function synchronously, as Pipes do, with the batch as its event. */
function enrichmentInvoker(
  functionArn: string,
  model: LocalPipelineModel,
  runners: readonly FunctionRunner[],
  observer: PipelineObserver | undefined,
): (batch: readonly unknown[]) => Promise<InvocationResult> {
  const definition = model.functions.find((f) => f.arn === functionArn || `${f.arn}:$LATEST` === functionArn);
  const runner = runners.find((r) => r.functionName === definition?.name);
  if (runner === undefined)
    throw new Error(`The pipe's enrichment ${functionArn} is not a function of the template`);
  const invoker = observer === undefined ? runner : observedInvoker(runner, observer);
  return (batch) => invoker.invoke(batch);
}

function classify(line: string): LocalLogKind {
  if (line.startsWith("accepted") || line.startsWith("rejected")) return "event";
  if (line.startsWith("matched")) return "rule";
  if (line.startsWith("DEAD-LETTERED") || line.startsWith("DROPPED")) return "dlq";
  return "delivery";
}

interface SinkWiring {
  readonly queues: QueueStore;
  readonly sinks: readonly DeliveryStreamSink[];
  readonly runners: readonly FunctionRunner[];
  readonly model: LocalPipelineModel;
  readonly route: (event: BusEvent, busArn: string) => Promise<void>;
}

/** Connects rule targets to the local SQS, Firehose, buses and functions, mapping failures as EventBridge sees them. */
function createTargetSinks(wiring: SinkWiring): TargetSinks {
  return {
    async sendToQueue(queueArn: string, body: string, attributes?: StringAttributes): Promise<void> {
      const queue = wiring.queues.queueByArn(queueArn);
      if (!queue) throw new DeliveryError("RESOURCE_NOT_FOUND", `Queue ${queueArn} does not exist.`, false);
      try {
        await queue.send({ body, messageAttributes: attributes });
      } catch (error) {
        if (error instanceof AwsServiceError && error.statusCode < 500) {
          throw new DeliveryError("SQS_ERROR", `${error.code}: ${error.message}`, false, { cause: error });
        }
        throw new DeliveryError("SQS_ERROR", error instanceof Error ? error.message : String(error), true, {
          cause: error,
        });
      }
    },
    async putToDeliveryStream(streamArn: string, record: string): Promise<void> {
      const sink = wiring.sinks.find((s) => s.stream.arn === streamArn);
      if (!sink)
        throw new DeliveryError("RESOURCE_NOT_FOUND", `Delivery stream ${streamArn} does not exist.`, false);
      try {
        await sink.put(record);
      } catch (error) {
        if (error instanceof FirehoseRecordError)
          throw new DeliveryError("FIREHOSE_ERROR", error.message, false);
        throw error;
      }
    },
    putToBus: (busArn, event) => wiring.route(event, busArn),
    async invokeFunction(functionArn: string, payload: string): Promise<void> {
      const definition = wiring.model.functions.find(
        (f) => f.arn === functionArn || `${f.arn}:$LATEST` === functionArn,
      );
      const runner = wiring.runners.find((r) => r.functionName === definition?.name);
      if (!runner)
        throw new DeliveryError("RESOURCE_NOT_FOUND", `Function ${functionArn} does not exist.`, false);
      // EventBridge invokes Lambda asynchronously: delivery succeeds once the invocation is accepted.
      void runner.invoke(JSON.parse(payload));
    },
  };
}

/** Lambda's view of a queue: receives become Lambda SQS records. */
function eventSourceQueue(queue: LocalQueue, region: string): EventSourceQueue {
  const toRecord = (message: ReceivedMessage): ReceivedSqsMessage => ({
    messageId: message.messageId,
    receiptHandle: message.receiptHandle,
    body: message.body,
    attributes: message.attributes,
    messageAttributes: Object.fromEntries(
      Object.entries(message.messageAttributes).map(([name, value]) => [
        name,
        {
          dataType: value.DataType,
          stringValue: value.StringValue,
          binaryValue: value.BinaryValue,
          stringListValues: [],
          binaryListValues: [],
        },
      ]),
    ),
    md5OfBody: message.md5OfBody,
    md5OfMessageAttributes: message.md5OfMessageAttributes,
    eventSource: "aws:sqs",
    eventSourceARN: queue.settings.arn,
    awsRegion: region,
  });
  return {
    arn: queue.settings.arn,
    visibilityTimeoutMs: queue.scaledMs(queue.settings.visibilityTimeoutSeconds),
    async receive(max, waitMs, signal, minInvisibleMs) {
      // Visibility is in queue seconds, which the time scale shortens: convert the floor back.
      const floorSeconds = minInvisibleMs === undefined ? 0 : Math.ceil(minInvisibleMs / queue.scaledMs(1));
      const messages = await queue.receive({
        maxMessages: Math.min(10, max),
        waitTimeSeconds: Math.min(20, Math.max(0, Math.ceil(waitMs / 1000))),
        visibilityTimeoutSeconds: Math.min(
          AWS_LIMITS.sqsVisibilityTimeoutSeconds.max,
          Math.max(queue.settings.visibilityTimeoutSeconds, floorSeconds),
        ),
        signal,
      });
      return messages.map(toRecord);
    },
    async delete(receiptHandles) {
      // Together, so that the journal's group commit makes one write and one fdatasync of the batch.
      await Promise.all(receiptHandles.map((handle) => queue.delete(handle)));
    },
    async release(receiptHandles, afterMs) {
      const seconds = Math.ceil(afterMs / queue.scaledMs(1));
      await Promise.all(
        receiptHandles.map((handle) =>
          queue.changeVisibility(handle, seconds).catch((error: unknown) => {
            // Visible again already, or received again since: nothing left to release.
            if (error instanceof AwsServiceError && error.statusCode < 500) return;
            throw error;
          }),
        ),
      );
    },
  };
}

/** The state directory's default, relative to the project. */
export function defaultStateDir(projectRoot: string): string {
  return path.join(projectRoot, ".eventrail");
}
