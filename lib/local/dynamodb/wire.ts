import { AwsServiceError } from "../aws-error";

/** A JSON object as the DynamoDB JSON 1.0 protocol carries it (requests, responses, error bodies). */
export type JsonObject = Record<string, unknown>;

/**
 * An item or a key in wire form: attribute name → attribute value (`{ "S": "a" }`, `{ "N": "1" }`,
 * ...). Kept opaque: dynalite validates and interprets attribute values; this layer only moves them.
 */
export type WireItem = Readonly<Record<string, unknown>>;

/**
 * Sends one DynamoDB operation to the store behind the local DynamoDB and resolves with its JSON
 * output, or rejects with the {@link AwsServiceError} DynamoDB would answer.
 */
export type DynamoDbCall = (operation: string, input: Readonly<JsonObject>) => Promise<JsonObject>;

/** Whether a parsed JSON value is an object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** DynamoDB's `ValidationException`, as the service words it. */
export function validationError(message: string): AwsServiceError {
  return new AwsServiceError("ValidationException", message);
}

/** The message DynamoDB gives a required member that is missing: `Value null at '<path>' ...`. */
export function missingMemberError(path: string): AwsServiceError {
  return validationError(
    `1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`,
  );
}

/** The message DynamoDB gives an enum member outside its value set. */
export function enumMemberError(path: string, value: unknown, allowed: readonly string[]): AwsServiceError {
  return validationError(
    `1 validation error detected: Value '${String(value)}' at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`,
  );
}

/** The values `ReturnValuesOnConditionCheckFailure` accepts. */
export const RETURN_VALUES_ON_CONDITION_CHECK_FAILURE = ["ALL_OLD", "NONE"] as const;

/**
 * Checks `ReturnValuesOnConditionCheckFailure` (which dynalite does not know, so it would silently
 * drop a misspelt value) and tells whether the old item is wanted.
 */
export function wantsOldItemOnConditionFailure(value: unknown, path: string): boolean {
  if (value === undefined || value === null) return false;
  if (value !== "ALL_OLD" && value !== "NONE") {
    throw enumMemberError(path, value, RETURN_VALUES_ON_CONDITION_CHECK_FAILURE);
  }
  return value === "ALL_OLD";
}

/** The table a single-table request names, or undefined when it names none (dynalite then refuses it). */
export function tableNameOf(input: Readonly<JsonObject>): string | undefined {
  return typeof input.TableName === "string" ? input.TableName : undefined;
}

/** The tables of a batch request's `RequestItems` map. */
export function requestItemTables(input: Readonly<JsonObject>): string[] {
  return isJsonObject(input.RequestItems) ? Object.keys(input.RequestItems) : [];
}

/**
 * Reads one item with a strongly consistent GetItem, as the transaction and the conditional-write
 * emulations need the state their own writes see.
 */
export async function readItem(
  call: DynamoDbCall,
  tableName: string,
  key: WireItem,
): Promise<WireItem | undefined> {
  const output = await call("GetItem", { TableName: tableName, Key: key, ConsistentRead: true });
  return isJsonObject(output.Item) ? output.Item : undefined;
}
