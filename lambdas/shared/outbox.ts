import { OutboxWriter } from "../../lib/producer/outbox-writer";
import { requireEnv } from "./env";

/**
 * The outbox writer of follow-up events, for the table named by `OUTBOX_TABLE_NAME`, signed as
 * `EVENTRAIL_PRODUCER`. The variables are read now (call this at module scope, so that a
 * misconfigured function fails its cold start). The writer only builds the items: the handler
 * commits them in its own transaction, beside the state change they announce.
 */
export function outboxWriterFromEnvironment(): () => OutboxWriter {
  const tableName = requireEnv("OUTBOX_TABLE_NAME");
  const producer = requireEnv("EVENTRAIL_PRODUCER");
  return () => new OutboxWriter({ tableName, producer });
}
