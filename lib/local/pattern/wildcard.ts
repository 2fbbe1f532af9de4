/** A parsed `wildcard` value: the literal runs between unescaped `*` characters. */
export interface WildcardPattern {
  /** Literal segments; `["a", "b"]` for `a*b`, one segment when there is no `*` at all. */
  readonly segments: readonly string[];
}

/** Why a wildcard value was refused, worded for `InvalidEventPatternError`. */
export interface WildcardProblem {
  readonly problem: string;
  readonly fix: string;
}

/**
 * Parses a wildcard value as EventBridge defines it: `*` matches any run of characters (also none),
 * `\*` is a literal asterisk, `\\` a literal backslash. Consecutive `**` and any other escape are
 * refused, as EventBridge refuses them.
 */
export function parseWildcard(text: string): WildcardPattern | WildcardProblem {
  const segments: string[] = [];
  let current = "";
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "*") {
      if (text[i + 1] === "*") {
        return {
          problem: `wildcard "${text}" has consecutive "*" at position ${i}`,
          fix: 'one "*" already matches any run of characters: replace "**" with "*"',
        };
      }
      segments.push(current);
      current = "";
    } else if (ch === "\\") {
      const next = text[i + 1];
      if (next !== "*" && next !== "\\") {
        return {
          problem: `wildcard "${text}" has an invalid escape at position ${i}`,
          fix: 'only "\\*" (a literal asterisk) and "\\\\" (a literal backslash) may be escaped',
        };
      }
      current += next;
      i++;
    } else {
      current += ch;
    }
  }
  segments.push(current);
  return { segments };
}

/** Whether {@link parseWildcard} returned a problem rather than a pattern. */
export function isWildcardProblem(result: WildcardPattern | WildcardProblem): result is WildcardProblem {
  return "problem" in result;
}

/**
 * Whether `value` matches. Segments are anchored at both ends and the middle ones are taken at their
 * leftmost occurrence, which is exact for patterns whose only metacharacter is `*`; it runs in
 * linear time, so no pattern can make matching blow up.
 */
export function matchesWildcard(pattern: WildcardPattern, value: string): boolean {
  const { segments } = pattern;
  const first = segments[0] ?? "";
  if (segments.length === 1) return value === first;
  const last = segments[segments.length - 1] ?? "";
  if (value.length < first.length + last.length) return false;
  if (!value.startsWith(first) || !value.endsWith(last)) return false;
  let position = first.length;
  const end = value.length - last.length;
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i] ?? "";
    const found = value.indexOf(segment, position);
    if (found === -1 || found + segment.length > end) return false;
    position = found + segment.length;
  }
  return true;
}
