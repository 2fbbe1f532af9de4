import type { Clock } from "../../../../lib/local/clock";
import type { EventSourceQueue, ReceivedSqsMessage } from "../../../../lib/local/lambda/sqs-event-source";

interface Waiter {
  readonly max: number;
  readonly resolve: (messages: ReceivedSqsMessage[]) => void;
}

/**
 * An {@link EventSourceQueue} in memory: sent messages are visible until received, received ones
 * stay in flight until deleted (there is no visibility timeout: a test sees what the poller left).
 * Long polls wait on the given clock.
 */
export class InMemoryEventSourceQueue implements EventSourceQueue {
  /** Message ids deleted, in deletion order. */
  public readonly deletedIds: string[] = [];
  /** How many receives were made. */
  public receiveCalls = 0;
  /** The `minInvisibleMs` of each receive, in order. */
  public readonly minInvisibleRequests: (number | undefined)[] = [];
  /** Messages handed back with `release`, and after how many ms. */
  public readonly released: { readonly messageId: string; readonly afterMs: number }[] = [];
  /** Set to give the queue a visibility timeout and a `release` method. */
  public visibilityTimeoutMs: number | undefined;
  private readonly visible: ReceivedSqsMessage[] = [];
  private readonly inFlight = new Map<string, ReceivedSqsMessage>();
  private readonly waiters: Waiter[] = [];
  private nextId = 1;
  private receiveFailures: Error[] = [];
  private deleteFailures: Error[] = [];

  constructor(
    public readonly arn: string,
    private readonly clock: Clock,
    /** Behave like an adapter that ignores the abort signal: a long poll runs its full wait. */
    private readonly options: { readonly ignoreAbort?: boolean } = {},
  ) {}

  /** Sends one message per body; returns their ids (`m1`, `m2`, …). */
  send(...bodies: readonly string[]): string[] {
    const ids: string[] = [];
    for (const body of bodies) {
      const messageId = `m${this.nextId++}`;
      ids.push(messageId);
      this.visible.push(this.record(messageId, body));
    }
    this.wakeWaiters();
    return ids;
  }

  /** Ids of the messages received and not deleted. */
  get inFlightIds(): string[] {
    return [...this.inFlight.values()].map((message) => message.messageId);
  }

  /** How many messages wait to be received. */
  get visibleCount(): number {
    return this.visible.length;
  }

  /** Makes the next receive reject with `error`. */
  failNextReceive(error: Error): void {
    this.receiveFailures.push(error);
  }

  /** Makes the next delete reject with `error`. */
  failNextDelete(error: Error): void {
    this.deleteFailures.push(error);
  }

  receive(
    max: number,
    waitMs: number,
    givenSignal?: AbortSignal,
    minInvisibleMs?: number,
  ): Promise<ReceivedSqsMessage[]> {
    this.receiveCalls++;
    this.minInvisibleRequests.push(minInvisibleMs);
    const signal = this.options.ignoreAbort === true ? undefined : givenSignal;
    const failure = this.receiveFailures.shift();
    if (failure !== undefined) return Promise.reject(failure);
    if (this.visible.length > 0 || signal?.aborted === true) return Promise.resolve(this.take(max));
    return new Promise((resolve) => {
      const waiter: Waiter = {
        max,
        resolve: (messages) => {
          timer.cancel();
          signal?.removeEventListener("abort", onAbort);
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          resolve(messages);
        },
      };
      const onAbort = (): void => waiter.resolve([]);
      const timer = this.clock.setTimer(() => waiter.resolve([]), waitMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  async delete(receiptHandles: readonly string[]): Promise<void> {
    const failure = this.deleteFailures.shift();
    if (failure !== undefined) throw failure;
    for (const handle of receiptHandles) {
      const message = this.inFlight.get(handle);
      if (message === undefined) throw new Error(`unknown receipt handle ${handle}`);
      this.inFlight.delete(handle);
      this.deletedIds.push(message.messageId);
    }
  }

  async release(receiptHandles: readonly string[], afterMs: number): Promise<void> {
    for (const handle of receiptHandles) {
      const message = this.inFlight.get(handle);
      if (message === undefined) throw new Error(`unknown receipt handle ${handle}`);
      this.released.push({ messageId: message.messageId, afterMs });
    }
  }

  private take(max: number): ReceivedSqsMessage[] {
    const taken = this.visible.splice(0, max);
    for (const message of taken) this.inFlight.set(message.receiptHandle, message);
    return taken;
  }

  private wakeWaiters(): void {
    for (
      let waiter = this.waiters[0];
      waiter !== undefined && this.visible.length > 0;
      waiter = this.waiters[0]
    ) {
      waiter.resolve(this.take(waiter.max));
    }
  }

  private record(messageId: string, body: string): ReceivedSqsMessage {
    const now = String(this.clock.now());
    return {
      messageId,
      receiptHandle: `${messageId}-receipt`,
      body,
      attributes: {
        ApproximateReceiveCount: "1",
        SentTimestamp: now,
        SenderId: "AIDAEVENTBRIDGE",
        ApproximateFirstReceiveTimestamp: now,
      },
      messageAttributes: {},
      md5OfBody: "0".repeat(32),
      eventSource: "aws:sqs",
      eventSourceARN: this.arn,
      awsRegion: "eu-west-1",
    };
  }
}
