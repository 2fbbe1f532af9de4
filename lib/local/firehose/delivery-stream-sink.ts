import { randomUUID } from "node:crypto";
import { appendFile, mkdir, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
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

/**
 * A Firehose Direct PUT stream writing to a local folder laid out like its S3 bucket: records are
 * spooled to disk as they arrive (so a killed process loses none), and written as one object per
 * buffer (interval or size, whichever comes first), GZIP-compressed and newline-delimited as the
 * stream's configuration says, under the keys Firehose would use.
 */
export class DeliveryStreamSink {
  public readonly stream: LocalDeliveryStreamDefinition;
  private readonly spoolFile: string;
  private readonly bucketDir: string;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private buffered: string[] = [];
  private bufferedBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  /** Spool appends and spool rotation run one at a time, so every record is in exactly one spool file. */
  private spoolLock: Promise<unknown> = Promise.resolve();

  constructor(props: DeliveryStreamSinkProps) {
    this.stream = props.stream;
    this.spoolFile = path.join(props.stateDir, "firehose", props.stream.name, "spool.ndjson");
    this.bucketDir = path.join(props.stateDir, "s3", props.stream.bucketName);
    this.intervalMs = (props.stream.bufferingIntervalSeconds * 1000) / (props.timeScale ?? 1);
    this.now = props.now ?? Date.now;
    this.log = props.log ?? (() => {});
  }

  /** Recovers records spooled before a stop (delivery is at least once, as Firehose's) and writes them out. */
  public async open(): Promise<void> {
    const spoolDir = path.dirname(this.spoolFile);
    await mkdir(spoolDir, { recursive: true });
    const files = (await readdir(spoolDir)).filter((f) => f.endsWith(".ndjson")).sort();
    const records: string[] = [];
    for (const file of files) {
      const text = await readFile(path.join(spoolDir, file), "utf8");
      for (const line of text.split("\n")) if (line.length > 0) records.push(JSON.parse(line) as string);
    }
    if (records.length === 0) return;
    await this.writeObject(
      records,
      files.map((f) => path.join(spoolDir, f)),
    );
  }

  /** Accepts one record; resolves once it is spooled on disk. */
  public async put(record: string): Promise<void> {
    const size = Buffer.byteLength(record);
    if (size > MAX_RECORD_BYTES) {
      throw new FirehoseRecordError(
        `Record of ${size} bytes exceeds Firehose's limit of ${MAX_RECORD_BYTES} bytes (1,000 KiB) for stream ${this.stream.name}`,
      );
    }
    await this.serialized(async () => {
      await appendFile(this.spoolFile, `${JSON.stringify(record)}\n`);
      this.buffered.push(record);
      this.bufferedBytes += size;
    });
    if (this.bufferedBytes >= this.stream.bufferingSizeMiB * 1_048_576) {
      await this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  /** Writes what is buffered as one object now. */
  public async flush(): Promise<void> {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const rotated = await this.serialized(async () => {
      const records = this.buffered;
      this.buffered = [];
      this.bufferedBytes = 0;
      if (records.length === 0) return undefined;
      // The spool of these records moves aside; new records start a fresh spool.
      const pending = `${this.spoolFile.replace(/\.ndjson$/, "")}-${this.now()}-${randomUUID().slice(0, 8)}.ndjson`;
      await rename(this.spoolFile, pending);
      return { records, pending };
    });
    if (rotated !== undefined) {
      this.writing = this.writing.then(() => this.writeObject(rotated.records, [rotated.pending]));
    }
    return this.writing;
  }

  /** Flushes and stops the timer. */
  public async close(): Promise<void> {
    await this.flush();
  }

  private serialized<T>(work: () => Promise<T>): Promise<T> {
    const result = this.spoolLock.then(work);
    this.spoolLock = result.catch(() => undefined);
    return result;
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
