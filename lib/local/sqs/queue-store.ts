import { constants, copyFile, mkdir, open as openFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { AWS_DEFAULTS, AWS_LIMITS, type WholeNumberRange } from "../../aws-limits";
import { type Clock, systemClock } from "../clock";
import { acquireProcessLock } from "../process-lock";
import { SqsConfigurationError, SqsJournalError } from "./errors";
import {
  type DamagedJournalLine,
  Journal,
  type JournalRecord,
  type JournalStats,
  readJournal,
} from "./journal";
import type { StoredMessage } from "./message";
import { MessageMoveTasks } from "./move-tasks";
import {
  type DeadLetterMove,
  LocalQueue,
  type QueueDefinition,
  type QueueEnvironment,
  type QueueSettings,
} from "./queue";

/** Options of {@link QueueStore.open}. */
export interface QueueStoreOptions {
  /** The queues to serve, typically read from the synthesized CloudFormation template. */
  readonly queues: readonly QueueDefinition[];
  /**
   * The pipeline's state directory; the store keeps `sqs/journal.ndjson` and `sqs/lock` in it.
   * @default - no durability: state lives in memory and ends with the process
   */
  readonly stateDir?: string;
  /** @default systemClock */
  readonly clock?: Clock;
  /**
   * Divides visibility timeouts, delays, long-poll waits and move-task pacing, so tests run an hour
   * of queue time in seconds. Retention is not scaled: scaling it would drop messages.
   * @default 1
   */
  readonly timeScale?: number;
  /** The `SenderId` of messages sent without one (direct engine sends, e.g. by the local bus). @default "000000000000" */
  readonly defaultSenderId?: string;
  /**
   * Told of every message a redrive policy moves to a dead-letter queue.
   * @default - nobody is told
   */
  readonly onDeadLetter?: (move: DeadLetterMove) => void;
  /**
   * Compact the journal once it is larger than this and twice its size after the last compaction.
   * @default 8_388_608 (8 MiB)
   */
  readonly compactionThresholdBytes?: number;
  /**
   * Salvage a damaged journal instead of refusing it: every valid record is kept, each damaged
   * line is skipped and reported ({@link RecoveryReport.damagedLines}), the original is copied
   * beside the journal, and a clean journal is written.
   * @default false
   */
  readonly repair?: boolean;
}

/** What the store found in its state directory when it opened. */
export interface RecoveryReport {
  /** Messages restored into the served queues. */
  readonly restoredMessages: number;
  /** Messages dropped because their retention period had passed while the store was down. */
  readonly expiredMessages: number;
  /** Bytes of a record cut short by a crash (never acknowledged) that were ignored. */
  readonly discardedTailBytes: number;
  /** The queue the torn record names, when its text shows one. */
  readonly discardedTailQueue?: string;
  /** The operation the torn record names, when its text shows one. */
  readonly discardedTailOp?: string;
  /** The journal read, when the store has a state directory. */
  readonly journal?: string;
  /**
   * Repair only: the damaged records skipped, in line order, with the queue and operation each
   * names when readable. Every other record of the journal was kept.
   */
  readonly damagedLines?: readonly DamagedJournalLine[];
  /** Repair only: where the damaged journal was copied before the clean one replaced it. */
  readonly damagedCopy?: string;
  /**
   * Queues found in the journal but absent from the definitions (renamed or removed from the
   * template). Their messages are kept on disk, not served, and come back with the queue.
   */
  readonly orphanedQueues: readonly string[];
}

interface QueueState {
  createdAt?: number;
  readonly messages: Map<string, StoredMessage>;
}

const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const QUEUE_ARN = /^arn:[a-z-]+:sqs:[a-z0-9-]*:[0-9]*:([^:]+)$/;

/**
 * The local SQS engine: the queues of one pipeline, their durable state, and the message move
 * tasks between them. Open it with {@link QueueStore.open}; serve it over the wire with
 * `createSqsService`; let the local Lambda poller use {@link LocalQueue.receive} and
 * {@link LocalQueue.subscribe} directly.
 */
export class QueueStore {
  /** Message move tasks (DLQ redrive). */
  public readonly moveTasks: MessageMoveTasks;
  private readonly byName = new Map<string, LocalQueue>();
  private readonly byArn = new Map<string, LocalQueue>();
  private journal: Journal | undefined;
  private releaseLock: (() => Promise<void>) | undefined;
  private readonly closing = new AbortController();

  private constructor(
    /** The clock every queue uses. */
    public readonly clock: Clock,
    /** The time scale every queue applies. */
    public readonly timeScale: number,
    /** What was restored from the state directory; all zero without one. */
    public readonly recovery: RecoveryReport,
    private readonly orphans: ReadonlyMap<string, QueueState>,
  ) {
    this.moveTasks = new MessageMoveTasks({
      clock,
      timeScale,
      queueByArn: (arn) => this.queueByArn(arn),
      sourcesOf: (arn) => this.queues.filter((queue) => queue.settings.redrive?.deadLetterTargetArn === arn),
    });
  }

  /**
   * Opens the store: validates the definitions, replays the journal under `stateDir` (if any),
   * compacts it, and serves the queues. Throws {@link SqsConfigurationError} for a definition SQS
   * would refuse and {@link SqsJournalError} for unreadable state or a state directory in use.
   */
  static async open(options: QueueStoreOptions): Promise<QueueStore> {
    const settings = resolveDefinitions(options.queues);
    const timeScale = options.timeScale ?? 1;
    if (!Number.isFinite(timeScale) || timeScale <= 0) {
      throw new SqsConfigurationError(
        `timeScale ${timeScale} is invalid: it divides durations, so it must be a positive number (1 for real time).`,
      );
    }
    const clock = options.clock ?? systemClock;
    const directory = options.stateDir === undefined ? undefined : join(options.stateDir, "sqs");
    const journalPath = directory === undefined ? undefined : join(directory, "journal.ndjson");
    let releaseLock: (() => Promise<void>) | undefined;
    let records: readonly JournalRecord[] = [];
    let discardedTailBytes = 0;
    let discardedTailQueue: string | undefined;
    let discardedTailOp: string | undefined;
    let damagedLines: readonly DamagedJournalLine[] = [];
    let damagedCopy: string | undefined;
    if (directory !== undefined && journalPath !== undefined) {
      await mkdir(directory, { recursive: true });
      releaseLock = await acquireLock(join(directory, "lock"));
      try {
        ({ records, discardedTailBytes, discardedTailQueue, discardedTailOp, damagedLines } =
          await readJournal(journalPath, { salvage: options.repair === true }));
        // Nothing is destroyed: the clean journal written below replaces this file.
        if (damagedLines.length > 0) damagedCopy = await keepDamagedCopy(journalPath, clock.now());
      } catch (error) {
        await releaseLock();
        throw error;
      }
    }
    const state = replay(records);
    const now = clock.now();
    let restoredMessages = 0;
    let expiredMessages = 0;
    const restored = new Map<string, { createdAt: number; messages: StoredMessage[] }>();
    for (const queue of settings) {
      const saved = state.get(queue.name);
      state.delete(queue.name);
      const retentionMs = queue.messageRetentionSeconds * 1000;
      const messages = [...(saved?.messages.values() ?? [])];
      const live = messages.filter((message) => now < message.sentAt + retentionMs);
      restoredMessages += live.length;
      expiredMessages += messages.length - live.length;
      restored.set(queue.name, { createdAt: saved?.createdAt ?? now, messages: live });
    }
    const store = new QueueStore(
      clock,
      timeScale,
      {
        restoredMessages,
        expiredMessages,
        discardedTailBytes,
        ...(discardedTailQueue === undefined ? {} : { discardedTailQueue }),
        ...(discardedTailOp === undefined ? {} : { discardedTailOp }),
        ...(journalPath === undefined ? {} : { journal: journalPath }),
        ...(damagedCopy === undefined ? {} : { damagedLines, damagedCopy }),
        orphanedQueues: [...state.keys()],
      },
      state,
    );
    const env: QueueEnvironment = {
      clock,
      timeScale,
      defaultSenderId: options.defaultSenderId ?? "000000000000",
      persist: (batch) => store.persist(batch),
      queueByArn: (arn) => store.queueByArn(arn),
      closed: store.closing.signal,
      ...(options.onDeadLetter === undefined ? {} : { onDeadLetter: options.onDeadLetter }),
    };
    for (const queue of settings) {
      const saved = restored.get(queue.name);
      const local = new LocalQueue(queue, saved?.createdAt ?? now, env, saved?.messages);
      store.byName.set(queue.name, local);
      store.byArn.set(queue.arn, local);
    }
    if (journalPath !== undefined) {
      try {
        store.journal = await Journal.create(journalPath, () => store.snapshot(), {
          compactionThresholdBytes: options.compactionThresholdBytes,
        });
      } catch (error) {
        await releaseLock?.();
        throw new SqsJournalError(
          `Cannot write the SQS journal ${journalPath}: ${String(error)}`,
          journalPath,
          {
            cause: error,
          },
        );
      }
      store.releaseLock = releaseLock;
    }
    return store;
  }

  /** The served queues, in definition order. */
  get queues(): readonly LocalQueue[] {
    return [...this.byName.values()];
  }

  /** Journal counters (records, fsyncs, compactions); undefined without a state directory. */
  get journalStats(): JournalStats | undefined {
    return this.journal?.stats;
  }

  /** The queue with this name. */
  queue(name: string): LocalQueue | undefined {
    return this.byName.get(name);
  }

  /** The queue with this ARN. */
  queueByArn(arn: string): LocalQueue | undefined {
    return this.byArn.get(arn);
  }

  /**
   * The queue a URL names. Only the path (`/<account>/<name>`) counts, because the host depends on
   * how the client reached the endpoint (`localhost`, `127.0.0.1`, a container name).
   */
  queueByUrl(url: string): LocalQueue | undefined {
    let path: string;
    try {
      path = new URL(url).pathname;
    } catch {
      return undefined;
    }
    const [account, name, ...rest] = path.split("/").filter((segment) => segment !== "");
    if (account === undefined || name === undefined || rest.length > 0) return undefined;
    const queue = this.byName.get(name);
    return queue !== undefined && accountOf(queue.arn) === account ? queue : undefined;
  }

  /**
   * Ends pending long polls (they return empty), stops move tasks, waits for pending journal writes
   * and releases the state directory. Operations afterwards fail.
   */
  async close(): Promise<void> {
    this.closing.abort();
    this.moveTasks.stopAll();
    await this.journal?.close();
    await this.releaseLock?.();
  }

  private persist(records: readonly JournalRecord[]): Promise<void> {
    return this.journal === undefined ? Promise.resolve() : this.journal.append(records);
  }

  private *snapshot(): Iterable<JournalRecord> {
    for (const queue of this.byName.values()) {
      yield { op: "queue", queue: queue.name, createdAt: queue.createdAt };
      for (const message of queue.storedMessages()) yield { op: "send", queue: queue.name, message };
    }
    for (const [name, orphan] of this.orphans) {
      if (orphan.createdAt !== undefined) yield { op: "queue", queue: name, createdAt: orphan.createdAt };
      for (const message of orphan.messages.values()) yield { op: "send", queue: name, message };
    }
  }
}

/** One line for the operator about what {@link QueueStore.open} recovered from damaged state. */
export interface RecoveryNotice {
  /** `warning` when records were lost, `info` when only an unacknowledged torn write was dropped. */
  readonly severity: "info" | "warning";
  readonly text: string;
}

/** Damaged records listed one by one in a notice; the rest are counted. */
const LISTED_DAMAGED_RECORDS = 10;

/**
 * What the operator should be told about a {@link RecoveryReport}: the torn last record dropped
 * after a crash (its bytes and queue), and the damaged records a repair skipped, with what was lost
 * by queue and operation and where the damaged original is kept. Empty when nothing was dropped.
 */
export function recoveryNotices(report: RecoveryReport): RecoveryNotice[] {
  const notices: RecoveryNotice[] = [];
  const journal = report.journal ?? "the SQS journal";
  if (report.discardedTailBytes > 0) {
    const named = [
      report.discardedTailQueue === undefined ? "queue not readable" : `queue ${report.discardedTailQueue}`,
      ...(report.discardedTailOp === undefined ? [] : [`op ${report.discardedTailOp}`]),
    ];
    notices.push({
      severity: "info",
      text:
        `recovered the SQS journal ${journal} after a crash: dropped its torn last record ` +
        `(${report.discardedTailBytes} bytes, ${named.join(", ")}), a write cut short that was never acknowledged`,
    });
  }
  const damaged = report.damagedLines ?? [];
  if (damaged.length > 0) {
    const byQueue = new Map<string, { count: number; ops: Map<string, number> }>();
    for (const record of damaged) {
      const queue = record.queue ?? "(queue not readable)";
      const entry = byQueue.get(queue) ?? { count: 0, ops: new Map<string, number>() };
      entry.count++;
      const op = record.op ?? "op not readable";
      entry.ops.set(op, (entry.ops.get(op) ?? 0) + 1);
      byQueue.set(queue, entry);
    }
    const lost = [...byQueue]
      .map(
        ([queue, { count, ops }]) =>
          `${queue}: ${count} (${[...ops].map(([op, n]) => `${n} ${op}`).join(", ")})`,
      )
      .join("; ");
    const listed = damaged
      .slice(0, LISTED_DAMAGED_RECORDS)
      .map(
        (record) =>
          `line ${record.lineNumber} ${record.queue ?? "(queue not readable)"} ${record.op ?? "(op not readable)"}: ${record.problem}`,
      );
    if (damaged.length > LISTED_DAMAGED_RECORDS)
      listed.push(`and ${damaged.length - LISTED_DAMAGED_RECORDS} more`);
    notices.push({
      severity: "warning",
      text:
        `repaired the SQS journal ${journal}: kept every valid record and skipped ${damaged.length} damaged ` +
        `record(s). Lost by queue: ${lost}. A lost send is a message gone; a lost receive, visibility or ` +
        `delete may deliver a message again or sooner. Skipped: ${listed.join("; ")}. The damaged original ` +
        `is kept as ${report.damagedCopy ?? "(not copied)"}; a clean journal replaces it.`,
    });
  }
  return notices;
}

/**
 * Copies the damaged journal to `<journal>.damaged-<time>` beside it, durably and without
 * overwriting an earlier copy, before the clean journal replaces it. Returns the copy's path.
 */
async function keepDamagedCopy(journalPath: string, now: number): Promise<string> {
  const stamp = new Date(now).toISOString().replace(/[:.]/g, "-");
  for (let attempt = 0; ; attempt++) {
    const copy = `${journalPath}.damaged-${stamp}${attempt === 0 ? "" : `-${attempt}`}`;
    try {
      await copyFile(journalPath, copy, constants.COPYFILE_EXCL);
    } catch (error) {
      if (error instanceof Error && "code" in error && error.code === "EEXIST" && attempt < 100) continue;
      throw new SqsJournalError(
        `Cannot keep a copy of the damaged SQS journal ${journalPath} as ${basename(copy)}: ${String(error)}. ` +
          "Nothing was changed; free disk space or fix permissions, then repair again.",
        journalPath,
        { cause: error },
      );
    }
    const handle = await openFile(copy, "r+");
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return copy;
  }
}

/** `arn:aws:sqs:<region>:<account>:<name>`: the ARN of a local queue. */
export function localQueueArn(region: string, accountId: string, name: string): string {
  return `arn:aws:sqs:${region}:${accountId}:${name}`;
}

/** `<endpoint>/<account>/<name>`: the URL of a local queue, e.g. `http://127.0.0.1:4010/000000000000/orders`. */
export function localQueueUrl(endpoint: string, accountId: string, name: string): string {
  return `${endpoint.replace(/\/+$/, "")}/${accountId}/${name}`;
}

function accountOf(arn: string): string | undefined {
  return arn.split(":")[4];
}

function replay(records: readonly JournalRecord[]): Map<string, QueueState> {
  const state = new Map<string, QueueState>();
  const queue = (name: string): QueueState => {
    let found = state.get(name);
    if (found === undefined) {
      found = { messages: new Map() };
      state.set(name, found);
    }
    return found;
  };
  for (const record of records) {
    switch (record.op) {
      case "queue":
        queue(record.queue).createdAt = record.createdAt;
        break;
      case "send":
        queue(record.queue).messages.set(record.message.id, { ...record.message });
        break;
      case "receive": {
        const message = queue(record.queue).messages.get(record.id);
        if (message !== undefined) {
          message.receiveCount = record.receiveCount;
          message.firstReceiveAt = record.firstReceiveAt;
          message.visibleAt = record.visibleAt;
          message.receipt = record.receipt;
        }
        break;
      }
      case "visibility": {
        const message = queue(record.queue).messages.get(record.id);
        if (message !== undefined) message.visibleAt = record.visibleAt;
        break;
      }
      case "delete":
        queue(record.queue).messages.delete(record.id);
        break;
      case "move":
        queue(record.from).messages.delete(record.message.id);
        queue(record.to).messages.set(record.message.id, { ...record.message });
        break;
      case "purge":
        queue(record.queue).messages.clear();
        break;
    }
  }
  return state;
}

function resolveDefinitions(definitions: readonly QueueDefinition[]): QueueSettings[] {
  const settings = definitions.map(resolveDefinition);
  const names = new Set<string>();
  const arns = new Set<string>();
  for (const queue of settings) {
    if (names.has(queue.name)) {
      throw new SqsConfigurationError(
        `Queue name ${queue.name} is defined twice; queue names must be unique.`,
      );
    }
    if (arns.has(queue.arn)) {
      throw new SqsConfigurationError(`Queue ARN ${queue.arn} is defined twice; queue ARNs must be unique.`);
    }
    names.add(queue.name);
    arns.add(queue.arn);
  }
  for (const queue of settings) {
    const target = queue.redrive?.deadLetterTargetArn;
    if (target !== undefined && !arns.has(target)) {
      throw new SqsConfigurationError(
        `Queue ${queue.name}: redrive.deadLetterTargetArn ${target} is not one of the defined queues ` +
          `(${[...arns].join(", ")}). Define the dead-letter queue too, or remove the redrive policy.`,
      );
    }
  }
  return settings;
}

/** A queue attribute's range: every SQS limit has an upper bound. */
type SqsRange = WholeNumberRange & { readonly max: number };

function resolveDefinition(definition: QueueDefinition): QueueSettings {
  const defaults = AWS_DEFAULTS.sqsQueue;
  const { name, arn, url } = definition;
  if (typeof name !== "string" || !QUEUE_NAME.test(name)) {
    throw new SqsConfigurationError(
      `Queue name ${JSON.stringify(name)} is invalid: use 1-80 characters from A-Z, a-z, 0-9, '-' and '_' ` +
        "(FIFO queues, whose names end in .fifo, are not emulated).",
    );
  }
  if (definition.fifo !== undefined && definition.fifo !== false) {
    throw new SqsConfigurationError(
      `Queue ${name}: fifo ${JSON.stringify(definition.fifo)} is not supported; the local SQS emulates standard queues only.`,
    );
  }
  if (QUEUE_ARN.exec(arn)?.[1] !== name) {
    throw new SqsConfigurationError(
      `Queue ${name}: arn ${JSON.stringify(arn)} is invalid; expected arn:aws:sqs:<region>:<account>:${name} (see localQueueArn).`,
    );
  }
  let urlPath: string;
  try {
    urlPath = new URL(url).pathname;
  } catch {
    urlPath = "";
  }
  if (urlPath !== `/${arn.split(":")[4]}/${name}`) {
    throw new SqsConfigurationError(
      `Queue ${name}: url ${JSON.stringify(url)} is invalid; expected <endpoint>/${arn.split(":")[4]}/${name} (see localQueueUrl).`,
    );
  }
  const setting = (prop: string, value: number | undefined, fallback: number, range: SqsRange) => {
    const resolved = value ?? fallback;
    if (!Number.isInteger(resolved) || resolved < range.min || resolved > range.max) {
      throw new SqsConfigurationError(
        `Queue ${name}: ${prop} ${resolved} is invalid; SQS accepts an integer from ${range.min} to ${range.max}.`,
      );
    }
    return resolved;
  };
  const redrive = definition.redrive;
  if (redrive !== undefined) {
    setting("redrive.maxReceiveCount", redrive.maxReceiveCount, 0, AWS_LIMITS.sqsMaxReceiveCount);
    if (redrive.deadLetterTargetArn === arn) {
      throw new SqsConfigurationError(
        `Queue ${name}: redrive.deadLetterTargetArn is the queue itself; a queue cannot be its own dead-letter queue.`,
      );
    }
  }
  return {
    name,
    arn,
    url,
    visibilityTimeoutSeconds: setting(
      "visibilityTimeoutSeconds",
      definition.visibilityTimeoutSeconds,
      defaults.visibilityTimeoutSeconds,
      AWS_LIMITS.sqsVisibilityTimeoutSeconds,
    ),
    messageRetentionSeconds: setting(
      "messageRetentionSeconds",
      definition.messageRetentionSeconds,
      defaults.messageRetentionSeconds,
      AWS_LIMITS.sqsRetentionSeconds,
    ),
    delaySeconds: setting(
      "delaySeconds",
      definition.delaySeconds,
      defaults.delaySeconds,
      AWS_LIMITS.sqsDelaySeconds,
    ),
    receiveMessageWaitTimeSeconds: setting(
      "receiveMessageWaitTimeSeconds",
      definition.receiveMessageWaitTimeSeconds,
      defaults.receiveMessageWaitTimeSeconds,
      AWS_LIMITS.sqsReceiveWaitSeconds,
    ),
    maximumMessageSize: setting(
      "maximumMessageSize",
      definition.maximumMessageSize,
      defaults.maximumMessageSize,
      AWS_LIMITS.sqsMaximumMessageSizeBytes,
    ),
    redrive,
    kmsMasterKeyId: definition.kmsMasterKeyId,
    kmsDataKeyReusePeriodSeconds: setting(
      "kmsDataKeyReusePeriodSeconds",
      definition.kmsDataKeyReusePeriodSeconds,
      defaults.kmsDataKeyReusePeriodSeconds,
      AWS_LIMITS.sqsKmsDataKeyReusePeriodSeconds,
    ),
  };
}

/**
 * Takes `lock` for this process, so two pipelines cannot write one journal. A lock left by a
 * process that no longer exists (killed) is taken over.
 */
function acquireLock(lock: string): Promise<() => Promise<void>> {
  return acquireProcessLock(lock, {
    unavailable: (cause) => (cause instanceof Error ? cause : new SqsJournalError(String(cause), lock)),
    held: (owner) =>
      new SqsJournalError(
        `The SQS state in ${lock.replace(/[/\\]lock$/, "")} is in use by process ${owner}. Stop that process ` +
          "or give this one another state directory.",
        lock,
      ),
    contended: () =>
      new SqsJournalError(`Cannot take the SQS state lock ${lock}: another process keeps creating it.`, lock),
  });
}
