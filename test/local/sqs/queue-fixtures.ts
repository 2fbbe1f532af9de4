import { ManualClock } from "../../../lib/local/clock";
import type { LocalQueue, QueueDefinition } from "../../../lib/local/sqs/queue";
import {
  localQueueArn,
  localQueueUrl,
  QueueStore,
  type QueueStoreOptions,
} from "../../../lib/local/sqs/queue-store";

/** The identity every SQS test uses. */
export const ACCOUNT_ID = "000000000000";
export const REGION = "us-east-1";
export const ENDPOINT = "http://127.0.0.1:4010";

/** A standard queue definition named `name`, with SQS defaults unless overridden. */
export function queueDefinition(name: string, overrides: Partial<QueueDefinition> = {}): QueueDefinition {
  return {
    name,
    arn: localQueueArn(REGION, ACCOUNT_ID, name),
    url: localQueueUrl(ENDPOINT, ACCOUNT_ID, name),
    ...overrides,
  };
}

/** `orders` with a redrive policy to `orders-dlq` after `maxReceiveCount` receives, and the DLQ. */
export function queueWithDeadLetterQueue(
  maxReceiveCount: number,
  overrides: Partial<QueueDefinition> = {},
): QueueDefinition[] {
  return [
    queueDefinition("orders", {
      redrive: { deadLetterTargetArn: localQueueArn(REGION, ACCOUNT_ID, "orders-dlq"), maxReceiveCount },
      ...overrides,
    }),
    queueDefinition("orders-dlq", { messageRetentionSeconds: 1_209_600 }),
  ];
}

/** An in-memory store on a manual clock, so durations pass only when a test advances it. */
export async function openManualStore(
  queues: readonly QueueDefinition[],
  options: Partial<QueueStoreOptions> = {},
): Promise<{ store: QueueStore; clock: ManualClock }> {
  const clock = new ManualClock();
  const store = await QueueStore.open({ queues, clock, ...options });
  return { store, clock };
}

/** The store's queue named `name`; fails the test when it is missing. */
export function queueNamed(store: QueueStore, name: string): LocalQueue {
  const queue = store.queue(name);
  if (queue === undefined) throw new Error(`test setup: the store has no queue ${name}`);
  return queue;
}
