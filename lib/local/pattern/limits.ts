/**
 * The limits EventBridge documents for event patterns, in one place so that a quota change is one
 * edit. Sources: the EventBridge quotas page, the PutRule/TestEventPattern API reference and the
 * "Comparison operators" page of the user guide.
 */
export const PATTERN_LIMITS = {
  /** Default "Event pattern size" quota, in characters. Adjustable per account up to the API maximum. */
  defaultMaxPatternLength: 2048,
  /** `EventPattern` length constraint of PutRule and TestEventPattern, in characters. */
  apiMaxPatternLength: 4096,
  /**
   * Numeric matching covers JSON numbers from -5.0e9 to +5.0e9 inclusive; numbers outside it never
   * satisfy a `numeric` or numeric `anything-but` condition, and patterns may not use them there.
   */
  numericMagnitude: 5e9,
  /** Numeric matching is precise to six digits after the decimal point. */
  numericScale: 1e6,
  /** "Rules containing wildcards" quota: rules per event bus whose filters use `wildcard`; not adjustable. */
  wildcardRulesPerBus: 30,
  /**
   * The highest Event Ruler complexity (see `wildcardComplexity`) a rule's wildcards may reach on one
   * field; above it EventBridge refuses the rule as "too complex". Not published: Event Ruler's README
   * shows this per-rule check with a limit of 10 beside 30 wildcard rules (EventBridge's quota), and it
   * fits what AWS answers: `*:*:*:*:*:event-bus/*` (11) is refused, `arn:aws:events:us-east-1:*:event-bus/*`
   * (3) and the user guide's examples are accepted.
   */
  maxWildcardComplexity: 10,
} as const;

/** The fields TestEventPattern requires in its `Event` (API reference, `Event` parameter). */
export const TEST_EVENT_REQUIRED_FIELDS = [
  "id",
  "account",
  "source",
  "time",
  "region",
  "resources",
  "detail-type",
] as const;
