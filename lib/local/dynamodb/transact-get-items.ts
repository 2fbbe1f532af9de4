import type { LockedItem, TableLocks } from "./table-locks";
import { transactItemsOf } from "./transact-write-items";
import {
  type DynamoDbCall,
  isJsonObject,
  type JsonObject,
  missingMemberError,
  validationError,
} from "./wire";

/** The members of a `Get` action that GetItem takes. */
const GET_MEMBERS = ["TableName", "Key", "ProjectionExpression", "ExpressionAttributeNames"] as const;

/**
 * TransactGetItems, which dynalite lacks: one strongly consistent GetItem per action, in order,
 * while no write runs on the tables named (so the items are read as of one moment, as DynamoDB
 * promises). Answers `{ Responses: [{ Item }, {}, ...] }`, one entry per action, `{}` for an item
 * that does not exist. `ReturnConsumedCapacity` is ignored.
 */
export async function transactGetItems(
  input: Readonly<JsonObject>,
  context: { readonly call: DynamoDbCall; readonly locks: TableLocks },
): Promise<JsonObject> {
  const gets = transactItemsOf(input).map((entry, index) => {
    const get = isJsonObject(entry) ? entry.Get : undefined;
    if (!isJsonObject(get)) throw missingMemberError(`transactItems.${index + 1}.member.get`);
    for (const member of ["TableName", "Key"] as const) {
      if (get[member] === undefined || get[member] === null) {
        throw missingMemberError(
          `transactItems.${index + 1}.member.get.${member.charAt(0).toLowerCase()}${member.slice(1)}`,
        );
      }
    }
    if (typeof get.TableName !== "string") {
      throw validationError(
        `TransactItems[${index}].Get.TableName must be a string; got ${JSON.stringify(get.TableName)}.`,
      );
    }
    const request: JsonObject = { ConsistentRead: true };
    for (const member of GET_MEMBERS) if (get[member] !== undefined) request[member] = get[member];
    return { tableName: get.TableName, request };
  });
  const read = async (): Promise<JsonObject> => {
    const responses: JsonObject[] = [];
    for (const get of gets) {
      const output = await context.call("GetItem", get.request);
      responses.push(isJsonObject(output.Item) ? { Item: output.Item } : {});
    }
    return { Responses: responses };
  };
  const items: LockedItem[] = [];
  for (const get of gets) {
    if (isJsonObject(get.request.Key)) items.push({ tableName: get.tableName, key: get.request.Key });
  }
  // A Get without a usable Key is refused by the store; until then its whole table is held.
  return items.length === gets.length
    ? context.locks.withSharedItems(items, read)
    : context.locks.withShared(
        gets.map((get) => get.tableName),
        read,
      );
}
