import type { BusObserver } from "./events/local-event-bridge";
import type { FunctionLogEntry, InvocationResult, LambdaInvoker } from "./lambda/function-runner";

/**
 * Told of every step an event takes through the local pipeline: on the bus (accepted, matched,
 * delivered), and in the consumers (received, handled), with the functions' log lines. The local
 * console's trace implements it; each call must be cheap and must not throw.
 */
export interface PipelineObserver extends BusObserver {
  /** A consumer received the event `eventId` (the bus event's id) in an SQS record. */
  received(eventId: string, functionName: string, receiveCount: number, requestId?: string): void;
  /** The consumer's handling of the event ended. */
  handled(
    eventId: string,
    functionName: string,
    outcome: { ok: boolean; durationMs: number; requestId?: string; error?: string },
  ): void;
  /** A function's log line, by the invocation that wrote it. */
  log(line: { requestId: string; functionName: string; message: string }): void;
}

interface SqsRecordShape {
  readonly messageId?: string;
  readonly body?: string;
  readonly attributes?: { readonly ApproximateReceiveCount?: string };
}

/** `{"version":"0","id":"<id>"`: how the bus serializes an event it delivers unchanged. */
const EVENT_ID_PREFIX = /^\{"version":"0","id":"([^"\\]+)"/;

/**
 * The bus event id in an SQS record's body, when the body is an EventBridge event. The bus writes
 * the id second, so it is read from the first bytes without parsing the whole event; a body an input
 * transformer reshaped is parsed.
 */
function busEventId(record: SqsRecordShape): string | undefined {
  const fast = EVENT_ID_PREFIX.exec(record.body ?? "");
  if (fast !== null) return fast[1];
  try {
    const id = (JSON.parse(record.body ?? "") as { id?: unknown }).id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}

/** The message ids a partial batch response lists as failed. */
function failedMessageIds(result: InvocationResult): Set<string> | undefined {
  if (!result.ok) return undefined;
  const failures = (result.result as { batchItemFailures?: { itemIdentifier?: unknown }[] } | null)
    ?.batchItemFailures;
  return new Set((failures ?? []).map((failure) => String(failure.itemIdentifier)));
}

/**
 * `invoker`, telling `observer` which events each SQS batch carried and what became of each: one
 * record listed as failed in a partial batch response, or all of them when the invocation failed.
 */
export function observedInvoker(invoker: LambdaInvoker, observer: PipelineObserver): LambdaInvoker {
  return {
    functionName: invoker.functionName,
    concurrencyLimit: invoker.concurrencyLimit,
    longestInvocationMs: invoker.longestInvocationMs,
    async invoke(event: unknown): Promise<InvocationResult> {
      const records = ((event as { Records?: SqsRecordShape[] }).Records ?? []).map((record) => ({
        messageId: record.messageId,
        eventId: busEventId(record),
        receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1),
      }));
      for (const record of records) {
        if (record.eventId !== undefined) {
          observer.received(record.eventId, invoker.functionName, record.receiveCount);
        }
      }
      const result = await invoker.invoke(event);
      const failed = failedMessageIds(result);
      for (const record of records) {
        if (record.eventId === undefined) continue;
        const ok = failed !== undefined && !failed.has(String(record.messageId));
        observer.handled(record.eventId, invoker.functionName, {
          ok,
          durationMs: result.durationMs,
          requestId: result.requestId,
          ...(ok
            ? {}
            : {
                error: result.ok
                  ? "the function reported this record as failed (partial batch response)"
                  : `${result.errorType}: ${result.errorMessage}`,
              }),
        });
      }
      return result;
    },
  };
}

/** A function log entry as the observer takes it (lines written at initialization have no request). */
export function observedLog(observer: PipelineObserver, entry: FunctionLogEntry): void {
  if (entry.requestId !== undefined) {
    observer.log({ requestId: entry.requestId, functionName: entry.functionName, message: entry.message });
  }
}
