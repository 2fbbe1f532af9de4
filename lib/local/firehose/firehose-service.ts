import { AWS_LIMITS } from "../../aws-limits";
import { type AwsJsonService, AwsServiceError } from "../aws-error";
import { CORAL_REQUEST_ERRORS, jsonService, RequestInput } from "../request-input";
import { escapeForLog } from "../untrusted-text";
import { type DeliveryStreamSink, FirehoseRecordError } from "./delivery-stream-sink";

/** A record's `Data`: base64 on the wire, the record's bytes as text here. */
function decode(record: RequestInput): string {
  return Buffer.from(record.string("Data"), "base64").toString("utf8");
}

/**
 * Firehose's Direct PUT API (JSON 1.1) for the template's delivery streams, so producers that write to
 * the stream themselves (and `eventrail dlq redrive audit/target`) work locally: PutRecord,
 * PutRecordBatch (per-record failures reported in place, as Firehose does), ListDeliveryStreams.
 */
export function createFirehoseService(sinks: readonly DeliveryStreamSink[]): AwsJsonService {
  const sinkFor = (input: RequestInput): DeliveryStreamSink => {
    const name = input.string("DeliveryStreamName");
    const sink = sinks.find((s) => s.stream.name === name);
    if (!sink) {
      throw new AwsServiceError(
        "ResourceNotFoundException",
        `Firehose ${escapeForLog(name)} under account 000000000000 not found. The template declares: ${sinks.map((s) => s.stream.name).join(", ") || "none"}.`,
      );
    }
    return sink;
  };
  const range = AWS_LIMITS.firehosePutRecordBatchRecords;
  return jsonService(
    {
      ListDeliveryStreams: () => ({
        DeliveryStreamNames: sinks.map((s) => s.stream.name),
        HasMoreDeliveryStreams: false,
      }),
      PutRecord: async (input) => {
        const sink = sinkFor(input);
        const record = input.optionalStructure("Record");
        if (record === undefined) throw CORAL_REQUEST_ERRORS.missing("Record");
        try {
          await sink.put(decode(record));
        } catch (error) {
          if (error instanceof FirehoseRecordError)
            throw new AwsServiceError("ValidationException", error.message);
          throw error;
        }
        return { RecordId: crypto.randomUUID(), Encrypted: false };
      },
      PutRecordBatch: async (input) => {
        const sink = sinkFor(input);
        const records = input.raw("Records") ?? [];
        if (!Array.isArray(records))
          throw CORAL_REQUEST_ERRORS.invalid("Records", records, "a list of records");
        if (records.length < range.min || records.length > range.max) {
          throw new AwsServiceError(
            "ValidationException",
            `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length between ${range.min} and ${range.max}, got ${records.length}`,
          );
        }
        const responses = [];
        for (const [index, record] of records.entries()) {
          try {
            if (typeof record !== "object" || record === null || Array.isArray(record)) {
              throw CORAL_REQUEST_ERRORS.invalid(`Records.${index}`, record, "a record (a JSON object)");
            }
            await sink.put(decode(new RequestInput(record, CORAL_REQUEST_ERRORS, `Records.${index}.`)));
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
      },
    },
    {
      errors: CORAL_REQUEST_ERRORS,
      unsupported: (operation, supported) =>
        new AwsServiceError(
          "UnknownOperationException",
          `The local Firehose does not implement ${escapeForLog(operation)}. Supported: ${supported.join(", ")}.`,
        ),
    },
  );
}
