import { randomUUID } from "node:crypto";
import { type FileHandle, mkdir, open, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { gzipSync } from "node:zlib";
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
  /** @default Date.now */
  readonly now?: () => number;
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

/** Raised at open for a spool file whose complete lines are not all records. */
export class AuditSpoolError extends Error {
  public override readonly name = "AuditSpoolError";

  constructor(
    message: string,
    /** The damaged spool file. */
    public readonly file: string,
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
  };
}

/** Back-off between attempts to write an object, before the time scale: 1 s doubling to 60 s. */
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

/** Records spooled but not yet in an object, with the spool files that hold them. */
interface PendingObject {
  readonly records: readonly string[];
  readonly spools: readonly string[];
}

/**
 * A Firehose Direct PUT stream writing to a local folder laid out like its S3 bucket: records are
 * spooled to disk as they arrive (written and fdatasync'd before `put` resolves, group-committed,
 * so a killed process loses none), and written as one object per buffer (interval or size,
 * whichever comes first), GZIP-compressed and newline-delimited as the stream's configuration
 * says, under the keys Firehose would use.
 *
 * An object that cannot be written (the bucket folder is not writable, a file is where a folder
 * should be) is retried with back-off and reported; its records stay in their spool file until it
 * is written, and the stream keeps accepting records meanwhile.
 */
export class DeliveryStreamSink {
  public readonly stream: LocalDeliveryStreamDefinition;
  private readonly spoolFile: string;
  private readonly bucketDir: string;
  private readonly intervalMs: number;
  private readonly timeScale: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private buffered: string[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The open spool file; records are appended to it until the buffer becomes an object. */
  private spool: FileHandle | undefined;
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
  private retryTimer: NodeJS.Timeout | undefined;
  private failing: { since: number; attempts: number; error: string; nextAttemptAt: number } | undefined;
  private lastWrittenAt: number | undefined;
  private closed = false;

  constructor(props: DeliveryStreamSinkProps) {
    this.stream = props.stream;
    this.spoolFile = path.join(props.stateDir, "firehose", props.stream.name, "spool.ndjson");
    this.bucketDir = path.join(props.stateDir, "s3", props.stream.bucketName);
    this.timeScale = props.timeScale ?? 1;
    this.intervalMs = (props.stream.bufferingIntervalSeconds * 1000) / this.timeScale;
    this.now = props.now ?? Date.now;
    this.log = props.log ?? (() => {});
  }

  /**
   * Recovers records spooled before a stop (delivery is at least once, as Firehose's) and writes
   * them out. A torn last line (a write cut short by a kill) is dropped and logged: it was never
   * acknowledged. Any other damaged line stops the start with {@link AuditSpoolError}.
   */
  public async open(): Promise<void> {
    const spoolDir = path.dirname(this.spoolFile);
    await mkdir(spoolDir, { recursive: true });
    const files = (await readdir(spoolDir)).filter((f) => f.endsWith(".ndjson")).sort();
    const records: string[] = [];
    const spools: string[] = [];
    for (const file of files) {
      const full = path.join(spoolDir, file);
      records.push(...(await this.readSpool(full)));
      spools.push(full);
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
    this.spool = await open(this.spoolFile, "a");
    if (this.unwritten.length > 0) await this.writePending();
  }

  /** Accepts one record; resolves once it is spooled on disk (written and fdatasync'd). */
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
      this.committing ??= this.commit();
    });
    if (this.bufferedBytes >= this.stream.bufferingSizeMiB * 1_048_576) {
      await this.flush();
    } else if (this.timer === undefined && !this.closed) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /**
   * Writes what is buffered as one object now. Resolves once the object is written, or once its
   * write failed and a retry is scheduled (see {@link status}); never rejects for a write error.
   */
  public async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    await this.withSpool(async () => {
      const records = this.buffered;
      this.buffered = [];
      this.bufferedBytes = 0;
      if (records.length === 0 || this.spool === undefined) return;
      // The spool of these records moves aside; new records start a fresh spool.
      const rotated = this.rotatedName();
      await this.spool.close();
      this.spool = undefined;
      await rename(this.spoolFile, rotated);
      this.spool = await open(this.spoolFile, "a");
      this.unwritten.push({ records, spools: [rotated] });
    });
    await this.writePending();
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
    await this.flush();
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    await this.withSpool(async () => {
      await this.spool?.close();
      this.spool = undefined;
    });
  }

  /**
   * One write and one fdatasync for every line that arrived while the previous commit ran. The
   * records join the buffer inside the spool lock, so a rotation never separates a record from the
   * spool file that holds it.
   */
  private async commit(): Promise<void> {
    while (this.pendingLines.length > 0) {
      const batch = this.pendingLines;
      this.pendingLines = [];
      try {
        await this.withSpool(async () => {
          if (this.spool === undefined) throw new Error(`the audit spool ${this.spoolFile} is not open`);
          await this.spool.write(batch.map((entry) => entry.line).join(""));
          await this.spool.datasync();
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
    return `${this.spoolFile.replace(/\.ndjson$/, "")}-${this.now()}-${randomUUID().slice(0, 8)}.ndjson`;
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
        await this.writeObject(next.records, next.spools);
      } catch (error) {
        this.scheduleRetry(error);
        return;
      }
      this.unwritten.shift();
      if (this.failing !== undefined) {
        this.log(
          `audit: writing objects of stream ${this.stream.name} works again after ${this.failing.attempts} failed attempts`,
        );
      }
      this.failing = undefined;
      this.lastWrittenAt = this.now();
    }
  }

  private scheduleRetry(error: unknown): void {
    const now = this.now();
    const attempts = (this.failing?.attempts ?? 0) + 1;
    const delay = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (attempts - 1)) / this.timeScale;
    const message = error instanceof Error ? error.message : String(error);
    this.failing = {
      since: this.failing?.since ?? now,
      attempts,
      error: message,
      nextAttemptAt: now + delay,
    };
    const pending = this.unwritten.reduce((sum, object) => sum + object.records.length, 0);
    this.log(
      `AUDIT WRITE FAILED for stream ${this.stream.name} (attempt ${attempts}): ${message}. ${pending} events stay spooled in ${path.dirname(this.spoolFile)} and are retried in ${(delay / 1000).toFixed(1)} s; check that ${this.bucketDir} and the folders under it are writable directories.`,
    );
    if (this.closed) return;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.writePending();
    }, delay);
    this.retryTimer.unref();
  }

  /** The records of one spool file; a torn last line is dropped and logged, other damage refused. */
  private async readSpool(file: string): Promise<string[]> {
    const text = await readFile(file, "utf8");
    const lines = text.split("\n");
    const tail = lines.pop() ?? "";
    if (tail.length > 0) {
      this.log(
        `audit: dropped a torn last line of ${file} (${Buffer.byteLength(tail)} bytes, a write cut short; it was never acknowledged)`,
      );
    }
    const records: string[] = [];
    lines.forEach((line, index) => {
      let record: unknown;
      try {
        record = JSON.parse(line);
      } catch {
        record = undefined;
      }
      if (typeof record !== "string") {
        throw new AuditSpoolError(
          `The audit spool ${file} is damaged at line ${index + 1}: ${JSON.stringify(line.slice(0, 80))} is not a spooled record (a JSON string). ` +
            `Repair: delete or fix that line and start again (the other ${lines.length - 1} records are kept); the event is also in the archive under the state folder's archives/, and a replay of its time window re-delivers it to the audit trail.`,
          file,
        );
      }
      records.push(record);
    });
    return records;
  }

  private async writeObject(records: readonly string[], spools: readonly string[]): Promise<void> {
    const arrival = new Date(this.now());
    const separator = this.stream.appendNewline ? "\n" : "";
    const body = Buffer.from(records.map((r) => `${r}${separator}`).join(""));
    const gzip = this.stream.compression === "GZIP";
    const d = arrival;
    const name = `${this.stream.name}-1-${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}-${pad(d.getUTCHours())}-${pad(d.getUTCMinutes())}-${pad(d.getUTCSeconds())}-${randomUUID()}${gzip ? ".gz" : ""}`;
    const key = `${evaluatePrefix(this.stream.prefix, arrival)}${name}`;
    const file = path.join(this.bucketDir, key);
    await mkdir(path.dirname(file), { recursive: true });
    const temporary = `${file}.partial`;
    await writeFile(temporary, gzip ? gzipSync(body) : body);
    await rename(temporary, file);
    // The object is complete: only now may the spool forget these records.
    for (const spool of spools) await rm(spool, { force: true });
    this.log(`audit: wrote ${records.length} events to s3://${this.stream.bucketName}/${key}`);
  }
}
