import { createReadStream } from "node:fs";
import { appendFile, mkdir, open, rename, stat } from "node:fs/promises";
import * as path from "node:path";
import { createInterface } from "node:readline";
import type { CompiledPattern } from "../pattern";
import type { BusEvent } from "./bus-event";

/** One archived event and when the archive received it. */
export interface ArchivedEvent {
  readonly archivedAt: number;
  readonly event: BusEvent;
}

/** Properties of {@link ArchiveStore}. */
export interface ArchiveStoreProps {
  readonly name: string;
  readonly arn: string;
  /** Folder holding the archive's file. */
  readonly directory: string;
  /** Selects the events the archive keeps; undefined keeps every event. */
  readonly pattern?: CompiledPattern;
  /** 0 keeps events forever. */
  readonly retentionDays: number;
  /** @default Date.now */
  readonly now?: () => number;
}

const DAY_MS = 86_400_000;

/** Raised at open for an archive file with a line that is not an archived event. */
export class ArchiveDamagedError extends Error {
  public override readonly name = "ArchiveDamagedError";

  constructor(
    /** The archive file. */
    public readonly file: string,
    /** The damaged line, from 1. */
    public readonly lineNumber: number,
    text: string,
  ) {
    super(
      `The archive ${file} is damaged at line ${lineNumber}: ${JSON.stringify(text.slice(0, 80))} is not an archived event. ` +
        "Repair: delete or fix that line and start again; the other events are kept (the audit files under the state folder's s3/ hold every event too).",
    );
  }
}

function parseArchived(line: string): ArchivedEvent | undefined {
  try {
    const parsed = JSON.parse(line) as Partial<ArchivedEvent> | null;
    return typeof parsed?.archivedAt === "number" && typeof parsed.event === "object" && parsed.event !== null
      ? (parsed as ArchivedEvent)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Whether the file's last byte is a newline (a complete last line). */
async function endsWithNewline(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/**
 * An EventBridge archive on disk: one JSON line per event, appended and flushed before the event is
 * acknowledged. Like EventBridge's managed archive rule, it never keeps replayed events.
 */
export class ArchiveStore {
  public readonly name: string;
  public readonly arn: string;
  private readonly file: string;
  private readonly pattern?: CompiledPattern;
  private readonly retentionDays: number;
  private readonly now: () => number;
  private eventCount = 0;
  private sizeBytes = 0;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;

  constructor(props: ArchiveStoreProps) {
    this.name = props.name;
    this.arn = props.arn;
    this.file = path.join(props.directory, "events.ndjson");
    this.pattern = props.pattern;
    this.retentionDays = props.retentionDays;
    this.now = props.now ?? Date.now;
  }

  /**
   * Loads counts from disk and drops events past retention. A torn last line (a write cut short by a
   * kill, never acknowledged) is dropped and reported through `log`; any other line that is not an
   * archived event stops the start with {@link ArchiveDamagedError}, naming the file, the line and
   * the repair.
   */
  public async open(log: (line: string) => void = () => {}): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const kept: string[] = [];
    let dropped = 0;
    let lineNumber = 0;
    let damaged: { readonly lineNumber: number; readonly text: string } | undefined;
    for await (const line of this.lines()) {
      lineNumber++;
      if (damaged !== undefined) {
        // A damaged line followed by more lines is damage, not a torn write.
        throw new ArchiveDamagedError(this.file, damaged.lineNumber, damaged.text);
      }
      const archived = parseArchived(line);
      if (archived === undefined) {
        damaged = { lineNumber, text: line };
        continue;
      }
      if (this.expired(archived)) {
        dropped++;
        continue;
      }
      kept.push(line);
      this.eventCount++;
      this.sizeBytes += Buffer.byteLength(line) + 1;
    }
    if (damaged !== undefined) {
      if (await endsWithNewline(this.file))
        throw new ArchiveDamagedError(this.file, damaged.lineNumber, damaged.text);
      log(
        `archive ${this.name}: dropped a torn last line of ${this.file} (${Buffer.byteLength(damaged.text)} bytes, a write cut short; it was never acknowledged)`,
      );
    }
    if (dropped > 0 || damaged !== undefined) {
      const temporary = `${this.file}.tmp`;
      const handle = await open(temporary, "w");
      await handle.writeFile(kept.map((l) => `${l}\n`).join(""));
      await handle.sync();
      await handle.close();
      await rename(temporary, this.file);
    }
  }

  /** Whether the archive keeps this event: its pattern matches and it is not a replay. */
  public selects(event: BusEvent): boolean {
    if (event["replay-name"] !== undefined) return false;
    return this.pattern === undefined || this.pattern.matches(event);
  }

  /**
   * Appends events the archive selects; resolves once they are on disk. Appends that arrive
   * while a write is running share the next write.
   */
  public async append(events: readonly BusEvent[]): Promise<number> {
    const archivedAt = this.now();
    const lines = events.filter((e) => this.selects(e)).map((event) => JSON.stringify({ archivedAt, event }));
    if (lines.length === 0) return 0;
    this.pending.push(...lines);
    while (this.pending.length > 0 || this.flushing) {
      if (this.flushing) {
        await this.flushing;
        continue;
      }
      const batch = this.pending;
      this.pending = [];
      const text = batch.map((l) => `${l}\n`).join("");
      this.flushing = appendFile(this.file, text).then(() => {
        this.eventCount += batch.length;
        this.sizeBytes += Buffer.byteLength(text);
      });
      try {
        await this.flushing;
      } finally {
        this.flushing = undefined;
      }
    }
    return lines.length;
  }

  /** Events whose `time` lies in [start, end), in archive order. */
  public async *between(start: Date, end: Date): AsyncGenerator<ArchivedEvent> {
    const from = start.getTime();
    const to = end.getTime();
    for await (const line of this.lines()) {
      const archived = JSON.parse(line) as ArchivedEvent;
      if (this.expired(archived)) continue;
      const time = Date.parse(archived.event.time);
      if (time >= from && time < to) yield archived;
    }
  }

  /** What DescribeArchive reports. */
  public stats(): { eventCount: number; sizeBytes: number } {
    return { eventCount: this.eventCount, sizeBytes: this.sizeBytes };
  }

  private expired(archived: ArchivedEvent): boolean {
    return this.retentionDays > 0 && archived.archivedAt < this.now() - this.retentionDays * DAY_MS;
  }

  private async *lines(): AsyncGenerator<string> {
    const exists = await stat(this.file).then(
      () => true,
      () => false,
    );
    if (!exists) return;
    const reader = createInterface({
      input: createReadStream(this.file),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of reader) {
      if (line.trim().length > 0) yield line;
    }
  }
}
