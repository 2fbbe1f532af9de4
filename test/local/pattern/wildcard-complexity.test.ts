import { describe, expect, it } from "vitest";
import { PATTERN_LIMITS, wildcardComplexity } from "../../../lib/local/pattern";

/**
 * The complexity of a field's wildcard patterns as Event Ruler's MachineComplexityEvaluator measures
 * it: the most wildcard-rule prefixes one input value matches at once. The figures, and the inputs
 * that reach them, are those of Event Ruler's own MachineComplexityEvaluatorTest.
 */
describe("wildcardComplexity", () => {
  it.each([
    { wildcards: ["*"], input: "a", complexity: 1 },
    { wildcards: ["abc"], input: "abc", complexity: 1 },
    { wildcards: ["*ab"], input: "ab", complexity: 2 },
    { wildcards: ["*aa"], input: "aa", complexity: 3 },
    { wildcards: ["a*b"], input: "ab", complexity: 2 },
    { wildcards: ["aa*"], input: "aa", complexity: 2 },
    { wildcards: ["a*bb"], input: "abb", complexity: 3 },
    { wildcards: ["a*bcb"], input: "abcb", complexity: 3 },
    { wildcards: ["a*bbb"], input: "abbb", complexity: 4 },
    { wildcards: ["*ab*ad"], input: "aba", complexity: 4 },
    { wildcards: ["*aba*"], input: "aba", complexity: 4 },
    { wildcards: ["a*b*bb"], input: "abbb", complexity: 5 },
    { wildcards: ["a*b*cd"], input: "abcd", complexity: 3 },
    { wildcards: ["ab*b*"], input: "abb", complexity: 3 },
    { wildcards: ["ab*c", "x*xx"], input: "xxx", complexity: 3 },
    { wildcards: ["*abc", "*abcde"], input: "abc", complexity: 4 },
    { wildcards: ["a*bcd", "ab*cd"], input: "abcd", complexity: 4 },
    { wildcards: ["a*aaa", "aa*aa"], input: "aaaa", complexity: 7 },
    { wildcards: ["a*aaa", "aaa*a"], input: "aaaa", complexity: 6 },
  ])("of $wildcards is $complexity (e.g. on $input)", ({ wildcards, complexity }) => {
    expect(
      wildcardComplexity(
        wildcards.map((w) => [w]),
        100,
      ),
    ).toBe(complexity);
  });

  it("counts the shared prefixes of one anything-but list once, and those of separate wildcards each", () => {
    expect(wildcardComplexity([["*/lib/*", "*/bin/*"]], 100)).toBe(5);
    expect(wildcardComplexity([["*/lib/*"], ["*/bin/*"]], 100)).toBe(7);
  });

  it("stops at the limit it is given", () => {
    expect(wildcardComplexity([["*:*:*:*:*:event-bus/*"]], 100)).toBe(11);
    expect(wildcardComplexity([["*:*:*:*:*:event-bus/*"]], PATTERN_LIMITS.maxWildcardComplexity + 1)).toBe(
      PATTERN_LIMITS.maxWildcardComplexity + 1,
    );
  });

  it("reads escaped asterisks as characters", () => {
    expect(wildcardComplexity([["a\\*b"]], 100)).toBe(1);
  });
});
