import { type FileHandle, open, readFile, rename, rm } from "node:fs/promises";
import { dirname } from "node:path";
import { syncDirectory, writeFully } from "../durable-file";
import { SqsJournalError } from "./errors";
import type { StoredMessage } from "./message";

/**
 * One state change of the local SQS. Every record carries absolute values (a receive stores the new
 * count, not "+1"), so replaying a record twice in order gives the same state: compaction relies on
 * it (see {@link Journal}).
 */
export type JournalRecord =
  /** A queue the store serves; keeps `CreatedTimestamp` stable across restarts. */
  | { readonly op: "queue"; readonly queue: string; readonly createdAt: number }
  /** A message accepted by a queue, with its full state. */
  | { readonly op: "send"; readonly queue: string; readonly message: StoredMessage }
  /** A message handed to a consumer: new receive count, receipt and visibility deadline. */
  | {
      readonly op: "receive";
      readonly queue: string;
      readonly id: string;
      readonly receiveCount: number;
      readonly firstReceiveAt: number;
      readonly visibleAt: number;
      readonly receipt: string;
    }
  /** A new visibility deadline (ChangeMessageVisibility). */
  | { readonly op: "visibility"; readonly queue: string; readonly id: string; readonly visibleAt: number }
  /** A message deleted by a consumer, dropped by retention or purged one by one. */
  | { readonly op: "delete"; readonly queue: string; readonly id: string }
  /** A message moved between queues in one step (redrive to a DLQ, a move task), with its new state. */
  | { readonly op: "move"; readonly from: string; readonly to: string; readonly message: StoredMessage }
  /** Every message of a queue deleted (PurgeQueue). */
  | { readonly op: "purge"; readonly queue: string };

const FORMAT = "eventrail-sqs-journal";
const VERSION = 1;
const OPS = new Set(["queue", "send", "receive", "visibility", "delete", "move", "purge"]);

/**
 * A record of a damaged journal line that a salvaging read skipped. A line usually holds one; a
 * line where a write was cut short and the next one continued holds a fragment per record, and
 * only the fragments that are not records are reported (the others are kept).
 */
export interface DamagedJournalLine {
  /** From 1. */
  readonly lineNumber: number;
  /** The queue the raw text names (`queue`, or `from` for a move), when it shows one. */
  readonly queue?: string;
  /** The operation the raw text names, when it shows one. */
  readonly op?: string;
  /** What is wrong with it, e.g. `not JSON`. */
  readonly problem: string;
}

/** What {@link readJournal} found on disk. */
export interface JournalContents {
  /** The records in the order they were written. */
  readonly records: readonly JournalRecord[];
  /**
   * Bytes of an unterminated last line that were ignored: a write cut short by a crash. Its
   * operation was never acknowledged, because acknowledgement waits for the fsync after the write.
   */
  readonly discardedTailBytes: number;
  /** The queue the torn last line names, when its text shows one. */
  readonly discardedTailQueue?: string;
  /** The operation the torn last line names, when its text shows one. */
  readonly discardedTailOp?: string;
  /** Damaged records skipped by a salvaging read (`salvage: true`), in line order; empty otherwise. */
  readonly damagedLines: readonly DamagedJournalLine[];
}

/** How the repair is asked for, in every damage message. */
export const SQS_REPAIR_HINT =
  "Run `eventrail local --repair` (or `npm start -- --repair`) to keep every valid record, skip and report the damaged ones, and write a clean journal (the damaged file is kept beside it).";

/** Where a record begins in raw text: JSON.stringify writes `op` first, and escapes quotes inside strings. */
const RECORD_START = '{"op":"';

/**
 * Reads a journal written by {@link Journal}. A missing file is an empty journal; an unterminated
 * last line is a write cut short by a crash and is dropped ({@link JournalContents.discardedTailBytes}).
 * Throws {@link SqsJournalError} for a complete line that is not a record: that is damage, not a
 * crash. With `salvage`, every valid record is kept and each damaged one is skipped and reported
 * instead, including a damaged header line; a header of another format or version is refused
 * either way.
 */
export async function readJournal(
  path: string,
  options: { readonly salvage?: boolean } = {},
): Promise<JournalContents> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if (isErrnoException(error) && error.code === "ENOENT") {
      return { records: [], discardedTailBytes: 0, damagedLines: [] };
    }
    throw new SqsJournalError(`Cannot read the SQS journal ${path}: ${String(error)}`, path, {
      cause: error,
    });
  }
  const salvage = options.salvage === true;
  const lines = text.split("\n");
  const tail = lines.pop() ?? "";
  const records: JournalRecord[] = [];
  const damagedLines: DamagedJournalLine[] = [];
  lines.forEach((line, index) => {
    const lineNumber = index + 1;
    if (index === 0) {
      const header = parseJson(line);
      if (header.ok) assertHeader(header.value, path);
      else if (salvage) damagedLines.push({ lineNumber, ...namedIn(line), problem: header.problem });
      else throw damaged(path, lineNumber, line, header.problem);
      return;
    }
    const parsed = parseRecord(line);
    if (parsed.ok) {
      records.push(parsed.record);
      return;
    }
    if (!salvage) throw damaged(path, lineNumber, line, parsed.problem);
    for (const fragment of fragmentsOf(line)) {
      const record = parseRecord(fragment);
      if (record.ok) records.push(record.record);
      else damagedLines.push({ lineNumber, ...namedIn(fragment), problem: record.problem });
    }
  });
  const tailNames = namedIn(tail);
  return {
    records,
    discardedTailBytes: Buffer.byteLength(tail, "utf8"),
    ...(tailNames.queue === undefined ? {} : { discardedTailQueue: tailNames.queue }),
    ...(tailNames.op === undefined ? {} : { discardedTailOp: tailNames.op }),
    damagedLines,
  };
}

function damaged(path: string, lineNumber: number, line: string, problem: string): SqsJournalError {
  const names = namedIn(line);
  const what = [
    names.queue === undefined ? undefined : `queue ${names.queue}`,
    names.op === undefined ? undefined : `op ${names.op}`,
  ].filter((part) => part !== undefined);
  return new SqsJournalError(
    `The SQS journal ${path} is damaged at line ${lineNumber}${what.length > 0 ? ` (${what.join(", ")})` : ""}: ` +
      `${JSON.stringify(line.length > 80 ? `${line.slice(0, 80)}...` : line)} is ${problem}. ${SQS_REPAIR_HINT}`,
    path,
  );
}

/**
 * A damaged line cut at every place a record begins: when a write was cut short and a later one
 * continued on the same line, the later record is whole and is kept.
 */
function fragmentsOf(line: string): string[] {
  const fragments: string[] = [];
  let start = 0;
  for (let next = line.indexOf(RECORD_START, 1); next !== -1; next = line.indexOf(RECORD_START, next + 1)) {
    fragments.push(line.slice(start, next));
    start = next;
  }
  fragments.push(line.slice(start));
  return fragments;
}

/** The queue and operation a raw (possibly damaged) line names, when its text shows them. */
function namedIn(line: string): { queue?: string; op?: string } {
  const queue = /"(?:queue|from)":"([^"\\]+)"/.exec(line)?.[1];
  const op = /"op":"([a-z]+)"/.exec(line)?.[1];
  return { ...(queue === undefined ? {} : { queue }), ...(op === undefined ? {} : { op }) };
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

function parseJson(line: string): Parsed<unknown> {
  try {
    return { ok: true, value: JSON.parse(line) as unknown };
  } catch {
    return { ok: false, problem: "not JSON" };
  }
}

/** Parses and checks one record line; a record that replay could not apply is damage too. */
function parseRecord(line: string): { ok: true; record: JournalRecord } | { ok: false; problem: string } {
  const parsed = parseJson(line);
  if (!parsed.ok) return parsed;
  const value = parsed.value;
  if (!isObject(value)) return { ok: false, problem: "not a record" };
  const problem = recordProblem(value);
  return problem === undefined ? { ok: true, record: value as JournalRecord } : { ok: false, problem };
}

/** What keeps `value` from being a {@link JournalRecord}, or undefined when it is one. */
function recordProblem(value: Record<string, unknown>): string | undefined {
  const { op } = value;
  if (typeof op !== "string" || !OPS.has(op)) {
    return `a record whose op ${JSON.stringify(op)} is not one of ${[...OPS].join(", ")}`;
  }
  const missing = (fields: Record<string, "string" | "number" | "message">): string | undefined => {
    for (const [field, type] of Object.entries(fields)) {
      const ok = type === "message" ? isStoredMessage(value[field]) : typeof value[field] === type;
      if (!ok) return `a ${op} record whose ${field} is missing or not a ${type}`;
    }
    return undefined;
  };
  switch (op) {
    case "queue":
      return missing({ queue: "string", createdAt: "number" });
    case "send":
      return missing({ queue: "string", message: "message" });
    case "receive":
      return missing({
        queue: "string",
        id: "string",
        receiveCount: "number",
        firstReceiveAt: "number",
        visibleAt: "number",
        receipt: "string",
      });
    case "visibility":
      return missing({ queue: "string", id: "string", visibleAt: "number" });
    case "delete":
      return missing({ queue: "string", id: "string" });
    case "move":
      return missing({ from: "string", to: "string", message: "message" });
    default:
      return missing({ queue: "string" });
  }
}

function isStoredMessage(value: unknown): value is StoredMessage {
  return (
    isObject(value) &&
    typeof value.id === "string" &&
    typeof value.body === "string" &&
    typeof value.md5OfBody === "string" &&
    isObject(value.messageAttributes) &&
    isObject(value.systemAttributes) &&
    typeof value.senderId === "string" &&
    typeof value.sentAt === "number" &&
    typeof value.visibleAt === "number" &&
    typeof value.receiveCount === "number"
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function assertHeader(parsed: unknown, path: string): void {
  const header = (isObject(parsed) ? parsed : {}) as { op?: unknown; format?: unknown; version?: unknown };
  if (header.op !== "header" || header.format !== FORMAT || header.version !== VERSION) {
    throw new SqsJournalError(
      `The SQS journal ${path} starts with ${JSON.stringify(parsed)}, expected a ${FORMAT} version ${VERSION} header. ` +
        "It was written by another program or version: move it aside to start with empty queues.",
      path,
    );
  }
}

/** Tuning of a {@link Journal}. */
export interface JournalOptions {
  /**
   * Compact when the file is larger than this and more than twice its size after the last
   * compaction (so the cost of rewriting stays proportional to the records appended).
   * @default 8_388_608 (8 MiB)
   */
  readonly compactionThresholdBytes?: number;
}

/** Counters of a {@link Journal}, for tests and benchmarks. */
export interface JournalStats {
  /** Records appended since the journal was opened. */
  readonly records: number;
  /** Write + fdatasync rounds; fewer than `records` when group commit shared them. */
  readonly flushes: number;
  /** Snapshots written (including the one at open). */
  readonly compactions: number;
  /** Compactions that could not write their snapshot (the journal kept growing instead). */
  readonly failedCompactions: number;
  /** Why the last failed compaction failed. */
  readonly lastCompactionError?: string;
  /** Current size of the file in bytes. */
  readonly bytes: number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

/**
 * The append-only journal of the local SQS, one JSON record per line after a header line.
 *
 * - **Durability**: `append` resolves only after the records are written and fdatasync'd, so an
 *   acknowledged operation survives `kill -9` and power loss.
 * - **Group commit**: appends made while a flush is running (or in the same event-loop turn) are
 *   written and synced together: one fdatasync for many sends.
 * - **Compaction** rewrites the file as a snapshot of the live state (temporary file, fdatasync,
 *   rename, directory fsync), between two flushes. The snapshot need not be a point-in-time copy:
 *   every change it may have missed was appended after the flush before it, so its record is
 *   written after the snapshot, and replaying records whose effect the snapshot already holds is
 *   harmless because records are absolute and replayed in their original order.
 * - **Fail-stop**: after a failed write every later append is rejected with the same error, because
 *   the file may end with a partial record and the in-memory state may be ahead of it.
 */
export class Journal {
  private pending: string[] = [];
  private waiters: Waiter[] = [];
  /** The running flush loop, if any; close() waits for it. */
  private flushing: Promise<void> | undefined;
  private failure: SqsJournalError | undefined;
  private closed = false;
  private bytes = 0;
  private bytesAfterCompaction = 0;
  private lastCompactionError: string | undefined;
  private counters = { records: 0, flushes: 0, compactions: 0, failedCompactions: 0 };

  private constructor(
    private readonly path: string,
    private handle: FileHandle,
    private readonly snapshot: () => Iterable<JournalRecord>,
    private readonly threshold: number,
  ) {}

  /**
   * Starts a journal at `path` from a snapshot of the current state (replacing whatever the file
   * held, which the caller has read and applied) and opens it for appending.
   */
  static async create(
    path: string,
    snapshot: () => Iterable<JournalRecord>,
    options: JournalOptions = {},
  ): Promise<Journal> {
    const temporary = `${path}.compacting`;
    const bytes = await writeSnapshotFile(temporary, snapshot());
    await installSnapshot(temporary, path);
    const handle = await open(path, "a");
    const journal = new Journal(path, handle, snapshot, options.compactionThresholdBytes ?? 8_388_608);
    journal.bytes = bytes;
    journal.bytesAfterCompaction = bytes;
    journal.counters.compactions = 1;
    return journal;
  }

  /** {@inheritDoc JournalStats} */
  get stats(): JournalStats {
    return { ...this.counters, lastCompactionError: this.lastCompactionError, bytes: this.bytes };
  }

  /**
   * Appends records and resolves once they are durable. The caller applies the change to memory
   * first (synchronously), so the records describe state the snapshot function already returns.
   */
  append(records: readonly JournalRecord[]): Promise<void> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.closed) {
      return Promise.reject(
        new SqsJournalError(`The SQS journal ${this.path} is closed; reopen the store.`, this.path),
      );
    }
    for (const record of records) this.pending.push(`${JSON.stringify(record)}\n`);
    this.counters.records += records.length;
    const durable = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    // setImmediate, not a microtask: sends issued in the same turn (a batch, several HTTP requests
    // parsed together) join this flush.
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flushLoop());
    return durable;
  }

  /** Waits for pending appends, then closes the file. Appending afterwards is an error. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flushing;
    await this.handle.close();
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const lines = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        if (this.failure !== undefined) throw this.failure;
        const buffer = Buffer.from(lines.join(""), "utf8");
        await writeFully(this.handle, buffer);
        await this.handle.datasync();
        this.bytes += buffer.length;
        this.counters.flushes++;
      } catch (error) {
        this.failure ??= new SqsJournalError(
          `Cannot write the SQS journal ${this.path}: ${String(error)}. The local SQS stops accepting ` +
            "changes; free disk space or fix permissions, then restart it.",
          this.path,
          { cause: error },
        );
        for (const waiter of waiters) waiter.reject(this.failure);
        continue;
      }
      for (const waiter of waiters) waiter.resolve();
      if (this.bytes > this.threshold && this.bytes > 2 * this.bytesAfterCompaction) await this.compact();
    }
    this.flushing = undefined;
  }

  private async compact(): Promise<void> {
    const temporary = `${this.path}.compacting`;
    let bytes: number;
    try {
      bytes = await writeSnapshotFile(temporary, this.snapshot());
    } catch (error) {
      // The journal itself is intact: keep appending to it, and retry once it has doubled again.
      this.bytesAfterCompaction = this.bytes;
      this.counters.failedCompactions++;
      this.lastCompactionError = String(error);
      // Best effort: a leftover temporary file is overwritten by the next compaction anyway.
      await rm(temporary, { force: true }).catch(() => undefined);
      return;
    }
    try {
      await installSnapshot(temporary, this.path);
      // No append can run in between: appends are written only by this loop, which is here.
      const previous = this.handle;
      this.handle = await open(this.path, "a");
      await previous.close();
      this.bytes = bytes;
      this.bytesAfterCompaction = bytes;
      this.counters.compactions++;
    } catch (error) {
      this.failure = new SqsJournalError(
        `Cannot replace the SQS journal ${this.path} by its compacted copy: ${String(error)}. The local ` +
          "SQS stops accepting changes; fix the state directory, then restart it.",
        this.path,
        { cause: error },
      );
    }
  }
}

/** Writes a header and `records` to `path` and fdatasyncs it; returns its size in bytes. */
async function writeSnapshotFile(path: string, records: Iterable<JournalRecord>): Promise<number> {
  const handle = await open(path, "w");
  try {
    let bytes = 0;
    let chunk: string[] = [`${JSON.stringify({ op: "header", format: FORMAT, version: VERSION })}\n`];
    let chunkLength = 0;
    const writeChunk = async () => {
      const buffer = Buffer.from(chunk.join(""), "utf8");
      await writeFully(handle, buffer);
      bytes += buffer.length;
      chunk = [];
      chunkLength = 0;
    };
    for (const record of records) {
      const line = `${JSON.stringify(record)}\n`;
      chunk.push(line);
      chunkLength += line.length;
      if (chunkLength > 1_048_576) await writeChunk();
    }
    await writeChunk();
    await handle.datasync();
    return bytes;
  } finally {
    await handle.close();
  }
}

/** Renames the snapshot over the journal and makes the rename itself durable. */
async function installSnapshot(temporary: string, path: string): Promise<void> {
  await rename(temporary, path);
  await syncDirectory(dirname(path));
}

function isErrnoException(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && "code" in error;
}
