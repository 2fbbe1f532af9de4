import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { requireEnv } from "./env";
import { tracer } from "./powertools";

/** A consumer's own DynamoDB table (partition key `pk`, sort key `sk`, both strings). */
export interface StateTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * The state table named by `STATE_TABLE_NAME`, with a traced document client. Call it at module
 * scope: the variable is read at once (a missing one fails the cold start) and the client is reused
 * by every invocation of the execution environment.
 */
export function stateTableFromEnvironment(): StateTable {
  return {
    tableName: requireEnv("STATE_TABLE_NAME"),
    client: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({}))),
  };
}
