import { type DynamoDbCall, isJsonObject, type WireItem } from "./wire";

/**
 * The key attribute names of each table (partition key first), read with DescribeTable once and
 * remembered: the emulations need them to find the key of a Put's item and to tell whether two
 * transaction actions touch the same item.
 */
export class KeySchemas {
  private readonly known = new Map<string, readonly string[]>();

  constructor(private readonly call: DynamoDbCall) {}

  /**
   * The key attribute names of `tableName`. Rejects with dynalite's `ResourceNotFoundException`
   * when the table does not exist.
   */
  public async keyAttributesOf(tableName: string): Promise<readonly string[]> {
    const cached = this.known.get(tableName);
    if (cached !== undefined) return cached;
    const output = await this.call("DescribeTable", { TableName: tableName });
    const schema =
      isJsonObject(output.Table) && Array.isArray(output.Table.KeySchema) ? output.Table.KeySchema : [];
    const elements = schema.filter(isJsonObject);
    const attributes = ["HASH", "RANGE"].flatMap((keyType) =>
      elements.flatMap((element) =>
        element.KeyType === keyType && typeof element.AttributeName === "string"
          ? [element.AttributeName]
          : [],
      ),
    );
    this.known.set(tableName, attributes);
    return attributes;
  }

  /** Drops what is known of a table, which DeleteTable ends (a new table may have another key). */
  public forget(tableName: string): void {
    this.known.delete(tableName);
  }
}

/** The key of `item`: its key attributes, or undefined when one is missing (DynamoDB refuses such items). */
export function keyOf(item: WireItem, keyAttributes: readonly string[]): WireItem | undefined {
  const key: Record<string, unknown> = {};
  for (const name of keyAttributes) {
    if (item[name] === undefined) return undefined;
    key[name] = item[name];
  }
  return key;
}

/**
 * A string naming one item of one table, for telling whether two actions touch the same item.
 * Numbers are compared as written: `1` and `1.0` are one item to DynamoDB but two here, so such a
 * pair passes validation and is then applied as two writes to one item (and undone in reverse
 * order, so a rollback still restores it).
 */
export function itemIdentity(tableName: string, key: WireItem, keyAttributes: readonly string[]): string {
  return JSON.stringify([tableName, ...keyAttributes.map((name) => key[name])]);
}
