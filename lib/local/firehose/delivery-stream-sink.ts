import { randomUUID } from "node:crypto";
import {
  copyFile,
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
} from "node:fs/promises";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
import { type Clock, systemClock, type Timer } from "../clock";
import { syncDirectory, writeFully } from "../durable-file";
import type { LocalDeliveryStreamDefinition } from "../model";

/** Firehose refuses records over 1,000 KiB. */
export const MAX_RECORD_BYTES = 1_024_000;

/** Raised for a record Firehose would refuse. */
export class FirehoseRecordError extends Error {
  public override readonly name = "FirehoseRecordError";
}

/** Properties of {@link DeliveryStreamSink}. */
export interface DeliveryStreamSinkProps {
  readonly stream: LocalDeliveryStreamDefinition;
  /** Root of the local state; objects land under `<stateDir>/s3/<bucket>/`, the spool under `<stateDir>/firehose/`. */
  readonly stateDir: string;
  /** Divides the buffering interval. @default 1 */
  readonly timeScale?: number;
  /** Times buffering and retries, and names objects by arrival time. @default systemClock */
  readonly clock?: Clock;
  /** Receives a line per object written. */
  readonly log?: (line: string) => void;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, "0");
}

/**
 * Evaluates the namespaces Firehose offers in S3 prefixes: `!{timestamp:<Java date format>}` (the
 * arrival time, in UTC) and `!{firehose:random-string}`. Without any expression Firehose appends
 * `YYYY/MM/dd/HH/`, as here.
 */
export function evaluatePrefix(prefix: string, arrival: Date): string {
  const hasExpression = prefix.includes("!{");
  const evaluated = prefix.replace(/!\{([a-z]+):([^}]+)\}/g, (_all, namespace: string, argument: string) => {
    if (namespace === "timestamp") return formatJavaDate(argument, arrival);
    if (namespace === "firehose" && argument === "random-string") return randomUUID().slice(0, 11);
    if (namespace === "firehose" && argument === "error-output-type") return "processing-failed";
    return `!{${namespace}:${argument}}`;
  });
  if (hasExpression) return evaluated;
  const d = arrival;
  return `${prefix}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`;
}

function formatJavaDate(format: string, d: Date): string {
  const tokens: Record<string, string> = {
    yyyy: String(d.getUTCFullYear()),
    MM: pad(d.getUTCMonth() + 1),
    dd: pad(d.getUTCDate()),
    HH: pad(d.getUTCHours()),
    mm: pad(d.getUTCMinutes()),
    ss: pad(d.getUTCSeconds()),
  };
  return format.replace(/yyyy|MM|dd|HH|mm|ss/g, (token) => tokens[token] ?? token);
}

/** How a damaged spool or archive is repaired, in every damage message. */
const REPAIR_HINT =
  "Run `eventrail local --repair` (or `npm start -- --repair`) to keep every valid record, skip and report the damaged lines, and keep the damaged file beside it; or delete or fix the line by hand and start again.";

/** Raised at open for a spool file whose complete lines are not all records. */
export class AuditSpoolError extends Error {
  public override readonly name = "AuditSpoolError";

  constructor(
    message: string,
    /** The damaged spool file. */
    public readonly file: string,
    /** The first damaged line, from 1. */
    public readonly lineNumber?: number,
  ) {
    super(message);
  }
}

/** How the stream's writing of objects is going, for `status` and the local audit alarm. */
export interface DeliveryStreamStatus {
  readonly stream: string;
  /** Records accepted (spooled) and not yet in an object. */
  readonly pendingRecords: number;
  /** When the last object was written, epoch ms. */
  readonly lastWrittenAt?: number;
  /** The last failure to write an object, while writes keep failing. */
  readonly failing?: {
    readonly since: number;
    readonly attempts: number;
    readonly error: string;
    /** When the next attempt runs, epoch ms. */
    readonly nextAttemptAt: number;
    /** The object file that could not be written. */
    readonly file?: string;
    /** What to do about it, e.g. which file to move out of the way. */
    readonly fix?: string;
  };
}

/** What {@link DeliveryStreamSink.open} found in the spool. */
export interface DeliveryStreamRecovery {
  /** Records accepted before the stop and not yet in an object; they are written out (again). */
  readonly recoveredRecords: number;
  /** Torn last lines dropped (a write cut short by a kill; never acknowledged), by spool file. */
  readonly droppedTails: readonly { readonly file: string; readonly bytes: number }[];
  /** Damaged lines skipped by a repairing open (`repair: true`); empty otherwise. */
  readonly damagedLines: readonly { readonly file: string; readonly lineNumber: number }[];
  /** Copies of the damaged spool files, kept by a repairing open. */
  readonly damagedCopies: readonly string[];
}

/** Options of {@link DeliveryStreamSink.open}. */
export interface DeliveryStreamOpenOptions {
  /**
   * Skip and report damaged spool lines instead of refusing to start; each damaged file is kept
   * beside the spool as `<file>.damaged-<time>`. @default false
   */
  readonly repair?: boolean;
}

/** Back-off between attempts to write an object, before the time scale: 1 s doubling to 60 s. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/** Records spooled but not yet in an object, with the spool files that hold them. */
interface PendingObject {
  readonly records: readonly string[];
  readonly spools: readonly string[];
}

/** An object write that failed, with the object's file. */
class ObjectWriteFailure extends Error {
  constructor(
    public readonly file: string,
    public readonly reason: unknown,
  ) {
    super(errorText(reason), { cause: reason });
  }
}

/**
 * A Firehose Direct PUT stream writing to a local folder laid out like its S3 bucket: records are
 * spooled to disk as they arrive (written and fdatasync'd before `put` resolves, group-committed:
 * one write and one fdatasync for all records put while the previous commit ran, on a long-lived
 * file handle), and written as one object per buffer (interval or size, whichever comes first),
 * GZIP-compressed and newline-delimited as the stream's configuration says, under the keys
 * Firehose would use. A killed process loses no acknowledged record: the next {@link open} writes
 * the spooled ones out.
 *
 * An object that cannot be written (the bucket folder is not writable, a file is where a folder
 * should be) is retried with back-off (1 s doubling to 60 s, divided by the time scale) and
 * reported once per attempt in the log and in {@link status}; its records stay in their spool file
 * until it is written, and the stream keeps accepting records meanwhile.
 */
export class DeliveryStreamSink {
  public readonly stream: LocalDeliveryStreamDefinition;
  private readonly spoolFile: string;
  private readonly spoolDir: string;
  private readonly s3Dir: string;
  private readonly bucketDir: string;
  private readonly intervalMs: number;
  private readonly timeScale: number;
  private readonly clock: Clock;
  private readonly log: (line: string) => void;
  private buffered: string[] = [];
  private bufferedBytes = 0;
  private timer: Timer | undefined;
  /** The open spool file; records are appended to it until the buffer becomes an object. */
  private spool: FileHandle | undefined;
  /** Bytes of the spool file that hold acknowledged records. */
  private spoolBytes = 0;
  /** Whether the spool may hold bytes past {@link spoolBytes} (a failed append); cut before the next. */
  private spoolDirty = false;
  /** Lines waiting for the next group commit, with the callers to tell. */
  private pendingLines: {
    readonly record: string;
    readonly size: number;
    readonly line: string;
    readonly done: (error?: unknown) => void;
  }[] = [];
  private committing: Promise<void> | undefined;
  /** Spool writes and spool rotation run one at a time, so every record is in exactly one spool file. */
  private spoolLock: Promise<unknown> = Promise.resolve();
  /** Objects waiting to be written (several while writes fail), oldest first. */
  private readonly unwritten: PendingObject[] = [];
  private writing: Promise<void> | undefined;
  private retryTimer: Timer | undefined;
  private failing: NonNullable<DeliveryStreamStatus["failing"]> | undefined;
  private lastWrittenAt: number | undefined;
  private closed = false;

  constructor(props: DeliveryStreamSinkProps) {
    this.stream = props.stream;
    this.spoolDir = path.join(props.stateDir, "firehose", props.stream.name);
    this.spoolFile = path.join(this.spoolDir, "spool.ndjson");
    this.s3Dir = path.join(props.stateDir, "s3");
    this.bucketDir = path.join(this.s3Dir, props.stream.bucketName);
    this.timeScale = props.timeScale ?? 1;
    this.intervalMs = (props.stream.bufferingIntervalSeconds * 1000) / this.timeScale;
    this.clock = props.clock ?? systemClock;
    this.log = props.log ?? (() => {});
  }

  /**
   * Recovers records spooled before a stop (delivery is at least once, as Firehose's) and writes
   * them out. A torn last line (a write cut short by a kill) is dropped and logged with its file
   * and bytes: it was never acknowledged. Any other damaged line stops the start with
   * {@link AuditSpoolError} naming the file, the line and the repair, unless `repair` is set: then
   * damaged lines are skipped and reported, and the damaged file is kept beside the spool.
   *
   * An object that cannot be written here does not fail the start: it is reported and retried
   * like any other (see {@link status}), its records kept in the spool.
   */
  public async open(options: DeliveryStreamOpenOptions = {}): Promise<DeliveryStreamRecovery> {
    await mkdir(this.spoolDir, { recursive: true });
    const files = (await readdir(this.spoolDir)).filter((f) => f.endsWith(".ndjson")).sort();
    const records: string[] = [];
    const spools: string[] = [];
    const droppedTails: { file: string; bytes: number }[] = [];
    const damagedLines: { file: string; lineNumber: number }[] = [];
    const damagedCopies: string[] = [];
    // Every file is read before any is changed: a damaged one refuses the start with all in place.
    const contents = [];
    for (const file of files) {
      const full = path.join(this.spoolDir, file);
      contents.push({ file: full, ...(await this.readSpool(full, options.repair === true)) });
    }
    for (const content of contents) {
      records.push(...content.records);
      spools.push(content.file);
      if (content.tornBytes > 0) droppedTails.push({ file: content.file, bytes: content.tornBytes });
      if (content.damaged.length === 0) continue;
      const copy = `${content.file}.damaged-${this.clock.now()}`;
      await copyFile(content.file, copy);
      damagedCopies.push(copy);
      damagedLines.push(...content.damaged.map((lineNumber) => ({ file: content.file, lineNumber })));
      this.log(
        `AUDIT SPOOL REPAIRED for stream ${this.stream.name}: skipped ${content.damaged.length} damaged lines of ${content.file} (lines ${content.damaged.join(", ")}); kept ${content.records.length} records; the damaged file is kept as ${copy}. The skipped events are in the archive (the state folder's archives/): a replay of their time window re-delivers them to the audit trail.`,
      );
    }
    if (records.length > 0) {
      // Recovered spools move aside, so the new spool file holds only records accepted from now on.
      const pending = spools.map((spool) => (spool === this.spoolFile ? this.rotatedName() : spool));
      for (const [index, spool] of spools.entries()) {
        const target = pending[index];
        if (target !== undefined && target !== spool) await rename(spool, target);
      }
      this.unwritten.push({ records, spools: pending });
      this.log(`audit: recovered ${records.length} spooled events of stream ${this.stream.name}`);
    } else {
      for (const spool of spools) await rm(spool, { force: true });
    }
    await this.openSpool();
    if (this.unwritten.length > 0) await this.writePending();
    return { recoveredRecords: records.length, droppedTails, damagedLines, damagedCopies };
  }

  /**
   * Accepts one record; resolves once it is spooled on disk (written and fdatasync'd). Rejects
   * only for a record Firehose would refuse ({@link FirehoseRecordError}) or a spool that cannot
   * be appended to (the caller retries); never for an object that cannot be written.
   */
  public async put(record: string): Promise<void> {
    const size = Buffer.byteLength(record);
    if (size > MAX_RECORD_BYTES) {
      throw new FirehoseRecordError(
        `Record of ${size} bytes exceeds Firehose's limit of ${MAX_RECORD_BYTES} bytes (1,000 KiB) for stream ${this.stream.name}`,
      );
    }
    await new Promise<void>((resolve, reject) => {
      this.pendingLines.push({
        record,
        size,
        line: `${JSON.stringify(record)}\n`,
        done: (error) => (error === undefined ? resolve() : reject(error)),
      });
      // setImmediate, not a microtask: records put in the same turn (the entries of a PutEvents
      // call, several requests parsed together) share one write and one fdatasync.
      this.committing ??= new Promise<void>((next) => setImmediate(next)).then(() => this.commit());
    });
    if (this.bufferedBytes >= this.stream.bufferingSizeMiB * 1_048_576) {
      await this.flush();
    } else if (this.timer === undefined && !this.closed) {
      this.timer = this.clock.setTimer(() => void this.flush(), this.intervalMs);
    }
  }

  /**
   * Writes what is buffered as one object now. Resolves once the object is written, or once its
   * write failed and a retry is scheduled (see {@link status}); never rejects for a write error.
   * While writes fail, the object waits for the next scheduled attempt (the back-off holds).
   */
  public async flush(): Promise<void> {
    if (this.timer !== undefined) {
      this.timer.cancel();
      this.timer = undefined;
    }
    await this.withSpool(() => this.rotate());
    if (this.retryTimer === undefined) await this.writePending();
  }

  /**
   * Attempts the waiting objects now instead of at the next scheduled attempt, e.g. once the
   * cause of a failure was fixed. Resolves as {@link flush} does.
   */
  public async retryNow(): Promise<void> {
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    await this.flush();
  }

  /** What is waiting and whether object writes fail. */
  public status(): DeliveryStreamStatus {
    const pendingRecords =
      this.buffered.length + this.unwritten.reduce((sum, object) => sum + object.records.length, 0);
    return {
      stream: this.stream.name,
      pendingRecords,
      ...(this.lastWrittenAt === undefined ? {} : { lastWrittenAt: this.lastWrittenAt }),
      ...(this.failing === undefined ? {} : { failing: { ...this.failing } }),
    };
  }

  /** Flushes, stops retrying and closes the spool. Records still unwritten stay spooled for the next open. */
  public async close(): Promise<void> {
    while (this.committing !== undefined) await this.committing;
    await this.flush();
    this.closed = true;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    // An attempt already running (a scheduled retry) ends first; it schedules no other.
    await this.writing;
    await this.withSpool(async () => {
      await this.spool?.close();
      this.spool = undefined;
    });
  }

  /** Opens a fresh (or the existing) spool file for appending, and makes its directory entry durable. */
  private async openSpool(): Promise<FileHandle> {
    const handle = await open(this.spoolFile, "a");
    try {
      this.spoolBytes = (await handle.stat()).size;
      await syncDirectory(this.spoolDir);
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.spool = handle;
    this.spoolDirty = false;
    return handle;
  }

  /** Cuts what a failed append may have left after the last acknowledged record. */
  private async cleanSpool(spool: FileHandle): Promise<void> {
    if (!this.spoolDirty) return;
    await spool.truncate(this.spoolBytes);
    this.spoolDirty = false;
  }

  /**
   * The buffer becomes a waiting object; its spool file moves aside and new records start a fresh
   * one. A spool that cannot be rotated keeps its records (buffered and spooled) and is reported.
   */
  private async rotate(): Promise<void> {
    const records = this.buffered;
    if (records.length === 0 || this.spool === undefined) return;
    const rotated = this.rotatedName();
    try {
      await this.cleanSpool(this.spool);
      await this.spool.close();
      this.spool = undefined;
      await rename(this.spoolFile, rotated);
    } catch (error) {
      this.log(
        `AUDIT SPOOL ERROR for stream ${this.stream.name}: cannot move the spool ${this.spoolFile} aside to write its ${records.length} events: ${errorText(error)}. They stay spooled and are written with the next object; check that ${this.spoolDir} is a writable folder.`,
      );
      if (this.spool === undefined) await this.openSpool().catch(() => undefined);
      return;
    }
    this.buffered = [];
    this.bufferedBytes = 0;
    this.unwritten.push({ records, spools: [rotated] });
    // Without an open spool every put fails (and is retried by its caller) until one opens.
    await this.openSpool().catch((error: unknown) =>
      this.log(
        `AUDIT SPOOL ERROR for stream ${this.stream.name}: cannot open a new spool ${this.spoolFile}: ${errorText(error)}. Events are not accepted until it opens; check that ${this.spoolDir} is a writable folder.`,
      ),
    );
  }

  /**
   * One write and one fdatasync for every line that arrived while the previous commit ran. The
   * records join the buffer inside the spool lock, so a rotation never separates a record from the
   * spool file that holds it. A failed append is cut off before the next one, so the spool never
   * holds a partial line between records.
   */
  private async commit(): Promise<void> {
    while (this.pendingLines.length > 0) {
      const batch = this.pendingLines;
      this.pendingLines = [];
      try {
        await this.withSpool(async () => {
          if (this.closed) {
            throw new Error(
              `The audit spool ${this.spoolFile} is closed: the stream ${this.stream.name} was stopped.`,
            );
          }
          try {
            // A spool that could not be reopened after a rotation is tried again here.
            const spool = this.spool ?? (await this.openSpool());
            await this.cleanSpool(spool);
            const buffer = Buffer.from(batch.map((entry) => entry.line).join(""), "utf8");
            this.spoolDirty = true;
            await writeFully(spool, buffer);
            await spool.datasync();
            this.spoolDirty = false;
            this.spoolBytes += buffer.length;
          } catch (error) {
            throw new Error(
              `Cannot append to the audit spool ${this.spoolFile}: ${errorText(error)}. The event is retried; free disk space or make ${this.spoolDir} writable.`,
              { cause: error },
            );
          }
          for (const entry of batch) {
            this.buffered.push(entry.record);
            this.bufferedBytes += entry.size;
          }
        });
        for (const entry of batch) entry.done();
      } catch (error) {
        for (const entry of batch) entry.done(error);
      }
    }
    this.committing = undefined;
  }

  private withSpool<T>(work: () => Promise<T>): Promise<T> {
    const result = this.spoolLock.then(work);
    this.spoolLock = result.catch(() => undefined);
    return result;
  }

  private rotatedName(): string {
    return `${this.spoolFile.replace(/\.ndjson$/, "")}-${this.clock.now()}-${randomUUID().slice(0, 8)}.ndjson`;
  }

  /** Writes the waiting objects in order; on a failure, reports it and schedules a retry. */
  private writePending(): Promise<void> {
    if (this.writing === undefined) {
      // Assigned before it can settle, and cleared only once it has: a run that finds nothing to
      // write must not leave a settled promise behind that later calls would take for a writer.
      this.writing = this.writeInOrder().finally(() => {
        this.writing = undefined;
        // An object queued after the last check of the loop above gets its own run.
        if (this.unwritten.length > 0 && this.retryTimer === undefined && !this.closed)
          void this.writePending();
      });
    }
    return this.writing;
  }

  private async writeInOrder(): Promise<void> {
    while (this.unwritten.length > 0) {
      const next = this.unwritten[0];
      if (next === undefined) break;
      try {
        await this.writeObject(next.records);
      } catch (error) {
        await this.scheduleRetry(error);
        return;
      }
      this.unwritten.shift();
      // The object is complete: only now may the spool forget these records.
      for (const spool of next.spools) {
        await rm(spool, { force: true }).catch((error: unknown) =>
          this.log(
            `audit: cannot remove the spool ${spool} of an object already written: ${errorText(error)}. Its events are written again at the next start (a duplicate, as Firehose's at-least-once delivery allows); delete it to avoid that.`,
          ),
        );
      }
      if (this.failing !== undefined) {
        this.log(
          `audit: writing objects of stream ${this.stream.name} works again after ${this.failing.attempts} failed attempts`,
        );
      }
      this.failing = undefined;
      this.lastWrittenAt = this.clock.now();
    }
  }

  /** Reports a failed object write (once per attempt) and schedules the next attempt. */
  private async scheduleRetry(error: unknown): Promise<void> {
    const file = error instanceof ObjectWriteFailure ? error.file : undefined;
    const cause = error instanceof ObjectWriteFailure ? error.reason : error;
    const blocking = file === undefined ? undefined : await fileInTheWay(this.s3Dir, path.dirname(file));
    const fix = fixFor(cause, blocking, this.bucketDir);
    const now = this.clock.now();
    const attempts = (this.failing?.attempts ?? 0) + 1;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1)) / this.timeScale;
    const message = errorText(cause);
    this.failing = {
      since: this.failing?.since ?? now,
      attempts,
      error: message,
      nextAttemptAt: now + delay,
      ...(file === undefined ? {} : { file }),
      fix,
    };
    const pending = this.unwritten.reduce((sum, object) => sum + object.records.length, 0);
    this.log(
      `AUDIT WRITE FAILED for stream ${this.stream.name} (attempt ${attempts}): cannot write ${file ?? "an object"}: ${message}. Fix: ${fix} ${pending} events stay spooled in ${this.spoolDir} and are retried in ${(delay / 1000).toFixed(1)} s.`,
    );
    if (this.closed) return;
    this.retryTimer?.cancel();
    this.retryTimer = this.clock.setTimer(() => {
      this.retryTimer = undefined;
      void this.writePending();
    }, delay);
  }

  /**
   * The records of one spool file. A torn last line (no newline after it) is dropped; any other
   * line that is not a record is refused with {@link AuditSpoolError}, or skipped and listed when
   * repairing.
   */
  private async readSpool(
    file: string,
    repair: boolean,
  ): Promise<{ records: string[]; tornBytes: number; damaged: number[] }> {
    const text = await readFile(file, "utf8");
    const lines = text.split("\n");
    const tail = lines.pop() ?? "";
    const tornBytes = Buffer.byteLength(tail);
    if (tornBytes > 0) {
      this.log(
        `audit: dropped a torn last line of ${file} (${tornBytes} bytes, a write cut short by a stop; it was never acknowledged)`,
      );
    }
    const records: string[] = [];
    const damaged: number[] = [];
    lines.forEach((line, index) => {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        record = undefined;
      }
      if (typeof record === "string") records.push(record);
      else damaged.push(index + 1);
    });
    const first = damaged[0];
    if (first !== undefined && !repair) {
      const others =
        damaged.length > 1
          ? ` (and ${damaged.length - 1} more: lines ${damaged.slice(1, 11).join(", ")}${damaged.length > 11 ? ", ..." : ""})`
          : "";
      throw new AuditSpoolError(
        `The audit spool ${file} is damaged at line ${first}${others}: ${JSON.stringify((lines[first - 1] ?? "").slice(0, 80))} is not a spooled record (a JSON string). ` +
          `Nothing was read or removed. ${REPAIR_HINT} The ${records.length} valid records are kept either way; a skipped event is also in the archive (the state folder's archives/), and a replay of its time window re-delivers it to the audit trail.`,
        file,
        first,
      );
    }
    return { records, tornBytes, damaged };
  }

  /** Writes one object durably (temporary file, fdatasync, rename, directory fsync). */
  private async writeObject(records: readonly string[]): Promise<void> {
    const arrival = new Date(this.clock.now());
    const separator = this.stream.appendNewline ? "\n" : "";
    const body = Buffer.from(records.map((r) => `${r}${separator}`).join(""));
    const gzip = this.stream.compression === "GZIP";
    const d = arrival;
    const name = `${this.stream.name}-1-${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}-${randomUUID()}${gzip ? ".gz" : ""}`;
    const key = `${evaluatePrefix(this.stream.prefix, arrival)}${name}`;
    const file = path.join(this.bucketDir, key);
    const temporary = `${file}.partial`;
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const handle = await open(temporary, "w");
      try {
        await writeFully(handle, gzip ? gzipSync(body) : body);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await rename(temporary, file);
      await syncDirectory(path.dirname(file));
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => undefined);
      throw new ObjectWriteFailure(file, error);
    }
    this.log(`audit: wrote ${records.length} events to s3://${this.stream.bucketName}/${key}`);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The first path from `root` down to `directory` that exists and is not a folder (it blocks the write). */
async function fileInTheWay(root: string, directory: string): Promise<string | undefined> {
  const parts = path.relative(root, directory).split(path.sep).filter(Boolean);
  let current = root;
  for (const part of ["", ...parts]) {
    current = part === "" ? current : path.join(current, part);
    const stats = await stat(current).catch(() => undefined);
    if (stats === undefined) return undefined;
    if (!stats.isDirectory()) return current;
  }
  return undefined;
}

/** What to do about a failed object write. */
function fixFor(error: unknown, blocking: string | undefined, bucketDir: string): string {
  if (blocking !== undefined) {
    return `${blocking} is a file where a folder must be: move it out of the way (mv '${blocking}' '${blocking}.moved'); the events are written at the next attempt.`;
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === "ENOSPC" || code === "EDQUOT")
    return "free disk space; the events are written at the next attempt.";
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return `make ${bucketDir} and the folders under it writable (chmod -R u+w '${bucketDir}'); the events are written at the next attempt.`;
  }
  return `check that ${bucketDir} and the folders under it are writable folders; the events are written at the next attempt.`;
}
