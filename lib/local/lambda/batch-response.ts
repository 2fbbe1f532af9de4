/**
 * How Lambda reads a function's partial batch response (`ReportBatchItemFailures`) for an SQS event
 * source, as "Handling errors for an SQS event source in Lambda" describes it:
 *
 * - complete success: a null or empty response, an object without `batchItemFailures`, or a null
 *   or empty `batchItemFailures` list;
 * - complete failure: a response that is not a JSON object, a `batchItemFailures` that is not a
 *   list, or any entry with a null, empty, misspelled or unknown `itemIdentifier` (a message id
 *   that is not in the batch);
 * - otherwise the listed messages failed and every other message succeeded.
 */
export type BatchResponseVerdict =
  | { readonly kind: "all-succeeded" }
  | { readonly kind: "some-failed"; readonly failedMessageIds: readonly string[] }
  | { readonly kind: "invalid"; readonly reason: string };

/**
 * Reads `response` (the handler's return value) against the message ids of the batch it was given.
 * Duplicate identifiers count once.
 */
export function evaluateBatchResponse(
  response: unknown,
  batchMessageIds: readonly string[],
): BatchResponseVerdict {
  if (response === null || response === undefined) return { kind: "all-succeeded" };
  if (typeof response !== "object" || Array.isArray(response)) {
    return {
      kind: "invalid",
      reason: `the response must be an object like {"batchItemFailures":[{"itemIdentifier":"<messageId>"}]}, got ${describe(response)}`,
    };
  }
  const failures: unknown = (response as Record<string, unknown>).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: "all-succeeded" };
  if (!Array.isArray(failures)) {
    return { kind: "invalid", reason: `batchItemFailures must be a list, got ${describe(failures)}` };
  }
  const inBatch = new Set(batchMessageIds);
  const failed = new Set<string>();
  for (const [index, entry] of failures.entries()) {
    const identifier: unknown =
      entry !== null && typeof entry === "object"
        ? (entry as Record<string, unknown>).itemIdentifier
        : undefined;
    if (typeof identifier !== "string" || identifier === "") {
      return {
        kind: "invalid",
        reason: `batchItemFailures[${index}] must be {"itemIdentifier":"<messageId>"} with a non-empty string, got ${describe(entry)}`,
      };
    }
    if (!inBatch.has(identifier)) {
      return {
        kind: "invalid",
        reason: `batchItemFailures[${index}].itemIdentifier "${identifier}" is not the messageId of a record in the batch`,
      };
    }
    failed.add(identifier);
  }
  return failed.size === 0
    ? { kind: "all-succeeded" }
    : { kind: "some-failed", failedMessageIds: [...failed] };
}

/** A short rendering of a value for an error message. */
function describe(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 120 ? `${json.slice(0, 117)}...` : json;
}
