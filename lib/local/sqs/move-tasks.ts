import { randomUUID } from "node:crypto";
import type { Clock, Timer } from "../clock";
import { sqsError } from "./errors";
import type { StoredMessage } from "./message";
import type { LocalQueue } from "./queue";

/** The states of a message move task, as ListMessageMoveTasks reports them. */
export type MoveTaskStatus = "RUNNING" | "COMPLETED" | "CANCELLING" | "CANCELLED" | "FAILED";

/** A request to move messages out of a dead-letter queue (StartMessageMoveTask). */
export interface StartMoveTaskInput {
  /** The ARN of the dead-letter queue to empty. */
  readonly sourceArn: string;
  /** Where every message goes. @default - each message back to its DeadLetterQueueSourceArn */
  readonly destinationArn?: string;
  /** 1–500 messages per second (of queue time, so time-scaled). @default - as fast as possible */
  readonly maxNumberOfMessagesPerSecond?: number;
}

/** One task, in the shape of a ListMessageMoveTasks result entry. */
export interface MoveTaskInfo {
  /** Only set while the task is RUNNING, as in SQS. */
  readonly taskHandle?: string;
  readonly status: MoveTaskStatus;
  readonly sourceArn: string;
  readonly destinationArn?: string;
  readonly maxNumberOfMessagesPerSecond?: number;
  readonly approximateNumberOfMessagesMoved: number;
  readonly approximateNumberOfMessagesToMove: number;
  readonly failureReason?: string;
  /** Epoch milliseconds. */
  readonly startedTimestamp: number;
}

/** What the task runner needs from the store. */
export interface MoveTaskEnvironment {
  readonly clock: Clock;
  readonly timeScale: number;
  queueByArn(arn: string): LocalQueue | undefined;
  /** The queues whose redrive policy targets `deadLetterQueueArn`. */
  sourcesOf(deadLetterQueueArn: string): readonly LocalQueue[];
}

interface MoveTask {
  readonly taskId: string;
  readonly taskHandle: string;
  readonly source: LocalQueue;
  readonly destination?: LocalQueue;
  readonly rate?: number;
  readonly startedAt: number;
  readonly toMove: number;
  moved: number;
  status: MoveTaskStatus;
  failureReason?: string;
  timer?: Timer;
}

// Without a rate, a step moves this many messages, then yields to other work before the next step.
const UNPACED_STEP = 1_000;
// A task whose remaining messages are all in flight or delayed checks again after this long.
const IDLE_RECHECK_SECONDS = 1;

/**
 * Message move tasks (StartMessageMoveTask, ListMessageMoveTasks, CancelMessageMoveTask): redrive
 * a dead-letter queue to the queues its messages came from, or to one destination. Moved messages
 * start afresh (receive count 0, new enqueue time) so they get their full `maxReceiveCount` again.
 * Each move is journaled; the tasks themselves live in memory and end with the process.
 */
export class MessageMoveTasks {
  private readonly tasks: MoveTask[] = [];

  /** @internal Created by `QueueStore.open`. */
  constructor(private readonly env: MoveTaskEnvironment) {}

  /**
   * Starts a task and returns its handle: base64 of `{"taskId","sourceArn"}`, the format SQS uses.
   * Throws `ResourceNotFoundException` for an unknown queue and `InvalidParameterValue` for a source
   * that is no queue's DLQ, a bad rate, or a source that already has a running task.
   */
  start(input: StartMoveTaskInput): string {
    const source = this.requireQueue(input.sourceArn, "SourceArn");
    if (this.env.sourcesOf(source.arn).length === 0) {
      throw sqsError(
        "InvalidParameterValue",
        `Source queue ${input.sourceArn} must be configured as a dead-letter queue: no queue's redrive policy ` +
          "targets it. StartMessageMoveTask only moves messages out of dead-letter queues.",
      );
    }
    const destination =
      input.destinationArn === undefined
        ? undefined
        : this.requireQueue(input.destinationArn, "DestinationArn");
    if (destination === source) {
      throw sqsError(
        "InvalidParameterValue",
        `DestinationArn ${input.destinationArn} is the source queue itself; name another queue or omit it to ` +
          "move messages back to their source queues.",
      );
    }
    const rate = input.maxNumberOfMessagesPerSecond;
    if (rate !== undefined && (!Number.isInteger(rate) || rate < 1 || rate > 500)) {
      throw sqsError(
        "InvalidParameterValue",
        `Value ${rate} for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: must be an integer between 1 and 500.`,
      );
    }
    if (this.tasks.some((task) => task.source === source && task.status === "RUNNING")) {
      throw sqsError(
        "InvalidParameterValue",
        `A message move task is already running for ${source.arn}; only one may run per source queue. ` +
          "Wait for it to finish or cancel it (CancelMessageMoveTask).",
      );
    }
    const counts = source.counts();
    const taskId = randomUUID();
    const task: MoveTask = {
      taskId,
      taskHandle: Buffer.from(JSON.stringify({ taskId, sourceArn: source.arn }), "utf8").toString("base64"),
      source,
      destination,
      rate,
      startedAt: this.env.clock.now(),
      toMove: counts.visible + counts.inFlight + counts.delayed,
      moved: 0,
      status: "RUNNING",
    };
    this.tasks.push(task);
    this.schedule(task, 0);
    return task.taskHandle;
  }

  /**
   * The most recent tasks of a source queue, newest first (ListMessageMoveTasks).
   * @param maxResults 1–10. @default 1
   */
  list(sourceArn: string, maxResults = 1): MoveTaskInfo[] {
    const source = this.requireQueue(sourceArn, "SourceArn");
    if (!Number.isInteger(maxResults) || maxResults < 1 || maxResults > 10) {
      throw sqsError(
        "InvalidParameterValue",
        `Value ${maxResults} for parameter MaxResults is invalid. Reason: must be an integer between 1 and 10.`,
      );
    }
    return this.tasks
      .filter((task) => task.source === source)
      .reverse()
      .slice(0, maxResults)
      .map((task) => ({
        ...(task.status === "RUNNING" && { taskHandle: task.taskHandle }),
        status: task.status,
        sourceArn: task.source.arn,
        destinationArn: task.destination?.arn,
        maxNumberOfMessagesPerSecond: task.rate,
        approximateNumberOfMessagesMoved: task.moved,
        approximateNumberOfMessagesToMove: task.toMove,
        failureReason: task.failureReason,
        startedTimestamp: task.startedAt,
      }));
  }

  /**
   * Cancels a running task; messages already moved stay moved. Returns the number moved.
   * Throws `ResourceNotFoundException` for a handle that names no running task.
   */
  cancel(taskHandle: string): number {
    const task = this.tasks.find((t) => t.taskHandle === taskHandle && t.status === "RUNNING");
    if (task === undefined) {
      throw sqsError(
        "ResourceNotFoundException",
        `TaskHandle ${taskHandle} names no running message move task. ListMessageMoveTasks shows the running ` +
          "tasks of a source queue with their handles.",
      );
    }
    task.timer?.cancel();
    task.status = "CANCELLED";
    return task.moved;
  }

  /** Stops every running task's timer (store shutdown); their moves so far are durable. */
  stopAll(): void {
    for (const task of this.tasks) task.timer?.cancel();
  }

  private requireQueue(arn: string, parameter: string): LocalQueue {
    const queue = this.env.queueByArn(arn);
    if (queue === undefined) {
      throw sqsError(
        "ResourceNotFoundException",
        `The resource that you specified for the ${parameter} parameter doesn't exist: ${arn}. ` +
          "Use the ARN of one of this endpoint's queues (GetQueueAttributes returns QueueArn).",
      );
    }
    return queue;
  }

  private schedule(task: MoveTask, delayMs: number): void {
    task.timer = this.env.clock.setTimer(() => void this.step(task), delayMs);
  }

  private async step(task: MoveTask): Promise<void> {
    task.timer = undefined;
    if (task.status !== "RUNNING") return;
    const budget = Math.min(task.rate ?? UNPACED_STEP, task.toMove - task.moved);
    let result: { moved: number; failure?: string };
    try {
      result = await task.source.moveMessages(budget, (message) => this.destinationOf(task, message));
    } catch (error) {
      result = { moved: 0, failure: `Moving messages failed: ${String(error)}` };
    }
    // A cancel that arrived while the moves were being journaled wins; the moves themselves stand.
    task.moved += result.moved;
    if (task.status !== "RUNNING") return;
    if (result.failure !== undefined) {
      task.status = "FAILED";
      task.failureReason = result.failure;
      return;
    }
    const remaining = task.source.counts();
    if (task.moved >= task.toMove || remaining.visible + remaining.inFlight + remaining.delayed === 0) {
      task.status = "COMPLETED";
      return;
    }
    const secondMs = 1000 / this.env.timeScale;
    if (task.rate !== undefined) this.schedule(task, secondMs);
    else this.schedule(task, result.moved > 0 ? 0 : IDLE_RECHECK_SECONDS * secondMs);
  }

  private destinationOf(task: MoveTask, message: StoredMessage): LocalQueue | string {
    if (task.destination !== undefined) return task.destination;
    if (message.deadLetterSourceArn === undefined) {
      return (
        `Message ${message.id} in ${task.source.arn} has no DeadLetterQueueSourceArn (it was sent to the DLQ ` +
        "directly), so it has no source queue to return to. Start the task with a DestinationArn."
      );
    }
    return (
      this.env.queueByArn(message.deadLetterSourceArn) ??
      `Message ${message.id} came from ${message.deadLetterSourceArn}, which is not one of this endpoint's queues ` +
        "any more. Start the task with a DestinationArn."
    );
  }
}
