import type { InvocationResult, LambdaInvoker } from "../../../../lib/local/lambda/function-runner";
import type { SqsEvent } from "../../../../lib/local/lambda/sqs-event-source";

/** An invocation the test has not answered yet. */
export interface HeldInvocation {
  readonly event: SqsEvent;
  /** Answers the invocation with this result. */
  respond(result: InvocationResult): void;
}

/**
 * A {@link LambdaInvoker} whose invocations wait until the test answers them, so that a test
 * decides what the function returns and when: concurrency is observed, not timed.
 */
export class ScriptedInvoker implements LambdaInvoker {
  /** Every event received, in order. */
  public readonly events: SqsEvent[] = [];
  /** Invocations not answered yet, oldest first. */
  public readonly held: HeldInvocation[] = [];
  /** The most invocations that were unanswered at once. */
  public maxInFlight = 0;
  private answer: ((event: SqsEvent) => InvocationResult) | undefined;

  /** {@inheritDoc LambdaInvoker.concurrencyLimit} */
  public concurrencyLimit: number | undefined;
  /** {@inheritDoc LambdaInvoker.longestInvocationMs} */
  public longestInvocationMs: number | undefined;

  constructor(public readonly functionName: string) {}

  /** Answers every invocation at once with `answer(event)` instead of holding it. */
  answerWith(answer: (event: SqsEvent) => InvocationResult): this {
    this.answer = answer;
    return this;
  }

  invoke(event: unknown): Promise<InvocationResult> {
    const sqsEvent = event as SqsEvent;
    this.events.push(sqsEvent);
    const answer = this.answer;
    if (answer !== undefined) return Promise.resolve(answer(sqsEvent));
    return new Promise((resolve) => {
      const held: HeldInvocation = {
        event: sqsEvent,
        respond: (result) => {
          this.held.splice(this.held.indexOf(held), 1);
          resolve(result);
        },
      };
      this.held.push(held);
      this.maxInFlight = Math.max(this.maxInFlight, this.held.length);
    });
  }
}

/** A successful invocation result returning `result`. */
export function succeeded(result: unknown = null): InvocationResult {
  return { ok: true, requestId: "req-ok", durationMs: 1, result };
}

/** A failed invocation result. */
export function failed(errorType = "Error", errorMessage = "boom"): InvocationResult {
  return { ok: false, requestId: "req-failed", durationMs: 1, errorType, errorMessage, trace: [] };
}
