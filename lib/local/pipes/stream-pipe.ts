import { randomUUID } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { AWS_LIMITS } from "../../aws-limits";
import type { Clock, Timer } from "../clock";
import type { StreamRecord } from "../dynamodb/change-log";
import { countAfter, readAfter, shardIdOf } from "../dynamodb/streams-service";
import type { PositionedRecord, TableStream, TableStreams } from "../dynamodb/table-streams";
import type { PutEventsRequestEntry } from "../events/bus-event";
import type { InvocationResult } from "../lambda/function-runner";
import type { LocalPipeDefinition } from "../model";
import { type CompiledPattern, compilePattern } from "../pattern/compile-pattern";
import { isJsonPath, renderTemplate, valueAtPath } from "./pipe-template";

/** What a pipe runs against: the stream, the enrichment, the bus and the dead-letter queue. */
export interface StreamPipeProps {
  readonly definition: LocalPipeDefinition;
  readonly streams: TableStreams;
  /** Invokes the enrichment function synchronously with a batch. Required when the pipe has one. */
  readonly enrich?: (batch: readonly unknown[]) => Promise<InvocationResult>;
  /** PutEvents on the target bus (at most 10 entries), answered as the API does. */
  readonly putEvents: (entries: readonly PutEventsRequestEntry[]) => Promise<{
    readonly FailedEntryCount: number;
    readonly Entries: readonly (
      | { readonly EventId: string }
      | { readonly ErrorCode: string; readonly ErrorMessage: string }
    )[];
  }>;
  /** Sends a message to the dead-letter queue. */
  readonly sendToDeadLetter: (queueArn: string, body: string) => Promise<void>;
  /** Where the pipe keeps its position and desired state across restarts. @default - in memory */
  readonly stateFile?: string;
  readonly clock: Clock;
  /** Divides retry back-offs and the batching window. @default 1 */
  readonly timeScale?: number;
  /** Receives a line per delivered, failed and dead-lettered batch. */
  readonly log?: (line: string) => void;
}

/** A pipe at a glance, for `eventrail status` (through `GET /health`) and DescribePipe. */
export interface StreamPipeStatus {
  readonly name: string;
  readonly arn: string;
  readonly desiredState: "RUNNING" | "STOPPED";
  readonly currentState: "RUNNING" | "STOPPED";
  /** Stream records the pipe has not yet delivered, filtered or dead-lettered. */
  readonly backlog: number;
  /** Events put on the bus since the pipeline started. */
  readonly delivered: number;
  /** Batches that failed an attempt since the pipeline started. */
  readonly failedAttempts: number;
  /** Batches sent to the dead-letter queue since the pipeline started. */
  readonly deadLettered: number;
  readonly deadLetterArn?: string;
}

/** What the pipe keeps on disk. */
interface PipeState {
  /** The sequence position through which every record is done with. */
  readonly after: number;
  readonly desiredState: "RUNNING" | "STOPPED";
}

/** The first retry waits this long (before the time scale); each next one twice as long, up to the cap. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/** Why a batch failed, as the pipe's metrics name the stage. */
class BatchFailure extends Error {
  public override readonly name = "BatchFailure";

  public constructor(
    public readonly stage: "EnrichmentStageFailed" | "TargetStageFailed",
    message: string,
  ) {
    super(message);
  }
}

/** Raised inside a batch's retries when the pipe stops: the batch stays undelivered and is read again. */
class PipeStopped extends Error {}

/**
 * One EventBridge pipe from a DynamoDB stream to an event bus, as AWS runs it: it reads the stream
 * in order from its position, keeps the records that match a filter pattern, hands the batch to
 * the enrichment function, turns each result into a PutEvents entry (source, detail-type and time
 * from the target parameters, detail from the input template) and puts them on the bus. A batch
 * that fails is retried with exponential back-off; with `AUTOMATIC_BISECT` it is split in halves
 * first, so one bad record does not hold back the others. A record past `MaximumRetryAttempts` or
 * `MaximumRecordAgeInSeconds` goes to the dead-letter queue as the batch's stream position (the
 * records stay in the stream, and the outbox item in its table, for a redrive).
 *
 * Delivery is at least once: the position is saved after each batch, so a crash between the
 * PutEvents and the save delivers that batch again after the restart, with the same events (and
 * eventIds: consumers skip the copies).
 */
export class StreamPipe {
  private readonly definition: LocalPipeDefinition;
  private readonly patterns: readonly CompiledPattern[];
  private readonly stream: TableStream;
  private state: PipeState;
  private running = false;
  private closed = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private timer: Timer | undefined;
  private readonly unsubscribe: () => void;
  private counters = { delivered: 0, failedAttempts: 0, deadLettered: 0 };

  private constructor(
    private readonly props: StreamPipeProps,
    stream: TableStream,
    state: PipeState,
  ) {
    this.definition = props.definition;
    this.stream = stream;
    this.patterns = this.definition.filterPatterns.map((pattern) => compilePattern(pattern));
    this.state = state;
    this.unsubscribe = props.streams.onRecords(() => this.wake?.());
  }

  /**
   * Opens a pipe: its saved position and desired state, or, the first time, its starting position
   * (`TRIM_HORIZON`: the stream's oldest record; `LATEST`: after its newest) and the template's state.
   */
  public static async open(props: StreamPipeProps): Promise<StreamPipe> {
    const { definition } = props;
    const stream = props.streams.byArn(definition.sourceArn);
    if (stream === undefined) {
      throw new Error(
        `Pipe ${definition.name} reads ${definition.sourceArn}, which is no local table's stream`,
      );
    }
    const saved = props.stateFile === undefined ? undefined : await readState(props.stateFile);
    const start =
      definition.source.startingPosition === "LATEST"
        ? (stream.records.at(-1)?.position ?? stream.trimmedThrough)
        : stream.trimmedThrough;
    const pipe = new StreamPipe(
      props,
      stream,
      saved ?? { after: start, desiredState: definition.desiredState },
    );
    if (saved === undefined) await pipe.save();
    if (pipe.state.desiredState === "RUNNING") pipe.run();
    return pipe;
  }

  public get name(): string {
    return this.definition.name;
  }

  public get arn(): string {
    return this.definition.arn;
  }

  /** The pipe's definition, for DescribePipe. */
  public get settings(): LocalPipeDefinition {
    return this.definition;
  }

  /** StartPipe: sets the desired state to RUNNING (kept across restarts) and starts reading. */
  public async start(): Promise<void> {
    this.state = { ...this.state, desiredState: "RUNNING" };
    await this.save();
    this.run();
  }

  /** StopPipe: sets the desired state to STOPPED and waits for the batch under way to end. */
  public async stop(): Promise<void> {
    this.state = { ...this.state, desiredState: "STOPPED" };
    await this.save();
    await this.halt();
  }

  /** Stops reading and releases the stream; the position stays saved. */
  public async close(): Promise<void> {
    this.closed = true;
    this.unsubscribe();
    await this.halt();
  }

  public status(): StreamPipeStatus {
    return {
      name: this.definition.name,
      arn: this.definition.arn,
      desiredState: this.state.desiredState,
      currentState: this.running ? "RUNNING" : "STOPPED",
      backlog: countAfter(this.stream, this.state.after),
      ...this.counters,
      ...(this.definition.source.deadLetterArn === undefined
        ? {}
        : { deadLetterArn: this.definition.source.deadLetterArn }),
    };
  }

  private run(): void {
    if (this.running || this.closed) return;
    this.running = true;
    this.loop = this.poll().catch((error: unknown) => {
      this.props.log?.(
        `PIPE ERROR ${this.definition.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  private async halt(): Promise<void> {
    this.running = false;
    this.timer?.cancel();
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  private async poll(): Promise<void> {
    const { batchSize, maximumBatchingWindowSeconds } = this.definition.source;
    while (this.running) {
      let batch = readAfter(this.stream, this.state.after, batchSize);
      if (batch.length === 0) {
        await this.sleep(undefined);
        continue;
      }
      if (batch.length < batchSize && maximumBatchingWindowSeconds > 0) {
        // Wait for the window to fill, from the first record's arrival, as the poller batches.
        const firstArrival =
          (batch[0] as PositionedRecord).record.dynamodb.ApproximateCreationDateTime * 1000;
        const windowMs = this.scaled(maximumBatchingWindowSeconds * 1000);
        const waitMs = firstArrival + windowMs - this.props.clock.now();
        if (waitMs > 0) {
          await this.sleep(
            waitMs,
            () => readAfter(this.stream, this.state.after, batchSize).length >= batchSize,
          );
          if (!this.running) return;
          batch = readAfter(this.stream, this.state.after, batchSize);
        }
      }
      try {
        await this.process(batch, 0);
      } catch (error) {
        if (error instanceof PipeStopped) return;
        throw error;
      }
      this.state = { ...this.state, after: (batch.at(-1) as PositionedRecord).position };
      await this.save();
    }
  }

  /** Delivers a batch, retrying, bisecting and dead-lettering as the source parameters say. */
  private async process(batch: readonly PositionedRecord[], firstAttempt: number): Promise<void> {
    const { maximumRetryAttempts, maximumRecordAgeSeconds, bisectOnError } = this.definition.source;
    let attempt = firstAttempt;
    for (;;) {
      if (maximumRecordAgeSeconds !== -1) {
        const nowSeconds = this.props.clock.now() / 1000;
        const expired = batch.filter(
          (r) => nowSeconds - r.record.dynamodb.ApproximateCreationDateTime > maximumRecordAgeSeconds,
        );
        if (expired.length > 0) {
          await this.deadLetter(expired, "RecordAgeExceeded", attempt, undefined);
          batch = batch.filter((r) => !expired.includes(r));
          if (batch.length === 0) return;
        }
      }
      try {
        await this.deliver(batch);
        return;
      } catch (error) {
        if (!(error instanceof BatchFailure)) throw error;
        attempt++;
        this.counters.failedAttempts++;
        this.props.log?.(
          `PIPE ${this.definition.name} ${error.stage}: batch of ${batch.length} record(s) failed attempt ${attempt}: ${error.message}`,
        );
        if (bisectOnError && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          await this.process(batch.slice(0, half), attempt);
          await this.process(batch.slice(half), attempt);
          return;
        }
        if (maximumRetryAttempts !== -1 && attempt > maximumRetryAttempts) {
          await this.deadLetter(batch, "RetryAttemptsExhausted", attempt, error);
          return;
        }
        await this.sleep(this.scaled(Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempt - 1))));
        if (!this.running) throw new PipeStopped();
      }
    }
  }

  /** Filter, enrichment, target: one attempt at a batch. */
  private async deliver(batch: readonly PositionedRecord[]): Promise<void> {
    const records = batch
      .map(({ record }) => record)
      .filter(
        (record) => this.patterns.length === 0 || this.patterns.some((pattern) => pattern.matches(record)),
      );
    if (records.length === 0) return;
    let events: readonly unknown[] = records;
    if (this.definition.enrichmentArn !== undefined) {
      if (this.props.enrich === undefined)
        throw new Error(`Pipe ${this.definition.name} has no enrichment invoker`);
      const result = await this.props.enrich(records);
      if (!result.ok) {
        throw new BatchFailure("EnrichmentStageFailed", `${result.errorType}: ${result.errorMessage}`);
      }
      events = Array.isArray(result.result) ? result.result : [result.result];
    }
    let entries: PutEventsRequestEntry[];
    try {
      entries = events.map((event) => this.entryOf(event));
    } catch (error) {
      throw new BatchFailure("TargetStageFailed", error instanceof Error ? error.message : String(error));
    }
    for (let start = 0; start < entries.length; start += AWS_LIMITS.eventBridgePutEventsEntries.max) {
      const chunk = entries.slice(start, start + AWS_LIMITS.eventBridgePutEventsEntries.max);
      let answer: Awaited<ReturnType<StreamPipeProps["putEvents"]>>;
      try {
        answer = await this.props.putEvents(chunk);
      } catch (error) {
        throw new BatchFailure("TargetStageFailed", error instanceof Error ? error.message : String(error));
      }
      const failed = answer.Entries.find((entry) => "ErrorCode" in entry);
      if (answer.FailedEntryCount > 0 && failed !== undefined && "ErrorCode" in failed) {
        this.counters.delivered += chunk.length - answer.FailedEntryCount;
        throw new BatchFailure(
          "TargetStageFailed",
          `PutEvents refused ${answer.FailedEntryCount} of ${chunk.length} event(s): ${failed.ErrorCode}: ${failed.ErrorMessage}`,
        );
      }
      this.counters.delivered += chunk.length;
    }
    this.props.log?.(
      `PIPE ${this.definition.name} delivered ${entries.length} event(s) from ${batch.length} record(s)`,
    );
  }

  /** The PutEvents entry of one (enriched) event, by the target parameters. */
  private entryOf(event: unknown): PutEventsRequestEntry {
    const { target } = this.definition;
    const read = (value: string | undefined, name: string): string | undefined => {
      if (value === undefined || !isJsonPath(value)) return value;
      const found = valueAtPath(event, value);
      if (typeof found !== "string") {
        throw new Error(
          `The target's ${name} reads ${value}, which is ${found === undefined ? "missing" : "not a string"} in the event`,
        );
      }
      return found;
    };
    const time = read(target.time, "Time");
    const reserved = {
      "aws.pipes.pipe-arn": this.definition.arn,
      "aws.pipes.pipe-name": this.definition.name,
      "aws.pipes.source-arn": this.definition.sourceArn,
      "aws.pipes.enrichment-arn": this.definition.enrichmentArn ?? "",
      "aws.pipes.target-arn": this.definition.targetArn,
      "aws.pipes.event.ingestion-time": new Date(this.props.clock.now()).toISOString(),
    };
    return {
      EventBusName: this.definition.targetArn,
      Source: read(target.source, "Source") ?? `Pipe ${this.definition.name}`,
      DetailType: read(target.detailType, "DetailType") ?? "Event from aws:dynamodb",
      Detail:
        target.inputTemplate === undefined
          ? JSON.stringify(event)
          : renderTemplate(target.inputTemplate, event, reserved),
      // The wire form the SDK sends: epoch seconds.
      ...(time === undefined ? {} : { Time: Date.parse(time) / 1000 }),
      ...(target.resources === undefined ? {} : { Resources: [...target.resources] }),
    };
  }

  /** Sends a batch's stream position to the dead-letter queue (or drops it, logged, when there is none). */
  private async deadLetter(
    batch: readonly PositionedRecord[],
    condition: "RetryAttemptsExhausted" | "RecordAgeExceeded",
    attempts: number,
    failure: BatchFailure | undefined,
  ): Promise<void> {
    const first = (batch[0] as PositionedRecord).record;
    const last = (batch.at(-1) as PositionedRecord).record;
    const body = {
      requestContext: {
        requestId: randomUUID(),
        pipeArn: this.definition.arn,
        condition,
        approximateInvokeCount: attempts,
      },
      responseContext:
        failure === undefined ? {} : { failureStage: failure.stage, errorMessage: failure.message },
      version: "1.0",
      timestamp: new Date(this.props.clock.now()).toISOString(),
      DDBStreamBatchInfo: {
        shardId: shardIdOf(this.stream),
        startSequenceNumber: first.dynamodb.SequenceNumber,
        endSequenceNumber: last.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: arrival(first),
        approximateArrivalOfLastRecord: arrival(last),
        batchSize: batch.length,
        streamArn: this.definition.sourceArn,
      },
    };
    const queue = this.definition.source.deadLetterArn;
    if (queue === undefined) {
      this.props.log?.(
        `PIPE ${this.definition.name} DROPPED ${batch.length} record(s) (${condition}) from ${first.dynamodb.SequenceNumber}: the pipe has no dead-letter queue`,
      );
      return;
    }
    await this.props.sendToDeadLetter(queue, JSON.stringify(body));
    this.counters.deadLettered++;
    this.props.log?.(
      `DEAD-LETTERED ${batch.length} record(s) of pipe ${this.definition.name} (${condition} after ${attempts} attempt(s)) -> ${queue}`,
    );
  }

  /** Waits `ms` (or for new records when undefined), until woken by a stop, or `done` holds. */
  private sleep(ms: number | undefined, done?: () => boolean): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        this.timer?.cancel();
        this.timer = undefined;
        this.wake = undefined;
        resolve();
      };
      this.wake = () => {
        if (!this.running || ms === undefined || done?.() === true) finish();
      };
      if (ms !== undefined) this.timer = this.props.clock.setTimer(finish, ms);
    });
  }

  private scaled(ms: number): number {
    return ms / (this.props.timeScale ?? 1);
  }

  private async save(): Promise<void> {
    const file = this.props.stateFile;
    if (file === undefined) return;
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.tmp`;
    await writeFile(temporary, JSON.stringify(this.state));
    await rename(temporary, file);
  }
}

function arrival(record: StreamRecord): string {
  return new Date(record.dynamodb.ApproximateCreationDateTime * 1000).toISOString();
}

async function readState(file: string): Promise<PipeState | undefined> {
  try {
    const state = JSON.parse(await readFile(file, "utf8")) as Partial<PipeState>;
    if (
      typeof state.after === "number" &&
      (state.desiredState === "RUNNING" || state.desiredState === "STOPPED")
    ) {
      return { after: state.after, desiredState: state.desiredState };
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
  }
  throw new Error(
    `The pipe state file ${file} is damaged; delete it to start the pipe from its starting position again`,
  );
}
