import { Logger } from "@aws-lambda-powertools/logger";
import { eventOfOutboxImage, type OutboxEvent, OutboxRecordError } from "../../lib/producer/outbox-item";

const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "outbox-relay" });

/** A DynamoDB stream record as a pipe hands it to its enrichment. */
interface StreamRecord {
  readonly eventID?: string;
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly Keys?: Record<string, unknown>;
    readonly NewImage?: Record<string, unknown>;
  };
}

/**
 * The outbox pipe's enrichment: turns each new outbox item of the batch (a DynamoDB stream record,
 * in DynamoDB's typed JSON) back into the event it holds, in the batch's order, for the pipe's
 * event-bus target (source, detail-type and time from `$.source`, `$.detailType`, `$.time`, the
 * detail from `<$.detail>`).
 *
 * It exists because a pipe's input transformer cannot turn a string attribute holding JSON, nor a
 * Map or List attribute, into a JSON detail. A record that is not an outbox item throws: the pipe
 * retries the batch, bisects it down to that record and puts its position in the pipe's DLQ, so
 * the other events go on and nothing vanishes.
 */
export async function handler(records: readonly StreamRecord[]): Promise<OutboxEvent[]> {
  if (!Array.isArray(records)) {
    throw new OutboxRecordError(
      "The outbox relay expects the pipe's batch: a list of DynamoDB stream records",
    );
  }
  return records.map((record) => {
    try {
      return eventOfOutboxImage(record.dynamodb?.NewImage);
    } catch (error) {
      logger.error("Not an outbox item; the batch fails and this record ends in the pipe's DLQ", {
        eventID: record.eventID,
        keys: record.dynamodb?.Keys,
        error,
      });
      throw error;
    }
  });
}
