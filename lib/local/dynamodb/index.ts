export { DYNAMODB_TARGET_PREFIX } from "./dynalite-client";
export { createDynamoDbService, type DynamoDbServiceProps } from "./dynamodb-service";
export { LocalDynamoDbStateError, LocalDynamoDbTableError } from "./errors";
export { type LocalDynamoDb, type LocalDynamoDbOptions, startLocalDynamoDb } from "./local-dynamodb";
export type { CancellationReason } from "./transact-write-items";
