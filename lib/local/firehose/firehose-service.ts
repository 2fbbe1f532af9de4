import { type AwsJsonService, AwsServiceError } from "../aws-error";
import { type DeliveryStreamSink, FirehoseRecordError } from "./delivery-stream-sink";

/** PutRecordBatch takes at most 500 records. */
const MAX_BATCH_RECORDS = 500;

interface FirehoseRecord {
  readonly Data?: unknown;
}

function decode(record: FirehoseRecord | undefined, where: string): string {
  if (typeof record?.Data !== "string") {
    throw new AwsServiceError(
      "ValidationException",
      `1 validation error detected: Value null at '${where}.data' failed to satisfy constraint: Member must not be null`,
    );
  }
  return Buffer.from(record.Data, "base64").toString("utf8");
}

/**
 * Firehose's Direct PUT API (JSON 1.1) for the template's delivery streams, so producers that write to
 * the stream themselves (and `eventrail dlq redrive audit/target`) work locally: PutRecord,
 * PutRecordBatch (per-record failures reported in place, as Firehose does), ListDeliveryStreams.
 */
export function createFirehoseService(sinks: readonly DeliveryStreamSink[]): AwsJsonService {
  const sinkNamed = (name: unknown): DeliveryStreamSink => {
    const sink = sinks.find((s) => s.stream.name === name);
    if (!sink) {
      throw new AwsServiceError(
        "ResourceNotFoundException",
        `Firehose ${String(name)} under account 000000000000 not found. The template declares: ${sinks.map((s) => s.stream.name).join(", ") || "none"}.`,
      );
    }
    return sink;
  };
  return async (operation, input) => {
    switch (operation) {
      case "ListDeliveryStreams":
        return { DeliveryStreamNames: sinks.map((s) => s.stream.name), HasMoreDeliveryStreams: false };
      case "PutRecord": {
        const sink = sinkNamed(input.DeliveryStreamName);
        try {
          await sink.put(decode(input.Record as FirehoseRecord | undefined, "record"));
        } catch (error) {
          if (error instanceof FirehoseRecordError)
            throw new AwsServiceError("ValidationException", error.message);
          throw error;
        }
        return { RecordId: crypto.randomUUID(), Encrypted: false };
      }
      case "PutRecordBatch": {
        const sink = sinkNamed(input.DeliveryStreamName);
        const records = (input.Records as FirehoseRecord[] | undefined) ?? [];
        if (records.length === 0 || records.length > MAX_BATCH_RECORDS) {
          throw new AwsServiceError(
            "ValidationException",
            `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length between 1 and ${MAX_BATCH_RECORDS}, got ${records.length}`,
          );
        }
        const responses = [];
        for (const [index, record] of records.entries()) {
          try {
            await sink.put(decode(record, `records.${index + 1}.member`));
            responses.push({ RecordId: crypto.randomUUID() });
          } catch (error) {
            if (!(error instanceof FirehoseRecordError || error instanceof AwsServiceError)) throw error;
            responses.push({ ErrorCode: "ServiceUnavailableException", ErrorMessage: error.message });
          }
        }
        return {
          FailedPutCount: responses.filter((r) => "ErrorCode" in r).length,
          Encrypted: false,
          RequestResponses: responses,
        };
      }
      default:
        throw new AwsServiceError(
          "UnknownOperationException",
          `The local Firehose does not implement ${operation}. Supported: PutRecord, PutRecordBatch, ListDeliveryStreams.`,
        );
    }
  };
}
