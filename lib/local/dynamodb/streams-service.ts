import { createHash } from "node:crypto";
import { AWS_DEFAULTS, AWS_LIMITS } from "../../aws-limits";
import { type AwsJsonService, AwsServiceError } from "../aws-error";
import type { Clock } from "../clock";
import { sequenceNumberText, type TableStream, type TableStreams } from "./table-streams";
import { enumMemberError, isJsonObject, type JsonObject, missingMemberError, validationError } from "./wire";

/** The `X-Amz-Target` prefix of DynamoDB Streams (JSON 1.0). */
export const DYNAMODB_STREAMS_TARGET_PREFIX = "DynamoDBStreams_20120810";

const SHARD_ITERATOR_TYPES = [
  "TRIM_HORIZON",
  "LATEST",
  "AT_SEQUENCE_NUMBER",
  "AFTER_SEQUENCE_NUMBER",
] as const;

/** What a shard iterator encodes: the stream, and the position after which it reads. */
interface IteratorState {
  readonly arn: string;
  /** Records with a larger position are returned. */
  readonly after: number;
  /** Epoch milliseconds it was issued. */
  readonly issuedAt: number;
}

/**
 * The one shard of a local stream. DynamoDB splits a busy stream into many shards, each in order;
 * one shard holding every record in commit order is what a reader of the many shards would
 * reconstruct, so a local stream is one shard that never closes.
 */
export function shardIdOf(stream: TableStream): string {
  const suffix = createHash("sha256").update(stream.definition.streamArn).digest("hex").slice(0, 8);
  return `shardId-${String(stream.createdAtSeconds * 1000).padStart(20, "0")}-${suffix}`;
}

/**
 * DynamoDB Streams behind the edge: ListStreams, DescribeStream, GetShardIterator and GetRecords
 * over the local tables' streams (see {@link TableStreams}), with DynamoDB Streams' validation and
 * errors: an unknown stream or shard is `ResourceNotFoundException`, an iterator older than
 * 15 minutes `ExpiredIteratorException`, a position older than the 24-hour retention
 * `TrimmedDataAccessException`.
 */
export function createDynamoDbStreamsService(streams: TableStreams, clock: Clock): AwsJsonService {
  const streamOf = (input: Readonly<JsonObject>): TableStream => {
    const arn = input.StreamArn;
    if (arn === undefined || arn === null) throw missingMemberError("streamArn");
    const stream = typeof arn === "string" ? streams.byArn(arn) : undefined;
    if (stream === undefined) {
      throw new AwsServiceError(
        "ResourceNotFoundException",
        `Requested resource not found: Stream: ${String(arn)} not found`,
      );
    }
    return stream;
  };
  const lastPosition = (stream: TableStream): number =>
    stream.records.at(-1)?.position ?? stream.trimmedThrough;
  const encode = (state: IteratorState): string =>
    `${state.arn}|${Buffer.from(JSON.stringify(state)).toString("base64url")}`;
  const decode = (text: unknown): IteratorState => {
    if (text === undefined || text === null) throw missingMemberError("shardIterator");
    const encoded = typeof text === "string" ? text.slice(text.lastIndexOf("|") + 1) : "";
    try {
      const state = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8")) as IteratorState;
      if (
        typeof state.arn === "string" &&
        typeof state.after === "number" &&
        typeof state.issuedAt === "number"
      ) {
        return state;
      }
    } catch {
      // Not an iterator this service issued: answered below.
    }
    throw validationError("Invalid ShardIterator: it was not returned by GetShardIterator or GetRecords");
  };

  const operations: Record<string, (input: Readonly<JsonObject>) => JsonObject> = {
    ListStreams(input) {
      const tableName = typeof input.TableName === "string" ? input.TableName : undefined;
      const limit = typeof input.Limit === "number" ? input.Limit : 100;
      if (!Number.isInteger(limit) || limit < 1 || limit > 100) {
        throw validationError(
          `1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value between 1 and 100`,
        );
      }
      let listed = streams
        .all()
        .filter((stream) => tableName === undefined || stream.definition.tableName === tableName);
      if (typeof input.ExclusiveStartStreamArn === "string") {
        const start = listed.findIndex((s) => s.definition.streamArn === input.ExclusiveStartStreamArn);
        listed = listed.slice(start + 1);
      }
      const page = listed.slice(0, limit);
      return {
        Streams: page.map((stream) => ({
          StreamArn: stream.definition.streamArn,
          TableName: stream.definition.tableName,
          StreamLabel: stream.definition.streamLabel,
        })),
        ...(listed.length > limit ? { LastEvaluatedStreamArn: page.at(-1)?.definition.streamArn } : {}),
      };
    },
    DescribeStream(input) {
      const stream = streamOf(input);
      const shardId = shardIdOf(stream);
      const showShard = input.ExclusiveStartShardId !== shardId;
      return {
        StreamDescription: {
          StreamArn: stream.definition.streamArn,
          StreamLabel: stream.definition.streamLabel,
          StreamStatus: "ENABLED",
          StreamViewType: stream.definition.viewType,
          CreationRequestDateTime: stream.createdAtSeconds,
          TableName: stream.definition.tableName,
          KeySchema: stream.definition.keySchema,
          Shards: showShard
            ? [
                {
                  ShardId: shardId,
                  SequenceNumberRange: {
                    StartingSequenceNumber: sequenceNumberText(
                      stream.records[0]?.position ?? stream.trimmedThrough + 1,
                    ),
                  },
                },
              ]
            : [],
        },
      };
    },
    GetShardIterator(input) {
      const stream = streamOf(input);
      if (input.ShardId === undefined || input.ShardId === null) throw missingMemberError("shardId");
      if (input.ShardId !== shardIdOf(stream)) {
        throw new AwsServiceError(
          "ResourceNotFoundException",
          `Requested resource not found: Shard does not exist: ${String(input.ShardId)}; DescribeStream lists the stream's shard`,
        );
      }
      const type = input.ShardIteratorType;
      if (type === undefined || type === null) throw missingMemberError("shardIteratorType");
      if (!SHARD_ITERATOR_TYPES.includes(type as (typeof SHARD_ITERATOR_TYPES)[number])) {
        throw enumMemberError("shardIteratorType", type, SHARD_ITERATOR_TYPES);
      }
      let after: number;
      if (type === "TRIM_HORIZON") after = stream.trimmedThrough;
      else if (type === "LATEST") after = lastPosition(stream);
      else {
        const text = input.SequenceNumber;
        if (typeof text !== "string" || !/^\d{1,40}$/.test(text)) {
          throw validationError(
            `${String(type)} needs SequenceNumber, a sequence number of a record of this shard`,
          );
        }
        const position = Number(text);
        if (position <= stream.trimmedThrough) {
          throw new AwsServiceError(
            "TrimmedDataAccessException",
            `Sequence number ${text} is older than the stream's retention (${AWS_DEFAULTS.dynamoDbStream.retentionHours} hours); start from TRIM_HORIZON`,
          );
        }
        after = type === "AT_SEQUENCE_NUMBER" ? position - 1 : position;
      }
      return { ShardIterator: encode({ arn: stream.definition.streamArn, after, issuedAt: clock.now() }) };
    },
    GetRecords(input) {
      const state = decode(input.ShardIterator);
      const limit =
        input.Limit === undefined || input.Limit === null
          ? AWS_LIMITS.dynamoDbStreamGetRecords.max
          : input.Limit;
      if (
        typeof limit !== "number" ||
        !Number.isInteger(limit) ||
        limit < 1 ||
        limit > AWS_LIMITS.dynamoDbStreamGetRecords.max
      ) {
        throw validationError(
          `1 validation error detected: Value '${String(limit)}' at 'limit' failed to satisfy constraint: Member must have value between 1 and ${AWS_LIMITS.dynamoDbStreamGetRecords.max}`,
        );
      }
      if (clock.now() - state.issuedAt > AWS_DEFAULTS.dynamoDbStream.shardIteratorMinutes * 60_000) {
        throw new AwsServiceError(
          "ExpiredIteratorException",
          `Iterator expired: shard iterators are valid ${AWS_DEFAULTS.dynamoDbStream.shardIteratorMinutes} minutes; call GetShardIterator again`,
        );
      }
      const stream = streams.byArn(state.arn);
      if (stream === undefined) {
        throw new AwsServiceError(
          "ResourceNotFoundException",
          `Requested resource not found: Stream: ${state.arn} not found`,
        );
      }
      if (state.after < stream.trimmedThrough) {
        throw new AwsServiceError(
          "TrimmedDataAccessException",
          `The iterator points to records older than the stream's retention (${AWS_DEFAULTS.dynamoDbStream.retentionHours} hours); start from TRIM_HORIZON`,
        );
      }
      const records = readAfter(stream, state.after, limit);
      const after = records.at(-1)?.position ?? state.after;
      return {
        Records: records.map(({ record }) => record),
        NextShardIterator: encode({ arn: state.arn, after, issuedAt: clock.now() }),
      };
    },
  };

  return async (operation, input) => {
    const handler = operations[operation];
    if (handler === undefined) {
      throw new AwsServiceError(
        "UnknownOperationException",
        `The local DynamoDB Streams does not implement ${operation}; it serves ${Object.keys(operations).join(", ")}`,
      );
    }
    if (!isJsonObject(input)) throw validationError("The request body must be a JSON object");
    return handler(input);
  };
}

/** Up to `limit` records of `stream` after position `after`. */
export function readAfter(stream: TableStream, after: number, limit: number): TableStream["records"] {
  const first = firstIndexAfter(stream, after);
  return stream.records.slice(first, first + limit);
}

/** How many records of `stream` come after position `after` (a pipe's backlog). */
export function countAfter(stream: TableStream, after: number): number {
  return stream.records.length - firstIndexAfter(stream, after);
}

/** The index of the first record after position `after`, by binary search (positions increase). */
function firstIndexAfter(stream: TableStream, after: number): number {
  const { records } = stream;
  let low = 0;
  let high = records.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((records[middle]?.position ?? 0) <= after) low = middle + 1;
    else high = middle;
  }
  return low;
}
