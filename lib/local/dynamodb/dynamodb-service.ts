import { type AwsJsonService, AwsServiceError } from "../aws-error";
import { type KeySchemas, keyOf } from "./key-schemas";
import type { LockedItem, TableLocks } from "./table-locks";
import type { TableStreams, WriteRecorder } from "./table-streams";
import { describeTimeToLive, type TimeToLiveSettings, updateTimeToLive } from "./time-to-live";
import { transactGetItems } from "./transact-get-items";
import { transactWriteItems } from "./transact-write-items";
import {
  type DynamoDbCall,
  isJsonObject,
  type JsonObject,
  readItem,
  requestItemTables,
  tableNameOf,
  type WireItem,
  wantsOldItemOnConditionFailure,
} from "./wire";

/** What the local DynamoDB service is made of. */
export interface DynamoDbServiceProps {
  /** The store every operation ends in (dynalite). */
  readonly call: DynamoDbCall;
  readonly locks: TableLocks;
  readonly keySchemas: KeySchemas;
  readonly timeToLive: TimeToLiveSettings;
  /** Receives a line when something goes wrong that the caller cannot see. */
  readonly log?: (line: string) => void;
  /**
   * Logs transactions and the writes to tables with a stream in the change log (undo images first,
   * stream records on commit). @default - none: no streams, and transactions are atomic only while
   * the process lives
   */
  readonly recorder?: WriteRecorder;
  /** The tables' streams, which DescribeTable reports. @default - none */
  readonly streams?: TableStreams;
}

/** Single-item writes, which may ask for the old item when their condition fails. */
const CONDITIONAL_WRITES = new Set(["PutItem", "UpdateItem", "DeleteItem"]);
/** Reads of many items of one table. */
const TABLE_READS = new Set(["Query", "Scan"]);

/**
 * The DynamoDB JSON 1.0 service behind the edge (`X-Amz-Target: DynamoDB_20120810.<Operation>`).
 * Every operation goes to dynalite, with these additions:
 * - TransactWriteItems and TransactGetItems, which dynalite lacks, are emulated (see
 *   {@link transactWriteItems}, {@link transactGetItems});
 * - UpdateTimeToLive and DescribeTimeToLive keep a setting per table (dynalite has no TTL);
 * - `ReturnValuesOnConditionCheckFailure: ALL_OLD` on PutItem, UpdateItem and DeleteItem, which
 *   dynalite ignores, adds the existing item to `ConditionalCheckFailedException` as `Item`;
 * - reads and writes take the locks of the items they touch (Query, Scan and batches: of their
 *   tables), so that they never interleave with a transaction on the same items.
 */
export function createDynamoDbService(props: DynamoDbServiceProps): AwsJsonService {
  const { call, locks, keySchemas, timeToLive } = props;
  const oneTable = (input: Readonly<JsonObject>): string[] => {
    const tableName = tableNameOf(input);
    return tableName === undefined ? [] : [tableName];
  };

  /** The one item a single-item request touches; undefined when its input does not say (dynalite refuses it). */
  const oneItem = async (operation: string, input: Readonly<JsonObject>): Promise<LockedItem | undefined> => {
    const tableName = tableNameOf(input);
    if (tableName === undefined) return undefined;
    const key = await keyOfWrite(operation, input, tableName, keySchemas).catch(() => undefined);
    return key === undefined ? undefined : { tableName, key };
  };

  return async (operation, input) => {
    if (CONDITIONAL_WRITES.has(operation)) {
      const write = () => conditionalWrite(operation, input, call, keySchemas);
      const item = await oneItem(operation, input);
      if (item === undefined) return locks.withExclusive(oneTable(input), write);
      const { recorder } = props;
      if (recorder === undefined || !recorder.hasStream(item.tableName)) {
        return locks.withExclusiveItems([item], write);
      }
      return locks.withExclusiveItems([item], () => recorded(recorder, [item], write));
    }
    if (operation === "GetItem") {
      const item = await oneItem(operation, input);
      const read = () => call(operation, input);
      return item === undefined
        ? locks.withShared(oneTable(input), read)
        : locks.withSharedItems([item], read);
    }
    if (TABLE_READS.has(operation)) return locks.withShared(oneTable(input), () => call(operation, input));
    switch (operation) {
      case "BatchWriteItem": {
        const tables = requestItemTables(input);
        const { recorder } = props;
        if (recorder === undefined || !tables.some((table) => recorder.hasStream(table))) {
          return locks.withExclusive(tables, () => call(operation, input));
        }
        const items = await batchWriteItems(input, keySchemas).catch(() => undefined);
        if (items === undefined) return locks.withExclusive(tables, () => call(operation, input));
        return locks.withExclusive(tables, () => recorded(recorder, items, () => call(operation, input)));
      }
      case "DescribeTable":
        return withStream(await call(operation, input), props.streams);
      case "BatchGetItem":
        return locks.withShared(requestItemTables(input), () => call(operation, input));
      case "TransactWriteItems":
        return transactWriteItems(input, props);
      case "TransactGetItems":
        return transactGetItems(input, props);
      case "UpdateTimeToLive":
        return updateTimeToLive(input, { call, settings: timeToLive });
      case "DescribeTimeToLive":
        return describeTimeToLive(input, { call, settings: timeToLive });
      case "DeleteTable": {
        const output = await call(operation, input);
        const tableName = tableNameOf(input);
        if (tableName !== undefined) {
          // A table created again under this name starts without TTL, and may have another key.
          keySchemas.forget(tableName);
          await timeToLive.disable(tableName);
        }
        return output;
      }
      default:
        return call(operation, input);
    }
  };
}

/** Runs `write` as one recorded write group: its items' images logged first, its stream records after. */
async function recorded<T>(
  recorder: WriteRecorder,
  items: readonly LockedItem[],
  write: () => Promise<T>,
): Promise<T> {
  const group = await recorder.begin(items);
  let output: T;
  try {
    output = await write();
  } catch (error) {
    await group.end();
    throw error;
  }
  await group.commit();
  return output;
}

/** The items a BatchWriteItem writes; rejects when its request is malformed (dynalite then refuses it). */
async function batchWriteItems(input: Readonly<JsonObject>, keySchemas: KeySchemas): Promise<LockedItem[]> {
  const items: LockedItem[] = [];
  const requests = isJsonObject(input.RequestItems) ? input.RequestItems : {};
  for (const [tableName, writes] of Object.entries(requests)) {
    if (!Array.isArray(writes)) throw new Error("not a list");
    const attributes = await keySchemas.keyAttributesOf(tableName);
    for (const write of writes) {
      const put = isJsonObject(write) && isJsonObject(write.PutRequest) ? write.PutRequest.Item : undefined;
      const del =
        isJsonObject(write) && isJsonObject(write.DeleteRequest) ? write.DeleteRequest.Key : undefined;
      const key = isJsonObject(put) ? keyOf(put, attributes) : isJsonObject(del) ? del : undefined;
      if (key === undefined) throw new Error("no key");
      items.push({ tableName, key });
    }
  }
  return items;
}

/** DescribeTable's answer with the table's stream, as DynamoDB reports an enabled one. */
function withStream(output: JsonObject, streams: TableStreams | undefined): JsonObject {
  const table = isJsonObject(output.Table) ? output.Table : undefined;
  const stream = typeof table?.TableName === "string" ? streams?.ofTable(table.TableName) : undefined;
  if (table === undefined || stream === undefined) return output;
  return {
    ...output,
    Table: {
      ...table,
      StreamSpecification: { StreamEnabled: true, StreamViewType: stream.definition.viewType },
      LatestStreamLabel: stream.definition.streamLabel,
      LatestStreamArn: stream.definition.streamArn,
    },
  };
}

/**
 * PutItem, UpdateItem or DeleteItem, run under the item's exclusive lock so that, when its
 * condition fails, the item read for `ALL_OLD` is the one the condition was evaluated against.
 */
async function conditionalWrite(
  operation: string,
  input: Readonly<JsonObject>,
  call: DynamoDbCall,
  keySchemas: KeySchemas,
): Promise<JsonObject> {
  const wantsOldItem = wantsOldItemOnConditionFailure(
    input.ReturnValuesOnConditionCheckFailure,
    "returnValuesOnConditionCheckFailure",
  );
  try {
    return await call(operation, input);
  } catch (error) {
    const tableName = tableNameOf(input);
    if (
      !wantsOldItem ||
      tableName === undefined ||
      !(error instanceof AwsServiceError) ||
      error.code !== "ConditionalCheckFailedException"
    ) {
      throw error;
    }
    const key = await keyOfWrite(operation, input, tableName, keySchemas);
    const item = key === undefined ? undefined : await readItem(call, tableName, key);
    if (item === undefined) throw error;
    throw new AwsServiceError(error.code, error.message, error.statusCode, undefined, {
      ...error.details,
      Item: item,
    });
  }
}

/** The key of the item a single-item write touches: its `Key`, or for PutItem the key of its `Item`. */
async function keyOfWrite(
  operation: string,
  input: Readonly<JsonObject>,
  tableName: string,
  keySchemas: KeySchemas,
): Promise<WireItem | undefined> {
  if (operation !== "PutItem") return isJsonObject(input.Key) ? input.Key : undefined;
  return isJsonObject(input.Item)
    ? keyOf(input.Item, await keySchemas.keyAttributesOf(tableName))
    : undefined;
}
