import { type Clock, systemClock, type Timer } from "../clock";
import type { LocalRuleDefinition, LocalRuleTarget } from "../model";
import type { BusEvent } from "./bus-event";
import { InputTransformError, targetInput } from "./input-transform";

/** A delivery that failed: whether trying again can help, and what EventBridge would report. */
export class DeliveryError extends Error {
  public override readonly name = "DeliveryError";

  constructor(
    /** The error code written to the DLQ message, e.g. `SQS_ERROR`, `RESOURCE_NOT_FOUND`. */
    public readonly code: string,
    message: string,
    /** False for failures no retry can fix (a missing resource, an oversized message). */
    public readonly retryable: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** String message attributes, as SQS takes them. */
export type StringAttributes = Readonly<
  Record<string, { readonly DataType: "String"; readonly StringValue: string }>
>;

/** The resources targets deliver to; the local pipeline wires them to its SQS, Firehose, buses and functions. */
export interface TargetSinks {
  sendToQueue(queueArn: string, body: string, attributes?: StringAttributes): Promise<void>;
  putToDeliveryStream(streamArn: string, record: string): Promise<void>;
  putToBus(busArn: string, event: BusEvent): Promise<void>;
  invokeFunction(functionArn: string, payload: string): Promise<void>;
}

/** What happened to one delivery, for the log. */
export type DeliveryReport =
  | {
      readonly outcome: "delivered";
      /** The event's id on the bus. */
      readonly eventId: string;
      readonly rule: string;
      readonly target: string;
      readonly attempts: number;
    }
  | {
      readonly outcome: "dead-lettered" | "dropped";
      readonly eventId: string;
      readonly rule: string;
      readonly target: string;
      readonly attempts: number;
      readonly errorCode: string;
      readonly errorMessage: string;
    };

/** Properties of {@link TargetDispatcher}. */
export interface TargetDispatcherProps {
  readonly sinks: TargetSinks;
  /** Divides retry back-off delays (tests run faster). @default 1 */
  readonly timeScale?: number;
  /** Receives one report per delivery. */
  readonly onReport?: (report: DeliveryReport) => void;
  /** Times retries and measures event age. @default systemClock */
  readonly clock?: Clock;
}

/**
 * Whether a target records the event rather than acting on it: a Firehose delivery stream (the
 * audit trail). Such targets are delivered (spooled on disk) before any other target of the event.
 */
export function isAuditTarget(target: LocalRuleTarget): boolean {
  return target.kind === "firehose";
}

/** EventBridge's back-off between target retries starts near a second and grows; capped here at a minute. */
const FIRST_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;

/**
 * Delivers matched events to rule targets as EventBridge does: the first attempt at once, then
 * retries with exponential back-off within the target's retry policy (attempts and event age), then
 * the target's DLQ with EventBridge's error attributes. Without a DLQ the event is dropped, as on
 * AWS, and reported loudly.
 */
export class TargetDispatcher {
  private readonly sinks: TargetSinks;
  private readonly timeScale: number;
  private readonly onReport: (report: DeliveryReport) => void;
  private readonly clock: Clock;
  private readonly retries = new Set<Timer>();
  private readonly inFlight = new Set<Promise<void>>();

  constructor(props: TargetDispatcherProps) {
    this.sinks = props.sinks;
    this.timeScale = props.timeScale ?? 1;
    this.onReport = props.onReport ?? (() => {});
    this.clock = props.clock ?? systemClock;
  }

  /**
   * Makes the first delivery attempt of an event to every target of a rule (or to `targets`, some
   * of them) and resolves when each has been delivered, dead-lettered or scheduled for retry.
   * Audit targets ({@link isAuditTarget}) go first and are awaited before any other target is
   * tried, so the audit trail holds the event before any of its effects can happen.
   */
  public async dispatch(
    rule: LocalRuleDefinition,
    event: BusEvent,
    targets: readonly LocalRuleTarget[] = rule.targets,
  ): Promise<void> {
    const firstAttemptAt = this.clock.now();
    const attempt = (target: LocalRuleTarget) => this.attempt(rule, target, event, 1, firstAttemptAt);
    const auditing = targets.filter(isAuditTarget);
    if (auditing.length > 0) await Promise.all(auditing.map(attempt));
    await Promise.all(targets.filter((target) => !isAuditTarget(target)).map(attempt));
  }

  /** Waits for scheduled retries to finish, or cancels them when `cancel` is set. */
  public async close(cancel = true): Promise<void> {
    if (cancel) {
      for (const timer of this.retries) timer.cancel();
      this.retries.clear();
    }
    await Promise.all(this.inFlight);
  }

  private async attempt(
    rule: LocalRuleDefinition,
    target: LocalRuleTarget,
    event: BusEvent,
    attempt: number,
    firstAttemptAt: number,
  ): Promise<void> {
    try {
      await this.deliver(target, event);
      this.onReport({
        outcome: "delivered",
        eventId: event.id,
        rule: rule.name,
        target: target.arn,
        attempts: attempt,
      });
    } catch (caught) {
      const error =
        caught instanceof DeliveryError
          ? caught
          : new DeliveryError(
              "INTERNAL_ERROR",
              caught instanceof Error ? caught.message : String(caught),
              true,
            );
      const ageMs = this.clock.now() - firstAttemptAt;
      const retriesLeft = attempt <= target.retryPolicy.maximumRetryAttempts;
      const ageLeft = ageMs < target.retryPolicy.maximumEventAgeInSeconds * 1000;
      if (error.retryable && retriesLeft && ageLeft) {
        this.scheduleRetry(rule, target, event, attempt, firstAttemptAt);
        return;
      }
      const exhausted = !error.retryable
        ? undefined
        : !retriesLeft
          ? "MaximumRetryAttempts"
          : "MaximumEventAgeInSeconds";
      await this.deadLetter(rule, target, event, attempt, error, exhausted);
    }
  }

  private scheduleRetry(
    rule: LocalRuleDefinition,
    target: LocalRuleTarget,
    event: BusEvent,
    attempt: number,
    firstAttemptAt: number,
  ): void {
    const ceiling = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (attempt - 1));
    const delay = (ceiling / 2 + Math.random() * (ceiling / 2)) / this.timeScale;
    const timer: Timer = this.clock.setTimer(() => {
      this.retries.delete(timer);
      const running = this.attempt(rule, target, event, attempt + 1, firstAttemptAt).finally(() =>
        this.inFlight.delete(running),
      );
      this.inFlight.add(running);
    }, delay);
    this.retries.add(timer);
  }

  private async deliver(target: LocalRuleTarget, event: BusEvent): Promise<void> {
    let input: string;
    try {
      input = targetInput(event, target);
    } catch (error) {
      if (error instanceof InputTransformError)
        throw new DeliveryError("INPUT_TRANSFORMATION_ERROR", error.message, false);
      throw error;
    }
    switch (target.kind) {
      case "sqs":
        return this.sinks.sendToQueue(target.arn, input);
      case "firehose":
        return this.sinks.putToDeliveryStream(target.arn, input);
      case "event-bus":
        return this.sinks.putToBus(target.arn, event);
      case "lambda":
        return this.sinks.invokeFunction(target.arn, input);
    }
  }

  private async deadLetter(
    rule: LocalRuleDefinition,
    target: LocalRuleTarget,
    event: BusEvent,
    attempts: number,
    error: DeliveryError,
    exhaustedCondition: string | undefined,
  ): Promise<void> {
    const base = {
      eventId: event.id,
      rule: rule.name,
      target: target.arn,
      attempts,
      errorCode: error.code,
      errorMessage: error.message,
    };
    if (target.deadLetterArn === undefined) {
      this.onReport({ outcome: "dropped", ...base });
      return;
    }
    // The attributes EventBridge sets on messages it sends to a target's DLQ.
    const attributes: Record<string, { DataType: "String"; StringValue: string }> = {
      ERROR_CODE: { DataType: "String", StringValue: error.code },
      ERROR_MESSAGE: { DataType: "String", StringValue: error.message.slice(0, 1000) },
      RULE_ARN: { DataType: "String", StringValue: rule.arn },
      TARGET_ARN: { DataType: "String", StringValue: target.arn },
      RETRY_ATTEMPTS: { DataType: "String", StringValue: String(attempts - 1) },
    };
    if (exhaustedCondition !== undefined) {
      attributes.EXHAUSTED_RETRY_CONDITION = { DataType: "String", StringValue: exhaustedCondition };
    }
    try {
      await this.sinks.sendToQueue(target.deadLetterArn, JSON.stringify(event), attributes);
      this.onReport({ outcome: "dead-lettered", ...base });
    } catch (dlqError) {
      const reason = dlqError instanceof Error ? dlqError.message : String(dlqError);
      this.onReport({
        outcome: "dropped",
        ...base,
        errorMessage: `${error.message}; the DLQ also failed: ${reason}`,
      });
    }
  }
}
