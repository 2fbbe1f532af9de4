/**
 * EventBridge event-pattern matching for the local pipeline: `compilePattern` validates a pattern
 * the way PutRule does (refusing what EventBridge refuses, and what this matcher cannot reproduce)
 * and compiles it; `RuleIndex` holds a bus's rules and evaluates only those an event can match;
 * `testEventPattern` is the TestEventPattern API.
 *
 * Known differences from EventBridge, each refused or confined to corners real rules avoid:
 * - A field written twice, nested and with dots (`"a.b"` beside `"a": { "b" }`), is refused;
 *   EventBridge names both by the same dotted path and keeps one of them.
 * - A field constrained twice in one conjunction (e.g. outside and inside `$or`) is refused
 *   (EventBridge silently keeps one of the two conditions).
 * - `exists: false` under an array of objects is judged per element; EventBridge may judge it across
 *   the whole array when no other field of the pattern pins the element.
 * - Case folding is `String.prototype.toLowerCase`, which differs from EventBridge's per-character
 *   folding for the few characters whose lower case is longer than one character.
 * - Wildcards too complex for EventBridge are refused with its message, by Event Ruler's complexity
 *   measure; EventBridge's limit on it is not published (see `PATTERN_LIMITS.maxWildcardComplexity`).
 */
export { type CompiledPattern, type CompilePatternOptions, compilePattern } from "./compile-pattern";
export {
  DuplicateRuleError,
  type InvalidEventPatternDetails,
  InvalidEventPatternError,
  type JsonPath,
  type PatternInput,
  RuleLimitExceededError,
} from "./errors";
export { PATTERN_LIMITS, TEST_EVENT_REQUIRED_FIELDS } from "./limits";
export { RuleIndex, type RuleIndexOptions } from "./rule-index";
export { testEventPattern } from "./test-event-pattern";
export { wildcardComplexity } from "./wildcard";
