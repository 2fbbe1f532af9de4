/**
 * A function definition or runner setting the local Lambda cannot run with: a timeout or memory
 * size outside Lambda's range, a handler string without an export, an ARN that is not a function's,
 * a time scale that is not a positive number. Raised when the runner is built, before any worker.
 */
export class FunctionDefinitionError extends Error {
  public override readonly name = "FunctionDefinitionError";

  constructor(
    /** The function concerned. */
    public readonly functionName: string,
    message: string,
  ) {
    super(`Function ${functionName}: ${message}`);
  }
}

/**
 * `invoke` was called on a {@link FunctionRunner} after `close()`, or an invocation was still
 * waiting for a free worker when the runner closed. No worker ran the event.
 */
export class FunctionRunnerClosedError extends Error {
  public override readonly name = "FunctionRunnerClosedError";

  constructor(
    /** The function whose runner is closed. */
    public readonly functionName: string,
  ) {
    super(
      `Function ${functionName}: the runner is closed, the event was not invoked; create a new FunctionRunner to invoke it again`,
    );
  }
}

/**
 * An event source mapping with settings Lambda would reject (batch size, batching window, maximum
 * concurrency out of range) or wired to the wrong queue. Raised when the poller is built.
 */
export class EventSourceMappingError extends Error {
  public override readonly name = "EventSourceMappingError";

  constructor(
    /** The logical id of the mapping in the template. */
    public readonly mappingId: string,
    message: string,
  ) {
    super(`Event source mapping ${mappingId}: ${message}`);
  }
}

/**
 * The poller could not read from or delete on its queue, or its invocation report sink threw. The
 * poller keeps running: an unread message stays in the queue, an undeleted one reappears after
 * the visibility timeout and is processed again.
 */
export class EventSourcePollingError extends Error {
  public override readonly name = "EventSourcePollingError";

  constructor(
    /** The logical id of the mapping in the template. */
    public readonly mappingId: string,
    /** What failed. */
    public readonly operation: "receive" | "delete" | "release" | "report",
    options: ErrorOptions & { readonly cause: unknown },
  ) {
    super(
      `Event source mapping ${mappingId}: ${operation} failed: ${options.cause instanceof Error ? options.cause.message : String(options.cause)}`,
      options,
    );
  }
}
