import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DeleteItemCommandInput,
  type DynamoDBClient,
  GetItemCommand,
  type GetItemCommandInput,
  PutItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from "@aws-sdk/client-dynamodb";
import type { AwsClientStub } from "aws-sdk-client-mock";

type Item = Record<string, AttributeValue>;

function keyOf(key: Item | undefined): string {
  const id = key?.id?.S;
  if (id === undefined)
    throw new Error(`idempotency fake: expected a string key "id", got ${JSON.stringify(key)}`);
  return id;
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  return value?.N === undefined ? undefined : Number(value.N);
}

/**
 * The idempotency table (partition key `id`) behind a mocked DynamoDBClient, keeping items in a map
 * and honouring the conditional put Powertools' DynamoDBPersistenceLayer relies on: a put succeeds
 * when the key is new, expired, or an in-progress record whose lock expired; otherwise it fails with
 * ConditionalCheckFailedException carrying the old item (ReturnValuesOnConditionCheckFailure ALL_OLD).
 * So a duplicate delivery really finds the first delivery's record.
 */
export class FakeIdempotencyTable {
  /** The stored items by `id`. */
  public readonly items = new Map<string, Item>();

  public constructor(client: AwsClientStub<DynamoDBClient>) {
    client.on(PutItemCommand).callsFake(async (input: PutItemCommandInput) => this.put(input));
    client.on(GetItemCommand).callsFake(async (input: GetItemCommandInput) => {
      const item = this.items.get(keyOf(input.Key));
      return item === undefined ? {} : { Item: item };
    });
    client.on(UpdateItemCommand).callsFake(async (input: UpdateItemCommandInput) => this.update(input));
    client.on(DeleteItemCommand).callsFake(async (input: DeleteItemCommandInput) => {
      this.items.delete(keyOf(input.Key));
      return {};
    });
  }

  /** The `status` of every stored record, by key. */
  public statuses(): Record<string, string | undefined> {
    return Object.fromEntries([...this.items].map(([id, item]) => [id, item.status?.S]));
  }

  private put(input: PutItemCommandInput): object {
    const item = input.Item ?? {};
    const id = keyOf(item);
    const existing = this.items.get(id);
    const values = input.ExpressionAttributeValues ?? {};
    const now = numberOf(values[":now"]) ?? Date.now() / 1000;
    const nowMillis = numberOf(values[":now_in_millis"]) ?? Date.now();
    const replaceable =
      existing === undefined ||
      (numberOf(existing.expiration) ?? 0) < now ||
      (existing.status?.S === "INPROGRESS" && (numberOf(existing.in_progress_expiration) ?? 0) < nowMillis);
    if (!replaceable) {
      throw new ConditionalCheckFailedException({
        message: "The conditional request failed",
        $metadata: {},
        Item: existing,
      });
    }
    this.items.set(id, item);
    return {};
  }

  private update(input: UpdateItemCommandInput): object {
    const id = keyOf(input.Key);
    const assignments = (input.UpdateExpression ?? "").replace(/^SET\s+/, "").split(",");
    const item: Item = { ...(this.items.get(id) ?? { id: { S: id } }) };
    for (const assignment of assignments) {
      const [name, value] = assignment.split("=").map((part) => part.trim());
      const attribute = name === undefined ? undefined : input.ExpressionAttributeNames?.[name];
      const attributeValue = value === undefined ? undefined : input.ExpressionAttributeValues?.[value];
      if (attribute === undefined || attributeValue === undefined) {
        throw new Error(`idempotency fake: cannot apply "${assignment}"`);
      }
      item[attribute] = attributeValue;
    }
    this.items.set(id, item);
    return {};
  }
}
