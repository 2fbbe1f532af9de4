import { toComparableNumber } from "./comparable-number";
import { InvalidEventPatternError, type JsonPath } from "./errors";
import { type IpRange, ipInRange, isCidrProblem, parseCidr, parseIpAddress } from "./ip-address";
import { describeJson, isJsonObject, type JsonScalar } from "./json-value";
import { PATTERN_LIMITS } from "./limits";
import { isWildcardProblem, matchesWildcard, parseWildcard, type WildcardPattern } from "./wildcard";

type ScalarPredicate = (value: JsonScalar) => boolean;

/** The operators a leaf array may hold, as EventBridge names them. */
export const MATCH_OPERATORS = [
  "prefix",
  "suffix",
  "equals-ignore-case",
  "wildcard",
  "anything-but",
  "numeric",
  "exists",
  "cidr",
] as const;

const ANYTHING_BUT_MODIFIERS = ["prefix", "suffix", "equals-ignore-case", "wildcard"] as const;
type AnythingButModifier = (typeof ANYTHING_BUT_MODIFIERS)[number];

const LOWER_BOUND_OPERATORS = [">", ">="] as const;
const UPPER_BOUND_OPERATORS = ["<", "<="] as const;
const NUMERIC_OPERATORS = ["=", ...LOWER_BOUND_OPERATORS, ...UPPER_BOUND_OPERATORS] as const;

// The outcome of looking at every scalar under an event array.
const NO_VALUE = 0;
const NO_MATCH = 1;
const MATCH = 2;
type ArrayOutcome = typeof NO_VALUE | typeof NO_MATCH | typeof MATCH;

/**
 * Case-insensitive comparisons fold both sides to lower case with the locale-independent Unicode
 * mapping. EventBridge folds character by character; the two agree except for the few characters
 * whose lower case is longer than one character (e.g. "İ").
 */
function fold(text: string): string {
  return text.toLowerCase();
}

function fail(path: JsonPath, problem: string, fix: string): never {
  throw new InvalidEventPatternError({ path, problem, fix });
}

/**
 * The condition one pattern leaf (`"field": [ ... ]`) puts on the event values at its path: the
 * union of its entries. Exact strings, numbers and literals are looked up in sets; every operator
 * becomes one predicate.
 */
export class LeafCondition {
  private readonly exactStrings = new Set<string>();
  private readonly exactComparableNumbers = new Set<number>();
  /** Numbers outside numeric matching's range can still be matched exactly, as AWS account ids are. */
  private readonly exactRawNumbers = new Set<number>();
  private matchTrue = false;
  private matchFalse = false;
  private matchNull = false;
  private readonly predicates: ScalarPredicate[] = [];
  /** `{ "exists": false }` is present: a missing field (or one with no leaf value) matches. */
  private matchesAbsent = false;
  /** `{ "exists": true }` is present: any leaf value matches. */
  private matchesAnyValue = false;
  private onlyPlainStrings = true;
  private wildcard = false;

  /**
   * Compiles one leaf array, validating each entry; `path` locates the array in the pattern.
   * @throws InvalidEventPatternError naming the entry, the problem and the fix.
   */
  constructor(entries: readonly unknown[], path: JsonPath) {
    if (entries.length === 0) {
      fail(
        path,
        "the value list is empty, so nothing could ever match",
        'list at least one value, e.g. ["x"]',
      );
    }
    entries.forEach((entry, index) => {
      this.addEntry(entry, [...path, index]);
    });
  }

  /** Whether a `wildcard` (plain or inside `anything-but`) is used; EventBridge caps such rules per bus. */
  get usesWildcard(): boolean {
    return this.wildcard;
  }

  /**
   * The exact strings this leaf accepts when they are all it accepts: any event matching the leaf
   * carries one of them at its path. `undefined` when the leaf also accepts other values, so that an
   * index built on it would miss events.
   */
  get indexableStrings(): readonly string[] | undefined {
    return this.onlyPlainStrings ? [...this.exactStrings] : undefined;
  }

  /**
   * Whether the event value found at the leaf's path satisfies the leaf. `undefined` stands for a
   * missing field; arrays match when any scalar inside them does; an object is not a leaf value, so
   * it counts as missing (EventBridge's "exists only works on leaf nodes").
   */
  test(value: unknown): boolean {
    if (value === undefined) return this.matchesAbsent;
    if (Array.isArray(value)) {
      const outcome = this.testArray(value);
      return outcome === NO_VALUE ? this.matchesAbsent : outcome === MATCH;
    }
    if (typeof value === "object" && value !== null) return this.matchesAbsent;
    return this.matchesAnyValue || this.testScalar(value as JsonScalar);
  }

  private testArray(values: readonly unknown[]): ArrayOutcome {
    let outcome: ArrayOutcome = NO_VALUE;
    for (const value of values) {
      if (Array.isArray(value)) {
        const inner = this.testArray(value);
        if (inner === MATCH) return MATCH;
        if (inner === NO_MATCH) outcome = NO_MATCH;
      } else if (typeof value !== "object" || value === null) {
        if (this.matchesAnyValue || this.testScalar(value as JsonScalar)) return MATCH;
        outcome = NO_MATCH;
      }
    }
    return outcome;
  }

  private testScalar(value: JsonScalar): boolean {
    switch (typeof value) {
      case "string":
        if (this.exactStrings.has(value)) return true;
        break;
      case "number": {
        const comparable = toComparableNumber(value);
        if (
          comparable !== undefined
            ? this.exactComparableNumbers.has(comparable)
            : this.exactRawNumbers.has(value)
        ) {
          return true;
        }
        break;
      }
      case "boolean":
        if (value ? this.matchTrue : this.matchFalse) return true;
        break;
      default:
        if (value === null && this.matchNull) return true;
    }
    for (const predicate of this.predicates) {
      if (predicate(value)) return true;
    }
    return false;
  }

  private addEntry(entry: unknown, path: JsonPath): void {
    if (typeof entry === "string") {
      this.exactStrings.add(entry);
      // EventBridge reads a value that looks like an IP address as that address, so other
      // spellings of it ("::1" and "0:0:0:0:0:0:0:1") match too.
      const address = parseIpAddress(entry);
      if (address !== undefined) {
        const range: IpRange = { bits: address.bits, low: address.value, high: address.value };
        this.predicates.push((value) => typeof value === "string" && ipInRange(value, range));
        this.onlyPlainStrings = false;
      }
      return;
    }
    this.onlyPlainStrings = false;
    if (typeof entry === "number") {
      if (!Number.isFinite(entry)) fail(path, `${entry} is not a JSON number`, "use a finite number");
      const comparable = toComparableNumber(entry);
      if (comparable !== undefined) this.exactComparableNumbers.add(comparable);
      else this.exactRawNumbers.add(entry);
      return;
    }
    if (entry === true) this.matchTrue = true;
    else if (entry === false) this.matchFalse = true;
    else if (entry === null) this.matchNull = true;
    else if (isJsonObject(entry)) this.addOperator(entry, path);
    else {
      fail(
        path,
        `match value ${describeJson(entry)} is not allowed; values must be strings, numbers, true, false, null or one operator object`,
        'flatten nested lists into the one value list, e.g. ["a", "b"]',
      );
    }
  }

  private addOperator(expression: Readonly<Record<string, unknown>>, path: JsonPath): void {
    const keys = Object.keys(expression);
    if (keys.length !== 1) {
      fail(
        path,
        `an operator object must have exactly one key, got ${keys.length === 0 ? "none" : keys.map((k) => `"${k}"`).join(", ")}`,
        'write one operator per object, e.g. [{ "prefix": "a" }, { "suffix": "b" }]',
      );
    }
    const operator = keys[0] ?? "";
    const operand = expression[operator];
    const at: JsonPath = [...path, operator];
    switch (operator) {
      case "prefix":
      case "suffix":
        this.predicates.push(affixPredicate(operator, operand, at));
        return;
      case "equals-ignore-case": {
        const expected = fold(requireString(operand, at, "equals-ignore-case"));
        this.predicates.push((value) => typeof value === "string" && fold(value) === expected);
        return;
      }
      case "wildcard": {
        const pattern = compileWildcard(requireString(operand, at, "wildcard"), at);
        this.wildcard = true;
        this.predicates.push((value) => typeof value === "string" && matchesWildcard(pattern, value));
        return;
      }
      case "numeric":
        this.predicates.push(numericPredicate(operand, at));
        return;
      case "exists":
        if (typeof operand !== "boolean") {
          fail(
            at,
            `"exists" must be true or false, got ${describeJson(operand)}`,
            '{ "exists": true } or { "exists": false }',
          );
        }
        if (operand) this.matchesAnyValue = true;
        else this.matchesAbsent = true;
        return;
      case "cidr": {
        const range = parseCidr(requireString(operand, at, "cidr"));
        if (isCidrProblem(range)) fail(at, range.problem, range.fix);
        this.predicates.push((value) => typeof value === "string" && ipInRange(value, range));
        return;
      }
      case "anything-but":
        this.predicates.push(this.anythingButPredicate(operand, at));
        return;
      default:
        fail(
          path,
          `"${operator}" is not an EventBridge operator`,
          `use one of ${MATCH_OPERATORS.map((o) => `"${o}"`).join(", ")}; to match a field named "${operator}", nest it as an object key instead`,
        );
    }
  }

  /**
   * `anything-but` passes every value except the listed ones. Values of another type always pass
   * (`{"anything-but": "x"}` passes the number 5), as in EventBridge; a missing field never does.
   */
  private anythingButPredicate(operand: unknown, path: JsonPath): ScalarPredicate {
    if (typeof operand === "string") return excludeStrings(new Set([operand]));
    if (typeof operand === "number") return excludeNumbers([operand], path);
    if (Array.isArray(operand)) {
      if (operand.length > 0 && operand.every((v) => typeof v === "string")) {
        return excludeStrings(new Set(operand as string[]));
      }
      if (operand.length > 0 && operand.every((v) => typeof v === "number")) {
        return excludeNumbers(operand as number[], path);
      }
      fail(
        path,
        `"anything-but" list ${describeJson(operand)} must be non-empty and hold only strings or only numbers`,
        'split mixed values across conditions, e.g. [{ "anything-but": ["a", "b"] }]',
      );
    }
    if (isJsonObject(operand)) {
      const keys = Object.keys(operand);
      const modifier = keys[0];
      if (keys.length !== 1 || !isAnythingButModifier(modifier)) {
        fail(
          path,
          `"anything-but" object must have exactly one of ${ANYTHING_BUT_MODIFIERS.map((m) => `"${m}"`).join(", ")}, got ${describeJson(operand)}`,
          'e.g. { "anything-but": { "prefix": "init" } }',
        );
      }
      return this.anythingButModifierPredicate(modifier, operand[modifier], [...path, modifier]);
    }
    return fail(
      path,
      `"anything-but" takes a string, a number, a list of either, or an object, got ${describeJson(operand)}`,
      'e.g. { "anything-but": "stopped" } or { "anything-but": [100, 200] }',
    );
  }

  private anythingButModifierPredicate(
    modifier: AnythingButModifier,
    operand: unknown,
    path: JsonPath,
  ): ScalarPredicate {
    const values = typeof operand === "string" ? [operand] : operand;
    if (!Array.isArray(values) || values.length === 0 || !values.every((v) => typeof v === "string")) {
      fail(
        path,
        `"anything-but" "${modifier}" takes a string or a non-empty list of strings, got ${describeJson(operand)}`,
        `e.g. { "anything-but": { "${modifier}": ["a", "b"] } }`,
      );
    }
    const texts = values as string[];
    switch (modifier) {
      case "prefix":
      case "suffix": {
        const emptyAt = texts.indexOf("");
        if (emptyAt !== -1) {
          fail(
            typeof operand === "string" ? path : [...path, emptyAt],
            `"anything-but" "${modifier}" cannot be empty (it would exclude every string)`,
            `give a non-empty ${modifier}, or drop the condition`,
          );
        }
        return modifier === "prefix"
          ? (value) => typeof value !== "string" || !texts.some((t) => value.startsWith(t))
          : (value) => typeof value !== "string" || !texts.some((t) => value.endsWith(t));
      }
      case "equals-ignore-case": {
        const folded = new Set(texts.map(fold));
        return (value) => typeof value !== "string" || !folded.has(fold(value));
      }
      case "wildcard": {
        const patterns = texts.map((t, i) =>
          compileWildcard(t, typeof operand === "string" ? path : [...path, i]),
        );
        this.wildcard = true;
        return (value) => typeof value !== "string" || !patterns.some((p) => matchesWildcard(p, value));
      }
    }
  }
}

function isAnythingButModifier(key: string | undefined): key is AnythingButModifier {
  return (ANYTHING_BUT_MODIFIERS as readonly (string | undefined)[]).includes(key);
}

function requireString(operand: unknown, path: JsonPath, operator: string): string {
  if (typeof operand !== "string") {
    fail(
      path,
      `"${operator}" takes a string, got ${describeJson(operand)}`,
      `e.g. { "${operator}": "text" }`,
    );
  }
  return operand;
}

function compileWildcard(text: string, path: JsonPath): WildcardPattern {
  const pattern = parseWildcard(text);
  if (isWildcardProblem(pattern)) fail(path, pattern.problem, pattern.fix);
  return pattern;
}

/** `prefix` / `suffix`, optionally `{ "equals-ignore-case": … }` inside. An empty affix matches every string. */
function affixPredicate(operator: "prefix" | "suffix", operand: unknown, path: JsonPath): ScalarPredicate {
  if (typeof operand === "string") {
    return operator === "prefix"
      ? (value) => typeof value === "string" && value.startsWith(operand)
      : (value) => typeof value === "string" && value.endsWith(operand);
  }
  if (isJsonObject(operand) && Object.keys(operand).length === 1 && "equals-ignore-case" in operand) {
    const folded = fold(
      requireString(operand["equals-ignore-case"], [...path, "equals-ignore-case"], "equals-ignore-case"),
    );
    return operator === "prefix"
      ? (value) => typeof value === "string" && fold(value).startsWith(folded)
      : (value) => typeof value === "string" && fold(value).endsWith(folded);
  }
  return fail(
    path,
    `"${operator}" takes a string or { "equals-ignore-case": string }, got ${describeJson(operand)}`,
    `e.g. { "${operator}": "abc" } or { "${operator}": { "equals-ignore-case": "abc" } }`,
  );
}

function excludeStrings(excluded: ReadonlySet<string>): ScalarPredicate {
  return (value) => typeof value !== "string" || !excluded.has(value);
}

function excludeNumbers(numbers: readonly number[], path: JsonPath): ScalarPredicate {
  const excluded = new Set(
    numbers.map((n, i) => requireComparable(n, numbers.length > 1 ? [...path, i] : path)),
  );
  return (value) => {
    if (typeof value !== "number") return true;
    const comparable = toComparableNumber(value);
    return comparable === undefined || !excluded.has(comparable);
  };
}

function requireComparable(value: unknown, path: JsonPath): number {
  const comparable = typeof value === "number" ? toComparableNumber(value) : undefined;
  if (comparable === undefined) {
    const limit = PATTERN_LIMITS.numericMagnitude;
    fail(
      path,
      `${describeJson(value)} is not a number between -${limit.toExponential()} and ${limit.toExponential()}, the range numeric matching covers`,
      "use a number inside the range (numbers outside it can only be matched exactly, as a plain value)",
    );
  }
  return comparable;
}

/**
 * `numeric`: `["=", n]`, one bound (`[">", n]`, `["<=", n]`, …) or a lower bound followed by an
 * upper bound (`[">", 0, "<=", 5]`), with the lower strictly below the upper.
 */
function numericPredicate(operand: unknown, path: JsonPath): ScalarPredicate {
  if (!Array.isArray(operand) || (operand.length !== 2 && operand.length !== 4)) {
    fail(
      path,
      `"numeric" takes [operator, number] or [lower-operator, number, upper-operator, number], got ${describeJson(operand)}`,
      'e.g. { "numeric": [">", 0, "<=", 5] } or { "numeric": ["=", 3.5] }',
    );
  }
  const first = operand[0];
  if (typeof first !== "string" || !(NUMERIC_OPERATORS as readonly string[]).includes(first)) {
    fail(
      [...path, 0],
      `${describeJson(first)} is not a numeric operator`,
      `use one of ${NUMERIC_OPERATORS.map((o) => `"${o}"`).join(", ")}`,
    );
  }
  const firstValue = requireComparable(operand[1], [...path, 1]);
  if (operand.length === 2) return comparison(first, firstValue);
  if (first === "=") {
    fail(
      path,
      '"=" cannot be combined with another comparison',
      'use ["=", n] alone, or a range such as [">=", 1, "<=", 2]',
    );
  }
  if (!(LOWER_BOUND_OPERATORS as readonly string[]).includes(first)) {
    fail(
      [...path, 0],
      `a two-sided range must start with its lower bound (">" or ">="), got "${first}"`,
      `put the lower bound first: [${[operand[2], operand[3], first, operand[1]].map((v) => JSON.stringify(v)).join(", ")}]`,
    );
  }
  const second = operand[2];
  if (typeof second !== "string" || !(UPPER_BOUND_OPERATORS as readonly string[]).includes(second)) {
    fail(
      [...path, 2],
      `the upper bound operator must be "<" or "<=", got ${describeJson(second)}`,
      'e.g. [">", 0, "<", 10]',
    );
  }
  const secondValue = requireComparable(operand[3], [...path, 3]);
  if (firstValue >= secondValue) {
    fail(
      path,
      `the lower bound ${String(operand[1])} is not below the upper bound ${String(operand[3])} (compared to six decimals)`,
      'use a lower bound below the upper bound, or ["=", n] for one value',
    );
  }
  const lower = comparison(first, firstValue);
  const upper = comparison(second, secondValue);
  return (value) => lower(value) && upper(value);
}

function comparison(operator: string, bound: number): ScalarPredicate {
  const compare = (test: (comparable: number) => boolean): ScalarPredicate => {
    return (value) => {
      if (typeof value !== "number") return false;
      const comparable = toComparableNumber(value);
      return comparable !== undefined && test(comparable);
    };
  };
  switch (operator) {
    case "=":
      return compare((c) => c === bound);
    case ">":
      return compare((c) => c > bound);
    case ">=":
      return compare((c) => c >= bound);
    case "<":
      return compare((c) => c < bound);
    default:
      return compare((c) => c <= bound);
  }
}
