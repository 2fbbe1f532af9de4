import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from "@aws-sdk/lib-dynamodb";
import type { AwsClientStub } from "aws-sdk-client-mock";
import type { EventMetadata } from "../../../lib/catalog";

/** The outbox table the consumer tests name in `OUTBOX_TABLE_NAME`. */
export const OUTBOX_TABLE = "outbox";

/** An event a consumer wrote to the outbox, read back from its transaction. */
export interface OutboxEvent {
  readonly source: string;
  readonly detailType: string;
  readonly metadata: EventMetadata;
  readonly data: Record<string, unknown>;
}

/**
 * The outbox events of every transaction sent through the mocked client that committed (whose
 * send resolved), in call order: what the outbox's pipe would put on the bus. An event in a
 * cancelled transaction was never written.
 */
export async function committedOutboxEvents(
  client: AwsClientStub<DynamoDBDocumentClient>,
): Promise<OutboxEvent[]> {
  const events: OutboxEvent[] = [];
  for (const call of client.commandCalls(TransactWriteCommand)) {
    const [outcome] = await Promise.allSettled([call.returnValue]);
    if (outcome?.status !== "fulfilled") continue;
    events.push(...outboxEventsIn(call.args[0].input));
  }
  return events;
}

/** The outbox events a transaction writes. */
export function outboxEventsIn(input: TransactWriteCommandInput): OutboxEvent[] {
  return (input.TransactItems ?? []).flatMap((action) => {
    const item = action.Put?.TableName === OUTBOX_TABLE ? action.Put.Item : undefined;
    if (item === undefined) return [];
    const detail = JSON.parse(String(item.detail)) as {
      metadata: EventMetadata;
      data: Record<string, unknown>;
    };
    return [{ source: String(item.source), detailType: String(item.detailType), ...detail }];
  });
}
