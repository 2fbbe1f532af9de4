import { type FileHandle, open, readFile, rename } from "node:fs/promises";
import * as path from "node:path";
import { syncDirectory, writeFully } from "../durable-file";
import { LocalDynamoDbStateError } from "./errors";
import type { WireItem } from "./wire";

/** A DynamoDB stream record, as GetRecords returns it. */
export interface StreamRecord {
  readonly eventID: string;
  readonly eventName: "INSERT" | "MODIFY" | "REMOVE";
  readonly eventVersion: "1.1";
  readonly eventSource: "aws:dynamodb";
  readonly awsRegion: string;
  readonly dynamodb: {
    /** Epoch seconds of the commit. */
    readonly ApproximateCreationDateTime: number;
    readonly Keys: WireItem;
    readonly NewImage?: WireItem;
    readonly OldImage?: WireItem;
    /** A decimal string, increasing in commit order across every stream of the local DynamoDB. */
    readonly SequenceNumber: string;
    readonly SizeBytes: number;
    readonly StreamViewType: StreamViewType;
  };
}

/** What a table's stream records of each change. */
export type StreamViewType = "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";

/** An item as it was before a write group: put back (or deleted, when it did not exist) to undo it. */
export interface UndoImage {
  readonly table: string;
  readonly key: WireItem;
  /** Undefined: the item did not exist. */
  readonly item?: WireItem;
}

/** A stream record and the table whose stream it belongs to. */
export interface TableStreamRecord {
  readonly table: string;
  readonly record: StreamRecord;
}

/**
 * One line of the change log:
 * - `begin`: a write group (a transaction, or a write to a table with a stream) is about to be
 *   applied; `undo` holds its items as they were;
 * - `commit`: it was applied; `records` are its stream records, in the order they happened;
 * - `end`: it was not applied, or was undone (a cancelled transaction).
 */
export type ChangeLogLine =
  | { readonly op: "begin"; readonly id: number; readonly undo: readonly UndoImage[] }
  | { readonly op: "commit"; readonly id: number; readonly records: readonly TableStreamRecord[] }
  | { readonly op: "end"; readonly id: number };

/** What the change log held when it was opened. */
export interface ChangeLogContents {
  /** Write groups that began and never committed nor ended: a crash cut them short. */
  readonly unfinished: readonly { readonly id: number; readonly undo: readonly UndoImage[] }[];
  /** Every committed stream record, in commit order. */
  readonly records: readonly TableStreamRecord[];
  /** The largest write-group id used, so new ones do not repeat it. */
  readonly lastId: number;
}

const FORMAT = "eventrail-dynamodb-change-log";
const VERSION = 1;

/**
 * The local DynamoDB's write-ahead log, `<stateDir>/dynamodb/changes.log`, one JSON line per
 * {@link ChangeLogLine}. It gives the local tables what dynalite alone does not:
 * - **all-or-nothing transactions across a crash**: a write group logs its items' old images
 *   before it applies anything, and its `commit` (or `end`) after; a group found unfinished at the
 *   next start is rolled back from those images (see `startLocalDynamoDb`);
 * - **DynamoDB Streams**: a table's stream records are the `records` of the `commit` lines, written
 *   before the write is acknowledged, so a stream never misses a write the table kept, nor shows
 *   one it did not.
 *
 * Appends share one `write` per burst (group commit). They are not fdatasync'd, like dynalite's
 * own LevelDB writes: a killed process loses nothing (the kernel holds the written bytes), a power
 * cut can lose the last writes of the tables and of the log together. In memory (no file) it only
 * numbers the groups.
 */
export class ChangeLog {
  private lastId: number;
  private pending: { text: string; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private writing: Promise<void> | undefined;

  private constructor(
    private readonly file: string | undefined,
    private handle: FileHandle | undefined,
    lastId: number,
  ) {
    this.lastId = lastId;
  }

  /**
   * Opens the log (creating it when missing) and reads what it holds. An unterminated last line is
   * a write cut short by a crash: it was never acknowledged and is dropped.
   *
   * @throws LocalDynamoDbStateError when the file cannot be read, or a complete line is not a record
   */
  public static async open(
    file: string | undefined,
  ): Promise<{ log: ChangeLog; contents: ChangeLogContents }> {
    if (file === undefined) {
      return {
        log: new ChangeLog(undefined, undefined, 0),
        contents: { unfinished: [], records: [], lastId: 0 },
      };
    }
    const contents = await readChangeLog(file);
    return { log: new ChangeLog(file, undefined, contents.lastId), contents };
  }

  /** A new write-group id. */
  public nextId(): number {
    this.lastId += 1;
    return this.lastId;
  }

  /** Appends a line; resolves once it is written (see the class comment for what that survives). */
  public append(line: ChangeLogLine): Promise<void> {
    if (this.file === undefined) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ text: `${JSON.stringify(line)}\n`, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /**
   * Rewrites the log to hold only `records` (a temporary file renamed over it): what a start keeps
   * once unfinished groups are rolled back and old records are trimmed.
   */
  public async rewrite(records: readonly TableStreamRecord[]): Promise<void> {
    if (this.file === undefined) return;
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
    const temporary = `${this.file}.tmp`;
    const handle = await open(temporary, "w");
    try {
      const lines = [JSON.stringify({ format: FORMAT, version: VERSION })];
      // One commit line per original group is not needed: order is what matters, and it is kept.
      for (const record of records) {
        lines.push(JSON.stringify({ op: "commit", id: 0, records: [record] } satisfies ChangeLogLine));
      }
      await writeFully(handle, Buffer.from(`${lines.join("\n")}\n`, "utf8"));
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temporary, this.file);
    await syncDirectory(path.dirname(this.file));
  }

  /** Waits for the appends under way and closes the file. */
  public async close(): Promise<void> {
    await this.writing;
    await this.handle?.close();
    this.handle = undefined;
  }

  private async drain(): Promise<void> {
    try {
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        try {
          this.handle ??= await open(this.file as string, "a");
          await writeFully(this.handle, Buffer.from(batch.map((entry) => entry.text).join(""), "utf8"));
          for (const entry of batch) entry.resolve();
        } catch (error) {
          const failure = new LocalDynamoDbStateError(
            `Cannot write the DynamoDB change log: ${error instanceof Error ? error.message : String(error)}`,
            this.file as string,
            { cause: error },
          );
          for (const entry of batch) entry.reject(failure);
        }
      }
    } finally {
      this.writing = undefined;
    }
  }
}

/** Reads a change log; see {@link ChangeLog.open}. */
async function readChangeLog(file: string): Promise<ChangeLogContents> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return { unfinished: [], records: [], lastId: 0 };
    throw new LocalDynamoDbStateError(`Cannot read the DynamoDB change log: ${String(error)}`, file, {
      cause: error,
    });
  }
  const lines = text.split("\n");
  lines.pop(); // The text after the last newline: empty, or a line a crash cut short.
  const begun = new Map<number, readonly UndoImage[]>();
  const records: TableStreamRecord[] = [];
  let lastId = 0;
  lines.forEach((raw, index) => {
    if (raw === "") return;
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      throw damaged(file, index + 1, "not JSON");
    }
    if (index === 0 && isHeader(line)) {
      if (line.format !== FORMAT || line.version !== VERSION) {
        throw new LocalDynamoDbStateError(
          `The DynamoDB change log is ${String(line.format)} version ${String(line.version)}, not ${FORMAT} version ${VERSION}; move the state directory aside to start afresh`,
          file,
        );
      }
      return;
    }
    const entry = line as Partial<ChangeLogLine>;
    if (typeof entry.id !== "number") throw damaged(file, index + 1, "no write-group id");
    lastId = Math.max(lastId, entry.id);
    switch (entry.op) {
      case "begin":
        begun.set(entry.id, Array.isArray(entry.undo) ? entry.undo : []);
        return;
      case "commit":
        begun.delete(entry.id);
        if (Array.isArray(entry.records)) records.push(...entry.records);
        return;
      case "end":
        begun.delete(entry.id);
        return;
      default:
        throw damaged(file, index + 1, `unknown op ${JSON.stringify(entry.op)}`);
    }
  });
  return { unfinished: [...begun].map(([id, undo]) => ({ id, undo })), records, lastId };
}

function isHeader(line: unknown): line is { format: unknown; version: unknown } {
  return typeof line === "object" && line !== null && "format" in line;
}

function damaged(file: string, lineNumber: number, problem: string): LocalDynamoDbStateError {
  return new LocalDynamoDbStateError(
    `The DynamoDB change log is damaged at line ${lineNumber} (${problem}): it was not written by a crash, which only cuts the last line short. Move the state directory aside to start afresh, or delete the damaged line to keep the rest`,
    file,
  );
}
