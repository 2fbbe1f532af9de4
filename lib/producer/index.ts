export * from "./backoff";
export * from "./batching-publisher";
export * from "./entry-size";
export * from "./envelope";
export * from "./errors";
export * from "./eventbridge-publisher";
export * from "./follow-up";
export * from "./in-memory-publisher";
export * from "./outbox-item";
// OutboxWriter is imported from "./outbox-writer" directly: it loads the DynamoDB client, which the
// publisher and the CLI do not need.
export type { IndexedEvent, RunHooks } from "./publish-run";
export { PublishRun } from "./publish-run";
export * from "./types";
