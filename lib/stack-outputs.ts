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
} as const;

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
