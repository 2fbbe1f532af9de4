export { type Clock, ManualClock, systemClock, type Timer } from "../clock";
export { SqsConfigurationError, type SqsErrorCode, SqsJournalError, sqsError } from "./errors";
export type { JournalStats } from "./journal";
export {
  type AwsJsonErrorOptions,
  type SerializedAwsJsonError,
  serializeAwsJsonError,
} from "./json-protocol-error";
export {
  type MessageAttributeMap,
  type MessageAttributeValue,
  md5OfMessageAttributes,
  md5OfMessageBody,
} from "./md5";
export { MAX_MESSAGE_SIZE_BYTES } from "./message";
export type { MessageMoveTasks, MoveTaskInfo, MoveTaskStatus, StartMoveTaskInput } from "./move-tasks";
export type {
  LocalQueue,
  MessageSystemAttributes,
  QueueCounts,
  QueueDefinition,
  QueueSettings,
  ReceivedMessage,
  ReceiveMessageOptions,
  RedrivePolicy,
  SendMessageInput,
  SendMessageResult,
  Unsubscribe,
} from "./queue";
export {
  localQueueArn,
  localQueueUrl,
  QueueStore,
  type QueueStoreOptions,
  type RecoveryReport,
} from "./queue-store";
export { createSqsService, type SqsServiceOptions } from "./sqs-service";
