import { AwsServiceError } from "../aws-error";
import { itemIdentity, type KeySchemas, keyOf } from "./key-schemas";
import type { TableLocks } from "./table-locks";
import type { WriteRecorder } from "./table-streams";
import {
  type DynamoDbCall,
  isJsonObject,
  type JsonObject,
  missingMemberError,
  readItem,
  validationError,
  type WireItem,
  wantsOldItemOnConditionFailure,
} from "./wire";

/** DynamoDB's limit on the actions of one TransactWriteItems (and TransactGetItems) request. */
export const MAX_TRANSACTION_ACTIONS = 100;

/** The message of DynamoDB's ConditionalCheckFailed, in exceptions and cancellation reasons alike. */
export const CONDITIONAL_REQUEST_FAILED = "The conditional request failed";

/** Why one action of a cancelled transaction failed, as `CancellationReasons` carries it. */
export interface CancellationReason {
  /** `None` for an action that did not fail, else `ConditionalCheckFailed` or `ValidationError`. */
  readonly Code: string;
  readonly Message?: string;
  /** The item as it was, for a failed condition whose action asked for `ALL_OLD`. */
  readonly Item?: WireItem;
}

/** What a transaction needs: the store, the table locks and the tables' key schemas. */
export interface TransactionContext {
  readonly call: DynamoDbCall;
  readonly locks: TableLocks;
  readonly keySchemas: KeySchemas;
  /** Receives a line when a cancelled transaction could not be undone. */
  readonly log?: (line: string) => void;
  /**
   * Logs the transaction's items before it applies anything, and its stream records when it
   * commits: a crash in between is rolled back at the next start. @default - none
   */
  readonly recorder?: WriteRecorder;
}

const ACTION_KINDS = ["Put", "Update", "Delete", "ConditionCheck"] as const;
type ActionKind = (typeof ACTION_KINDS)[number];

const CONDITION_MEMBERS = ["ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues"];

/**
 * The members of each action kind: those DynamoDB requires, and those its single-item write takes
 * (anything else is not a member of that kind and is not passed on).
 */
const ACTION_MEMBERS: Readonly<
  Record<ActionKind, { readonly required: readonly string[]; readonly passed: readonly string[] }>
> = {
  Put: { required: ["TableName", "Item"], passed: ["TableName", "Item", ...CONDITION_MEMBERS] },
  Update: {
    required: ["TableName", "Key", "UpdateExpression"],
    passed: ["TableName", "Key", "UpdateExpression", ...CONDITION_MEMBERS],
  },
  Delete: { required: ["TableName", "Key"], passed: ["TableName", "Key", ...CONDITION_MEMBERS] },
  ConditionCheck: {
    required: ["TableName", "Key", "ConditionExpression"],
    passed: ["TableName", "Key", ...CONDITION_MEMBERS],
  },
};

/** The single-item operation each kind is applied with. */
const WRITE_OPERATIONS = { Put: "PutItem", Update: "UpdateItem", Delete: "DeleteItem" } as const;

/** One validated action, ready to apply. */
interface PlannedAction {
  readonly kind: ActionKind;
  readonly tableName: string;
  readonly key: WireItem;
  /** The action's members that its single-item write takes. */
  readonly members: JsonObject;
  readonly returnsOldItemOnConditionFailure: boolean;
}

/** An applied write and the image that undoes it. */
interface AppliedWrite {
  readonly tableName: string;
  readonly key: WireItem;
  /** The item before the write; undefined when there was none. */
  readonly oldItem: WireItem | undefined;
}

/**
 * TransactWriteItems, which dynalite lacks, emulated all-or-nothing. The request is validated as
 * DynamoDB does (1 to 100 actions, one kind per action, required members, existing tables, no two
 * actions on one item); then, holding every item it names exclusively (see {@link TableLocks}), each
 * action is applied in order as a conditional single-item write that returns the old image, and a
 * ConditionCheck as a write that cannot change the item. Every action is tried, so that each one's
 * cancellation reason is known, as DynamoDB reports them; if any failed, the applied writes are
 * undone in reverse order (the old item put back, or the new one deleted) and the answer is
 * `TransactionCanceledException` with one reason per action.
 *
 * `ClientRequestToken` is ignored: a retried request runs again instead of being answered from
 * DynamoDB's 10-minute idempotency window. `ReturnConsumedCapacity` and
 * `ReturnItemCollectionMetrics` are ignored too: the answer is always `{}`.
 */
export async function transactWriteItems(
  input: Readonly<JsonObject>,
  context: TransactionContext,
): Promise<JsonObject> {
  const actions = await planActions(input, context.keySchemas);
  return context.locks.withExclusiveItems(
    actions.map((action) => ({ tableName: action.tableName, key: action.key })),
    async () => {
      const writes = actions.filter((action) => action.kind !== "ConditionCheck");
      const group = await context.recorder?.begin(
        writes.map((action) => ({ tableName: action.tableName, key: action.key })),
      );
      const applied: AppliedWrite[] = [];
      const reasons: CancellationReason[] = [];
      try {
        for (const action of actions) reasons.push(await applyAction(action, context.call, applied));
      } catch (error) {
        // An undo that fails leaves the group open: the next start rolls it back from the log.
        await undo(applied, context);
        await group?.end();
        throw error;
      }
      if (reasons.some((reason) => reason.Code !== "None")) {
        await undo(applied, context);
        await group?.end();
        throw transactionCanceled(reasons);
      }
      await group?.commit();
      return {};
    },
  );
}

/** Validates the request in DynamoDB's order and finds the item each action touches. */
async function planActions(input: Readonly<JsonObject>, keySchemas: KeySchemas): Promise<PlannedAction[]> {
  const parsed = transactItemsOf(input).map(parseAction);
  const keyAttributes = new Map<string, readonly string[]>();
  for (const tableName of new Set(parsed.map((action) => action.tableName))) {
    keyAttributes.set(tableName, await keySchemas.keyAttributesOf(tableName));
  }
  const seen = new Set<string>();
  return parsed.map(({ keySource, ...action }) => {
    const attributes = keyAttributes.get(action.tableName) ?? [];
    const key = action.kind === "Put" ? putKey(keySource, attributes) : keySource;
    const identity = itemIdentity(action.tableName, key, attributes);
    if (seen.has(identity)) {
      throw validationError("Transaction request cannot include multiple operations on one item");
    }
    seen.add(identity);
    return { ...action, key };
  });
}

/** `TransactItems`, checked for presence, type and length. */
export function transactItemsOf(input: Readonly<JsonObject>): unknown[] {
  const items = input.TransactItems;
  if (items === undefined || items === null) throw missingMemberError("transactItems");
  if (!Array.isArray(items)) {
    throw validationError(`TransactItems must be a list of actions; got ${typeof items}.`);
  }
  if (items.length < 1) {
    throw validationError(
      "1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  }
  if (items.length > MAX_TRANSACTION_ACTIONS) {
    throw validationError(
      `1 validation error detected: Value '[${items.length} actions]' at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TRANSACTION_ACTIONS}`,
    );
  }
  return items;
}

/**
 * Checks one `TransactItems` entry. `keySource` is where its key is: a Put's item (whose key
 * attributes are known only once its table is described), or the action's `Key`.
 */
function parseAction(entry: unknown, index: number): Omit<PlannedAction, "key"> & { keySource: WireItem } {
  const present = isJsonObject(entry) ? ACTION_KINDS.filter((kind) => entry[kind] != null) : [];
  if (present.length > 1) {
    throw validationError("TransactItems can only contain one of Check, Put, Update or Delete");
  }
  const [kind] = present;
  const action = kind === undefined || !isJsonObject(entry) ? undefined : entry[kind];
  if (kind === undefined || !isJsonObject(action)) {
    throw validationError(
      "Invalid Request: TransactWriteRequest should contain Delete or Put or Update request",
    );
  }
  const path = `transactItems.${index + 1}.member.${kind === "ConditionCheck" ? "conditionCheck" : kind.toLowerCase()}`;
  const returnsOldItemOnConditionFailure = wantsOldItemOnConditionFailure(
    action.ReturnValuesOnConditionCheckFailure,
    `${path}.returnValuesOnConditionCheckFailure`,
  );
  const { required, passed } = ACTION_MEMBERS[kind];
  for (const member of required) {
    if (action[member] === undefined || action[member] === null) {
      throw missingMemberError(`${path}.${member.charAt(0).toLowerCase()}${member.slice(1)}`);
    }
  }
  const keySource = kind === "Put" ? action.Item : action.Key;
  if (!isJsonObject(keySource)) {
    throw validationError(
      `TransactItems[${index}].${kind}.${kind === "Put" ? "Item" : "Key"} must be a map of attribute name to attribute value; got ${JSON.stringify(keySource)}.`,
    );
  }
  if (typeof action.TableName !== "string") {
    throw validationError(
      `TransactItems[${index}].${kind}.TableName must be a string; got ${JSON.stringify(action.TableName)}.`,
    );
  }
  const members: JsonObject = {};
  for (const member of passed) {
    if (action[member] !== undefined && action[member] !== null) members[member] = action[member];
  }
  return { kind, tableName: action.TableName, keySource, members, returnsOldItemOnConditionFailure };
}

/** The key of a Put's item, refused as DynamoDB refuses a PutItem whose item lacks a key attribute. */
function putKey(item: WireItem, keyAttributes: readonly string[]): WireItem {
  const key = keyOf(item, keyAttributes);
  if (key === undefined) {
    const missing = keyAttributes.find((name) => item[name] === undefined);
    throw validationError(
      `One or more parameter values were invalid: Missing the key ${missing} in the item`,
    );
  }
  return key;
}

/**
 * Applies one action and tells its cancellation reason. A failed condition or a value dynalite
 * refuses is a reason, not an error: the transaction goes on so that every reason is known.
 */
async function applyAction(
  action: PlannedAction,
  call: DynamoDbCall,
  applied: AppliedWrite[],
): Promise<CancellationReason> {
  try {
    if (action.kind === "ConditionCheck") {
      await checkCondition(action, call);
    } else {
      const output = await call(WRITE_OPERATIONS[action.kind], {
        ...action.members,
        ReturnValues: "ALL_OLD",
      });
      applied.push({
        tableName: action.tableName,
        key: action.key,
        oldItem: isJsonObject(output.Attributes) ? output.Attributes : undefined,
      });
    }
    return { Code: "None" };
  } catch (error) {
    if (!(error instanceof AwsServiceError)) throw error;
    if (error.code === "ConditionalCheckFailedException") {
      // Nothing has written this item since the condition failed: the tables are held exclusively.
      const item = action.returnsOldItemOnConditionFailure
        ? await readItem(call, action.tableName, action.key)
        : undefined;
      return {
        Code: "ConditionalCheckFailed",
        Message: CONDITIONAL_REQUEST_FAILED,
        ...(item && { Item: item }),
      };
    }
    if (error.code === "ValidationException") return { Code: "ValidationError", Message: error.message };
    throw error;
  }
}

/**
 * Evaluates a ConditionCheck with dynalite's own condition evaluator without changing the item:
 * an existing item is put back unchanged under the condition, and a missing one is "deleted" under
 * it, which deletes nothing.
 */
async function checkCondition(action: PlannedAction, call: DynamoDbCall): Promise<void> {
  const { Key: key, ...condition } = action.members;
  const existing = await readItem(call, action.tableName, action.key);
  if (existing === undefined) await call("DeleteItem", { ...condition, Key: key });
  else await call("PutItem", { ...condition, Item: existing });
}

/**
 * Undoes applied writes, latest first. A write that cannot be undone leaves its item half-written:
 * that is logged and answered as an internal failure, never as a clean cancellation.
 */
async function undo(applied: readonly AppliedWrite[], context: TransactionContext): Promise<void> {
  const failures: string[] = [];
  for (const write of [...applied].reverse()) {
    try {
      if (write.oldItem === undefined) {
        await context.call("DeleteItem", { TableName: write.tableName, Key: write.key });
      } else {
        await context.call("PutItem", { TableName: write.tableName, Item: write.oldItem });
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      failures.push(`${write.tableName} ${JSON.stringify(write.key)}: ${message}`);
    }
  }
  if (failures.length > 0) {
    const message = `TransactWriteItems was cancelled but ${failures.length} of its writes could not be undone, so these items may hold partial writes (restart the local pipeline with a fresh state directory if they matter): ${failures.join("; ")}`;
    context.log?.(`dynamodb: ${message}`);
    throw new AwsServiceError("InternalFailure", message, 500);
  }
}

/** DynamoDB's answer to a cancelled transaction: the codes in the message, the reasons in the body. */
export function transactionCanceled(reasons: readonly CancellationReason[]): AwsServiceError {
  return new AwsServiceError(
    "TransactionCanceledException",
    `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((reason) => reason.Code).join(", ")}]`,
    400,
    undefined,
    { CancellationReasons: reasons },
  );
}
