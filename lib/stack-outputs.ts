/**
 * Names of the pipeline stack's CloudFormation outputs. The stack writes them and the CLI reads
 * them, so on-call engineers type subscription names, never ARNs.
 */
export const stackOutputs = {
  eventBusName: "EventBusName",
  eventBusArn: "EventBusArn",
  archiveName: "ArchiveName",
  archiveArn: "ArchiveArn",
  schemaRegistryName: "SchemaRegistryName",
  idempotencyTableName: "IdempotencyTableName",
  auditBucketName: "AuditBucketName",
  auditEventsPrefix: "AuditEventsPrefix",
  auditDeadLetterQueueUrl: "AuditDeadLetterQueueUrl",
  athenaWorkGroup: "AthenaWorkGroup",
  athenaDatabase: "AthenaDatabase",
  alarmTopicArn: "AlarmTopicArn",
  /** One JSON document describing every subscription's resources (see {@link SubscriptionOutput}). */
  subscriptions: "Subscriptions",
  /** One JSON document describing the transactional outbox (see {@link OutboxOutput}). */
  outbox: "Outbox",
  /** The example checkout producer's function. */
  checkoutFunctionName: "CheckoutFunctionName",
} as const;

/** What the `Outbox` output says of the transactional outbox: its table, stream, pipe and DLQ. */
export interface OutboxOutput {
  readonly tableName: string;
  readonly streamArn: string;
  readonly pipeName: string;
  readonly pipeArn: string;
  /** Where the pipe puts the position of a batch that kept failing. */
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
}

/** What the `Subscriptions` output says of each subscription. */
export interface SubscriptionOutput {
  readonly name: string;
  readonly ruleName: string;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
  readonly targetDeadLetterQueueUrl: string;
  readonly targetDeadLetterQueueArn: string;
  readonly functionName: string;
  readonly stateTableName?: string;
}
