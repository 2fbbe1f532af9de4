import { randomUUID } from "node:crypto";
import { AWS_DEFAULTS } from "../../aws-limits";
import type { Clock } from "../clock";
import type { ChangeLog, StreamRecord, StreamViewType, TableStreamRecord, UndoImage } from "./change-log";
import { itemIdentity } from "./key-schemas";
import type { LockedItem } from "./table-locks";
import { type DynamoDbCall, readItem, type WireItem } from "./wire";

/** A table's stream, as the template declares it. */
export interface TableStreamDefinition {
  readonly tableName: string;
  readonly streamArn: string;
  readonly streamLabel: string;
  readonly viewType: StreamViewType;
  readonly keySchema: readonly { readonly AttributeName: string; readonly KeyType: "HASH" | "RANGE" }[];
}

/** A stream record and its position, for readers. */
export interface PositionedRecord {
  /** The record's sequence number as a number, for comparisons. */
  readonly position: number;
  readonly record: StreamRecord;
}

/** One stream: its definition and its records, oldest first. */
export interface TableStream {
  readonly definition: TableStreamDefinition;
  /** Epoch seconds the stream's records start from (its creation, for DescribeStream). */
  readonly createdAtSeconds: number;
  readonly records: PositionedRecord[];
  /** The position of the newest record trimmed by retention; 0 when none was. TRIM_HORIZON reads after it. */
  trimmedThrough: number;
}

/** Digits of a sequence number, as DynamoDB writes them (zero-padded, so they also sort as text). */
const SEQUENCE_DIGITS = 21;

/** A sequence number's text. */
export function sequenceNumberText(position: number): string {
  return String(position).padStart(SEQUENCE_DIGITS, "0");
}

/**
 * The streams of the local tables that declare one: their records in commit order, kept
 * {@link AWS_DEFAULTS.dynamoDbStream.retentionHours} hours as DynamoDB keeps them, and the readers
 * waiting for new ones. Records come from committed write groups only (see {@link WriteRecorder}).
 */
export class TableStreams {
  private readonly byTable = new Map<string, TableStream>();
  private readonly listeners = new Set<() => void>();
  private lastPosition = 0;

  public constructor(
    definitions: readonly TableStreamDefinition[],
    private readonly clock: Clock,
    private readonly region: string,
  ) {
    const createdAtSeconds = Math.floor(clock.now() / 1000);
    for (const definition of definitions) {
      this.byTable.set(definition.tableName, {
        definition,
        createdAtSeconds,
        records: [],
        trimmedThrough: 0,
      });
    }
  }

  /** Whether `tableName` has a stream. */
  public has(tableName: string): boolean {
    return this.byTable.has(tableName);
  }

  /** Every stream. */
  public all(): readonly TableStream[] {
    return [...this.byTable.values()];
  }

  /** The stream of this ARN, or undefined. */
  public byArn(streamArn: string): TableStream | undefined {
    return this.all().find((stream) => stream.definition.streamArn === streamArn);
  }

  /** The stream of a table, or undefined. */
  public ofTable(tableName: string): TableStream | undefined {
    return this.byTable.get(tableName);
  }

  /** Restores records read back from the change log (a restart), dropping those past retention. */
  public restore(records: readonly TableStreamRecord[]): TableStreamRecord[] {
    const kept: TableStreamRecord[] = [];
    for (const entry of records) {
      const position = Number(entry.record.dynamodb.SequenceNumber);
      this.lastPosition = Math.max(this.lastPosition, position);
      const stream = this.byTable.get(entry.table);
      if (stream === undefined) continue;
      if (this.expired(entry.record)) {
        stream.trimmedThrough = Math.max(stream.trimmedThrough, position);
        continue;
      }
      stream.records.push({ position, record: entry.record });
      kept.push(entry);
    }
    return kept;
  }

  /** Builds the records of a committed write group, numbered in commit order (not yet added). */
  public recordsOf(changes: readonly ItemChange[]): TableStreamRecord[] {
    const nowSeconds = Math.floor(this.clock.now() / 1000);
    const records: TableStreamRecord[] = [];
    for (const change of changes) {
      const stream = this.byTable.get(change.table);
      const eventName = eventNameOf(change.oldItem, change.newItem);
      if (stream === undefined || eventName === undefined) continue;
      this.lastPosition += 1;
      const viewType = stream.definition.viewType;
      const images = {
        ...((viewType === "NEW_IMAGE" || viewType === "NEW_AND_OLD_IMAGES") && change.newItem
          ? { NewImage: change.newItem }
          : {}),
        ...((viewType === "OLD_IMAGE" || viewType === "NEW_AND_OLD_IMAGES") && change.oldItem
          ? { OldImage: change.oldItem }
          : {}),
      };
      records.push({
        table: change.table,
        record: {
          eventID: randomUUID().replaceAll("-", ""),
          eventName,
          eventVersion: "1.1",
          eventSource: "aws:dynamodb",
          awsRegion: this.region,
          dynamodb: {
            ApproximateCreationDateTime: nowSeconds,
            Keys: change.key,
            ...images,
            SequenceNumber: sequenceNumberText(this.lastPosition),
            SizeBytes: Buffer.byteLength(JSON.stringify([change.key, images]), "utf8"),
            StreamViewType: viewType,
          },
        },
      });
    }
    return records;
  }

  /** Adds committed records and wakes the readers. */
  public add(records: readonly TableStreamRecord[]): void {
    if (records.length === 0) return;
    for (const { table, record } of records) {
      const stream = this.byTable.get(table);
      if (stream === undefined) continue;
      stream.records.push({ position: Number(record.dynamodb.SequenceNumber), record });
      this.trim(stream);
    }
    for (const listener of [...this.listeners]) listener();
  }

  /** Calls `listener` after records are added; returns the unsubscribe function. */
  public onRecords(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private trim(stream: TableStream): void {
    let drop = 0;
    while (drop < stream.records.length && this.expired((stream.records[drop] as PositionedRecord).record))
      drop++;
    if (drop === 0) return;
    stream.trimmedThrough = (stream.records[drop - 1] as PositionedRecord).position;
    stream.records.splice(0, drop);
  }

  private expired(record: StreamRecord): boolean {
    const ageSeconds = this.clock.now() / 1000 - record.dynamodb.ApproximateCreationDateTime;
    return ageSeconds > AWS_DEFAULTS.dynamoDbStream.retentionHours * 3600;
  }
}

/** One item's change in a committed write group. */
export interface ItemChange {
  readonly table: string;
  readonly key: WireItem;
  readonly oldItem?: WireItem;
  readonly newItem?: WireItem;
}

/** The stream event of a change, or undefined when the item did not change (DynamoDB writes no record). */
function eventNameOf(
  oldItem: WireItem | undefined,
  newItem: WireItem | undefined,
): StreamRecord["eventName"] | undefined {
  if (oldItem === undefined) return newItem === undefined ? undefined : "INSERT";
  if (newItem === undefined) return "REMOVE";
  return sameItem(oldItem, newItem) ? undefined : "MODIFY";
}

/** Whether two items hold the same attributes and values (attribute order aside). */
function sameItem(a: WireItem, b: WireItem): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

/**
 * Records write groups in the change log: {@link WriteRecorder.begin} logs the items' old images
 * before anything is applied, and the returned group's `commit` logs the stream records of what
 * changed (and adds them to the streams) or its `end` closes a group that applied nothing. The
 * caller holds the items' exclusive locks from `begin` to `commit`/`end`, so the images are the
 * ones its writes start from and records of one item follow its writes' order.
 */
export class WriteRecorder {
  public constructor(
    private readonly call: DynamoDbCall,
    private readonly log: ChangeLog,
    private readonly streams: TableStreams,
  ) {}

  /** Whether writes to `tableName` make stream records. */
  public hasStream(tableName: string): boolean {
    return this.streams.has(tableName);
  }

  /** Logs a write group's items as they are now; see the class comment. */
  public async begin(items: readonly LockedItem[]): Promise<WriteGroup> {
    const id = this.log.nextId();
    const images = await this.readItems(items);
    const undo: UndoImage[] = items.map((item, index) => {
      const existing = images[index];
      return { table: item.tableName, key: item.key, ...(existing === undefined ? {} : { item: existing }) };
    });
    await this.log.append({ op: "begin", id, undo });
    let finished = false;
    const finish = (): void => {
      if (finished) throw new Error(`write group ${id} was already committed or ended`);
      finished = true;
    };
    return {
      commit: async () => {
        finish();
        const changes: ItemChange[] = [];
        for (const before of undo) {
          const after = this.streams.has(before.table)
            ? await readItem(this.call, before.table, before.key)
            : undefined;
          changes.push({
            table: before.table,
            key: before.key,
            ...(before.item === undefined ? {} : { oldItem: before.item }),
            ...(after === undefined ? {} : { newItem: after }),
          });
        }
        const records = this.streams.recordsOf(changes);
        await this.log.append({ op: "commit", id, records });
        this.streams.add(records);
      },
      end: async () => {
        finish();
        await this.log.append({ op: "end", id });
      },
    };
  }

  /**
   * The items as they are now, in the order asked: one strongly consistent BatchGetItem for a group
   * of items (a transaction's, at most 100, none twice), one GetItem for a single write.
   */
  private async readItems(items: readonly LockedItem[]): Promise<(WireItem | undefined)[]> {
    if (items.length === 1) {
      const [item] = items as [LockedItem];
      return [await readItem(this.call, item.tableName, item.key)];
    }
    const requestItems: Record<string, { Keys: WireItem[]; ConsistentRead: true }> = {};
    for (const item of items) {
      requestItems[item.tableName] ??= { Keys: [], ConsistentRead: true };
      requestItems[item.tableName]?.Keys.push(item.key);
    }
    // Each table's key attributes, as the group's keys name them: a key and its item then match.
    const keyNames = new Map(items.map((item) => [item.tableName, Object.keys(item.key).sort()]));
    const identityOf = (tableName: string, value: WireItem): string =>
      itemIdentity(tableName, value, keyNames.get(tableName) ?? []);
    const wanted = new Set(items.map((item) => identityOf(item.tableName, item.key)));
    const found = new Map<string, WireItem>();
    let unmatched = 0;
    let pending: Readonly<Record<string, unknown>> = requestItems;
    while (Object.keys(pending).length > 0) {
      const output = await this.call("BatchGetItem", { RequestItems: pending });
      const responses = (output.Responses ?? {}) as Record<string, WireItem[]>;
      for (const [tableName, tableItems] of Object.entries(responses)) {
        for (const item of tableItems) {
          const identity = identityOf(tableName, item);
          if (wanted.has(identity)) found.set(identity, item);
          else unmatched++;
        }
      }
      pending = (output.UnprocessedKeys ?? {}) as Record<string, unknown>;
    }
    return Promise.all(
      items.map(async (item) => {
        const image = found.get(identityOf(item.tableName, item.key));
        // An item the store wrote its key differently for (a number as `1.0` and `1`) is read alone:
        // an undo image must never say "missing" for an item that exists.
        if (image === undefined && unmatched > 0) return readItem(this.call, item.tableName, item.key);
        return image;
      }),
    );
  }

  /**
   * Rolls back write groups a crash left unfinished: each item is put back as it was before the
   * group (or deleted, when it did not exist), latest group first.
   */
  public async rollBack(unfinished: readonly { readonly undo: readonly UndoImage[] }[]): Promise<number> {
    let items = 0;
    for (const group of [...unfinished].reverse()) {
      for (const image of [...group.undo].reverse()) {
        if (image.item === undefined)
          await this.call("DeleteItem", { TableName: image.table, Key: image.key });
        else await this.call("PutItem", { TableName: image.table, Item: image.item });
        items++;
      }
    }
    return items;
  }
}

/** A write group between {@link WriteRecorder.begin} and its `commit` or `end`. */
export interface WriteGroup {
  /** The group's writes are applied: log (and publish) their stream records. */
  commit(): Promise<void>;
  /** The group applied nothing, or was undone. */
  end(): Promise<void>;
}
