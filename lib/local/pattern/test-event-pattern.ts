import { compilePattern } from "./compile-pattern";
import { InvalidEventPatternError, type PatternInput } from "./errors";
import { describeJson, isJsonObject } from "./json-value";
import { PATTERN_LIMITS, TEST_EVENT_REQUIRED_FIELDS } from "./limits";

/**
 * The TestEventPattern API: whether `event` (JSON text) matches `pattern` (JSON text).
 *
 * As the API does, it takes patterns up to 4,096 characters (the API maximum, whatever the account's
 * rule quota) and requires the event to carry `id`, `account`, `source`, `time`, `region`,
 * `resources` and `detail-type`.
 *
 * @throws InvalidEventPatternError when either input is not valid JSON, the pattern is invalid, or
 *   the event lacks a required field; `input` says which.
 */
export function testEventPattern(pattern: string, event: string): boolean {
  if (pattern.length > PATTERN_LIMITS.apiMaxPatternLength) {
    throw new InvalidEventPatternError({
      path: [],
      problem: `the pattern is ${pattern.length} characters long, over the TestEventPattern maximum of ${PATTERN_LIMITS.apiMaxPatternLength}`,
      fix: "shorten the pattern",
    });
  }
  const compiled = compilePattern(parseJson(pattern, "EventPattern"), {
    maxPatternLength: PATTERN_LIMITS.apiMaxPatternLength,
  });
  const parsedEvent = parseJson(event, "Event");
  if (!isJsonObject(parsedEvent)) {
    throw new InvalidEventPatternError({
      input: "Event",
      path: [],
      problem: `the event must be a JSON object, got ${describeJson(parsedEvent)}`,
      fix: 'pass an EventBridge event such as { "id": "1", "source": "my.app", ... }',
    });
  }
  const missing = TEST_EVENT_REQUIRED_FIELDS.filter((field) => !Object.hasOwn(parsedEvent, field));
  if (missing.length > 0) {
    throw new InvalidEventPatternError({
      input: "Event",
      path: [],
      problem: `the event lacks ${missing.map((f) => `"${f}"`).join(", ")}, which TestEventPattern requires`,
      fix: `add every one of ${TEST_EVENT_REQUIRED_FIELDS.map((f) => `"${f}"`).join(", ")}`,
    });
  }
  return compiled.matches(parsedEvent);
}

function parseJson(text: string, input: PatternInput): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidEventPatternError(
      {
        input,
        path: [],
        problem: `the ${input} is not valid JSON (${reason})`,
        fix: "send well-formed JSON text",
      },
      { cause: error },
    );
  }
}
