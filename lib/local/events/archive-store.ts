import { createReadStream } from "node:fs";
import { appendFile, copyFile, type FileHandle, mkdir, open, rename, stat, truncate } from "node:fs/promises";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { type Clock, systemClock } from "../clock";
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
  /** Stamps archived events and ages them for retention. @default systemClock */
  readonly clock?: Clock;
}

const DAY_MS = 86_400_000;

/** How a damaged archive is repaired, in every damage message. */
const REPAIR_HINT =
  "Repair: run `eventrail local --repair` (or `npm start -- --repair`) to keep every valid event, skip and report the damaged lines, and keep the damaged file beside it; or delete or fix the line by hand and start again.";

/** Raised at open (or by a replay) for an archive file with a line that is not an archived event. */
export class ArchiveDamagedError extends Error {
  public override readonly name = "ArchiveDamagedError";

  constructor(
    /** The archive file. */
    public readonly file: string,
    /** The (first) damaged line, from 1. */
    public readonly lineNumber: number,
    text: string,
    /** Further damaged lines, from 1. */
    public readonly otherLineNumbers: readonly number[] = [],
  ) {
    const others =
      otherLineNumbers.length === 0
        ? ""
        : ` (and ${otherLineNumbers.length} more: lines ${otherLineNumbers.slice(0, 10).join(", ")}${otherLineNumbers.length > 10 ? ", ..." : ""})`;
    super(
      `The archive ${file} is damaged at line ${lineNumber}${others}: ${JSON.stringify(text.slice(0, 80))} is not an archived event. ` +
        `Nothing was read or removed. ${REPAIR_HINT} The other events are kept either way (the audit files under the state folder's s3/ hold every event too).`,
    );
  }
}

/** Options of {@link ArchiveStore.open}. */
export interface ArchiveOpenOptions {
  /**
   * Skip and report damaged lines instead of refusing to start; the damaged file is kept beside
   * the archive as `events.ndjson.damaged-<time>`. @default false
   */
  readonly repair?: boolean;
}

/** What {@link ArchiveStore.open} found. */
export interface ArchiveRecovery {
  /** Bytes of a torn last line dropped (a write cut short by a kill; never acknowledged). */
  readonly droppedTailBytes: number;
  /** Damaged lines skipped by a repairing open, from 1; empty otherwise. */
  readonly damagedLines: readonly number[];
  /** The copy of the damaged file kept by a repairing open. */
  readonly damagedCopy?: string;
  /** Events dropped because they are past the archive's retention. */
  readonly expired: number;
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

/** Whether the file's last byte is a newline (a complete last line); true for an empty or missing file. */
async function endsWithNewline(file: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return true;
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return true;
    const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

/** A line of the archive file and its number, from 1. */
interface NumberedLine {
  readonly text: string;
  readonly lineNumber: number;
}

/**
 * An EventBridge archive on disk: one JSON line per event, appended (and written to the file)
 * before the event is routed, so a killed process never lost an archived event whose effects
 * happened. Like EventBridge's managed archive rule, it never keeps replayed events.
 */
export class ArchiveStore {
  public readonly name: string;
  public readonly arn: string;
  private readonly file: string;
  private readonly pattern?: CompiledPattern;
  private readonly retentionDays: number;
  private readonly clock: Clock;
  private eventCount = 0;
  private sizeBytes = 0;
  private pending: string[] = [];
  private flushing: Promise<void> | undefined;
  /** Bytes of the file that hold complete lines; undefined until known (opened or first appended). */
  private fileBytes: number | undefined;
  /** Whether the file may hold bytes past {@link fileBytes} (a failed append); cut before the next. */
  private dirty = false;

  constructor(props: ArchiveStoreProps) {
    this.name = props.name;
    this.arn = props.arn;
    this.file = path.join(props.directory, "events.ndjson");
    this.pattern = props.pattern;
    this.retentionDays = props.retentionDays;
    this.clock = props.clock ?? systemClock;
  }

  /**
   * Loads counts from disk and drops events past retention. A torn last line (one without its
   * newline: a write cut short by a kill, never acknowledged) is dropped and reported through `log`
   * with the file and the bytes dropped; any other line that is not an archived event stops the
   * start with {@link ArchiveDamagedError}, naming the file, the lines and the repair, and nothing
   * is changed. With `repair`, damaged lines are skipped and reported instead, and the damaged file
   * is kept beside the archive.
   */
  public async open(
    log: (line: string) => void = () => {},
    options: ArchiveOpenOptions = {},
  ): Promise<ArchiveRecovery> {
    await mkdir(path.dirname(this.file), { recursive: true });
    const terminated = await endsWithNewline(this.file);
    const kept: string[] = [];
    const damaged: NumberedLine[] = [];
    let expired = 0;
    let torn: NumberedLine | undefined;
    let previous: NumberedLine | undefined;
    const take = (line: NumberedLine) => {
      const archived = parseArchived(line.text);
      if (archived === undefined) {
        damaged.push(line);
      } else if (this.expired(archived)) {
        expired++;
      } else {
        kept.push(line.text);
      }
    };
    // One line behind: only the last line can be a torn write, and only when the file does not end
    // with a newline (a complete line that happens to parse is still torn without it, and the next
    // append would run into it).
    for await (const line of this.lines()) {
      if (previous !== undefined) take(previous);
      previous = line;
    }
    if (previous !== undefined) {
      if (terminated) take(previous);
      else torn = previous;
    }
    const first = damaged[0];
    if (first !== undefined && options.repair !== true) {
      throw new ArchiveDamagedError(
        this.file,
        first.lineNumber,
        first.text,
        damaged.slice(1).map((line) => line.lineNumber),
      );
    }
    const droppedTailBytes = torn === undefined ? 0 : Buffer.byteLength(torn.text);
    if (torn !== undefined) {
      log(
        `archive ${this.name}: dropped a torn last line of ${this.file} (${droppedTailBytes} bytes at line ${torn.lineNumber}, a write cut short by a stop; it was never acknowledged)`,
      );
    }
    let damagedCopy: string | undefined;
    if (first !== undefined) {
      damagedCopy = `${this.file}.damaged-${this.clock.now()}`;
      await copyFile(this.file, damagedCopy);
      log(
        `ARCHIVE REPAIRED ${this.name}: skipped ${damaged.length} damaged lines of ${this.file} (lines ${damaged.map((line) => line.lineNumber).join(", ")}); kept ${kept.length} events; the damaged file is kept as ${damagedCopy}. The skipped events are in the audit files under the state folder's s3/, but a replay cannot re-deliver them.`,
      );
    }
    for (const line of kept) this.sizeBytes += Buffer.byteLength(line) + 1;
    this.eventCount = kept.length;
    if (expired > 0 || torn !== undefined || first !== undefined) {
      const temporary = `${this.file}.tmp`;
      const handle = await open(temporary, "w");
      try {
        await handle.writeFile(kept.map((l) => `${l}\n`).join(""));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temporary, this.file);
    }
    this.fileBytes = await stat(this.file).then(
      (stats) => stats.size,
      () => 0,
    );
    return {
      droppedTailBytes,
      damagedLines: damaged.map((line) => line.lineNumber),
      ...(damagedCopy === undefined ? {} : { damagedCopy }),
      expired,
    };
  }

  /** Whether the archive keeps this event: its pattern matches and it is not a replay. */
  public selects(event: BusEvent): boolean {
    if (event["replay-name"] !== undefined) return false;
    return this.pattern === undefined || this.pattern.matches(event);
  }

  /**
   * Appends events the archive selects; resolves once they are written to the file. Appends that
   * arrive while a write is running share the next write. A failed write is cut off the file
   * before the next one, so it never leaves a partial line between two events.
   */
  public async append(events: readonly BusEvent[]): Promise<number> {
    const archivedAt = this.clock.now();
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
      this.flushing = this.write(text).then(() => {
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

  /**
   * Events whose `time` lies in [start, end), in archive order. A damaged line raises
   * {@link ArchiveDamagedError}; an unreadable last line is one being written, and is skipped.
   */
  public async *between(start: Date, end: Date): AsyncGenerator<ArchivedEvent> {
    const from = start.getTime();
    const to = end.getTime();
    let previous: NumberedLine | undefined;
    const read = (line: NumberedLine): ArchivedEvent => {
      const archived = parseArchived(line.text);
      if (archived === undefined) throw new ArchiveDamagedError(this.file, line.lineNumber, line.text);
      return archived;
    };
    const inWindow = (archived: ArchivedEvent): boolean => {
      if (this.expired(archived)) return false;
      const time = Date.parse(archived.event.time);
      return time >= from && time < to;
    };
    for await (const line of this.lines()) {
      if (previous !== undefined) {
        const archived = read(previous);
        if (inWindow(archived)) yield archived;
      }
      previous = line;
    }
    const last = previous === undefined ? undefined : parseArchived(previous.text);
    if (last !== undefined && inWindow(last)) yield last;
  }

  /** What DescribeArchive reports. */
  public stats(): { eventCount: number; sizeBytes: number } {
    return { eventCount: this.eventCount, sizeBytes: this.sizeBytes };
  }

  private async write(text: string): Promise<void> {
    if (this.fileBytes === undefined) {
      this.fileBytes = await stat(this.file).then(
        (stats) => stats.size,
        () => 0,
      );
    }
    if (this.dirty) {
      await truncate(this.file, this.fileBytes);
      this.dirty = false;
    }
    this.dirty = true;
    await appendFile(this.file, text);
    this.dirty = false;
    this.fileBytes += Buffer.byteLength(text);
  }

  private expired(archived: ArchivedEvent): boolean {
    return this.retentionDays > 0 && archived.archivedAt < this.clock.now() - this.retentionDays * DAY_MS;
  }

  /** The file's non-blank lines with their numbers (blank lines count, as an editor shows them). */
  private async *lines(): AsyncGenerator<NumberedLine> {
    const exists = await stat(this.file).then(
      () => true,
      () => false,
    );
    if (!exists) return;
    const reader = createInterface({
      input: createReadStream(this.file),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    let lineNumber = 0;
    for await (const text of reader) {
      lineNumber++;
      if (text.trim().length > 0) yield { text, lineNumber };
    }
  }
}
