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

/** The token of `*` in {@link wildcardTokens}; every other token is a byte of the UTF-8 text. */
const ANY = -1;

/** A wildcard value as the bytes Event Ruler's byte machine matches, with {@link ANY} for each `*`. */
function wildcardTokens(text: string): number[] {
  const tokens: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] ?? "";
    if (ch === "*") {
      tokens.push(ANY);
      continue;
    }
    // `\*` and `\\` are literal; parseWildcard has refused any other escape.
    const literal = ch === "\\" ? (text[++i] ?? "") : ch;
    for (const byte of encoder.encode(literal)) tokens.push(byte);
  }
  return tokens;
}

/**
 * Event Ruler's complexity of the wildcard patterns one field of a rule holds (its
 * `MachineComplexityEvaluator`): the most states of the field's byte machine that one input value can
 * keep alive at once, counting only states that lead to a wildcard match. Each `*` lets a run of
 * characters be matched in several ways at once, so `*:*:*:*:*:event-bus/*` keeps up to 11 prefixes
 * of itself alive on a value such as `:::::`; EventBridge refuses rules above its limit as "too
 * complex".
 *
 * Each group is one Ruler pattern: a `wildcard` value alone, or the list of an `anything-but`
 * `wildcard`, whose values share the states of their common prefixes. The machine is explored as
 * Ruler does, one set of simultaneous states per distinct byte (or any other byte), until a set's
 * size reaches `limit`.
 *
 * @param groups the wildcard texts, already validated by {@link parseWildcard}
 * @param limit evaluation stops once this complexity is reached (Ruler's cap)
 * @returns the complexity, at most `limit`
 */
export function wildcardComplexity(groups: readonly (readonly string[])[], limit: number): number {
  // One trie per group: a node per distinct token prefix, so values of one group share their prefixes.
  const tokenOf: number[] = [];
  const children: Map<number, number>[] = [];
  const roots: number[] = [];
  const newNode = (token: number) => {
    tokenOf.push(token);
    children.push(new Map());
    return tokenOf.length - 1;
  };
  const alphabet = new Set<number>();
  for (const group of groups) {
    const root = newNode(Number.NaN);
    roots.push(root);
    for (const text of group) {
      let node = root;
      for (const token of wildcardTokens(text)) {
        if (token !== ANY) alphabet.add(token);
        const next = children[node]?.get(token) ?? newNode(token);
        children[node]?.set(token, next);
        node = next;
      }
    }
  }
  // A byte no value names, standing for every such byte.
  alphabet.add(256);

  // `*` matches nothing too: a state before a `*` is also the state after it.
  const close = (states: Set<number>): Set<number> => {
    const pending = [...states];
    while (pending.length > 0) {
      const star = children[pending.pop() ?? 0]?.get(ANY);
      if (star !== undefined && !states.has(star)) {
        states.add(star);
        pending.push(star);
      }
    }
    return states;
  };
  const step = (states: ReadonlySet<number>, byte: number): Set<number> => {
    const next = new Set<number>();
    for (const state of states) {
      if (tokenOf[state] === ANY) next.add(state);
      const child = children[state]?.get(byte);
      if (child !== undefined) next.add(child);
    }
    return close(next);
  };

  const keyOf = (states: ReadonlySet<number>) => [...states].sort((a, b) => a - b).join(",");
  const start = close(new Set(roots));
  const seen = new Set([keyOf(start)]);
  const queue = [start];
  let complexity = 0;
  // A bound on the exploration, far above what rules within EventBridge's pattern size reach.
  for (let explored = 0; queue.length > 0 && explored < 100_000; explored++) {
    const states = queue.shift() as Set<number>;
    for (const byte of alphabet) {
      const next = step(states, byte);
      complexity = Math.max(complexity, next.size);
      if (complexity >= limit) return limit;
      const key = keyOf(next);
      if (!seen.has(key)) {
        seen.add(key);
        queue.push(next);
      }
    }
  }
  return queue.length > 0 ? limit : complexity;
}
