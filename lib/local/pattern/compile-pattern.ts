import { formatJsonPath, InvalidEventPatternError, type JsonPath } from "./errors";
import { describeJson, isJsonObject, type JsonObject } from "./json-value";
import { LeafCondition, MATCH_OPERATORS } from "./leaf-condition";
import { PATTERN_LIMITS } from "./limits";

/** Options of {@link compilePattern}. */
export interface CompilePatternOptions {
  /**
   * The longest pattern accepted, in characters of its compact JSON. EventBridge's "Event pattern
   * size" quota is 2,048 by default and can be raised to 4,096 (the API maximum).
   * @default 2048
   */
  readonly maxPatternLength?: number;
}

/** An event pattern that has been validated and compiled for fast matching. */
export interface CompiledPattern {
  /** The pattern as given (a private copy), e.g. for DescribeRule. */
  readonly pattern: JsonObject;
  /** Whether any filter uses `wildcard` (also inside `anything-but`); EventBridge caps such rules per bus. */
  readonly usesWildcard: boolean;
  /**
   * Whether the event matches, with EventBridge's semantics. An event that is not a JSON object
   * matches nothing.
   */
  matches(event: unknown): boolean;
  /**
   * The strings a matching event must carry in the top-level `field` (one of them, or one of them
   * inside an array there), or `undefined` when the pattern does not pin the field to exact strings.
   * Rule indexes use it for `source` and `detail-type`; it never returns a set that would exclude an
   * event the pattern matches.
   */
  exactValuesAt(field: string): readonly string[] | undefined;
}

type FieldNode = { readonly key: string; readonly ownKeyCheck: boolean; readonly sourcePath: JsonPath } & (
  | { readonly kind: "leaf"; readonly leaf: LeafCondition }
  | { readonly kind: "object"; readonly node: ObjectNode }
);

/** A conjunction: every field, and one alternative of every `$or`, must match the same event object. */
interface ObjectNode {
  readonly fields: readonly FieldNode[];
  readonly anyOf: readonly OrNode[];
}

interface OrNode {
  readonly alternatives: readonly ObjectNode[];
  readonly sourcePath: JsonPath;
}

// Event Ruler reserves these inside "$or" so that an operator object there is never read as a field.
const RESERVED_IN_OR: ReadonlySet<string> = new Set([
  ...MATCH_OPERATORS,
  "exactly",
  "=",
  "<",
  "<=",
  ">",
  ">=",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);

const OPERATOR_NAMES: ReadonlySet<string> = new Set(MATCH_OPERATORS);

function fail(path: JsonPath, problem: string, fix: string): never {
  throw new InvalidEventPatternError({ path, problem, fix });
}

/**
 * Validates an EventBridge event pattern and compiles it.
 *
 * Semantics follow the EventBridge documentation (and Event Ruler, the matcher EventBridge runs):
 * every field of the pattern must match (`$or` picks among alternatives), a field's value list
 * matches when any entry matches any event value at that path, arrays in the event match through
 * any element, and fields inside objects in one array element must all match within that same
 * element (array consistency).
 *
 * @throws InvalidEventPatternError when EventBridge would reject the pattern or when this matcher
 *   cannot honour it exactly; the error names the path, the value and the fix.
 */
export function compilePattern(pattern: unknown, options: CompilePatternOptions = {}): CompiledPattern {
  const maxLength = options.maxPatternLength ?? PATTERN_LIMITS.defaultMaxPatternLength;
  if (!Number.isInteger(maxLength) || maxLength < 1 || maxLength > PATTERN_LIMITS.apiMaxPatternLength) {
    throw new RangeError(
      `maxPatternLength ${maxLength} is out of range; EventBridge accepts patterns of 1 to ${PATTERN_LIMITS.apiMaxPatternLength} characters`,
    );
  }
  if (!isJsonObject(pattern)) {
    fail(
      [],
      `the pattern must be a JSON object, got ${describeJson(pattern)}`,
      'write an object such as { "source": ["my.app"] }',
    );
  }
  const length = compactJsonLength(pattern);
  if (length > maxLength) {
    fail(
      [],
      `the pattern is ${length} characters long (compact JSON), over the limit of ${maxLength}`,
      `shorten it (e.g. split it into several rules); the "Event pattern size" quota defaults to ${PATTERN_LIMITS.defaultMaxPatternLength} and can be raised to ${PATTERN_LIMITS.apiMaxPatternLength}`,
    );
  }
  const root = compileObject(pattern, [], false);
  checkConjunction(root, []);
  return new CompiledEventPattern(structuredClone(pattern), root);
}

function compactJsonLength(pattern: JsonObject): number {
  try {
    return JSON.stringify(pattern).length;
  } catch (error) {
    throw new InvalidEventPatternError(
      { path: [], problem: "the pattern is not serialisable as JSON", fix: "pass plain JSON data" },
      { cause: error },
    );
  }
}

function compileObject(definition: JsonObject, path: JsonPath, insideOr: boolean): ObjectNode {
  const keys = Object.keys(definition);
  if (keys.length === 0) {
    fail(
      path,
      "an object in a pattern must name at least one field",
      'remove the empty object, or add a field such as { "state": ["running"] }',
    );
  }
  const fields: FieldNode[] = [];
  const anyOf: OrNode[] = [];
  for (const key of keys) {
    const value = definition[key];
    const at = [...path, key];
    if (key === "$or") {
      anyOf.push(compileOr(value, at));
      continue;
    }
    if (key.includes(".")) {
      fail(
        at,
        `field name "${key}" contains "."; EventBridge joins nested names with dots, so it would also match the nested field, which this matcher does not reproduce`,
        `nest the name as objects, e.g. { "${key.split(".").join('": { "')}": [...] }`,
      );
    }
    if (insideOr && RESERVED_IN_OR.has(key)) {
      fail(
        at,
        `"${key}" is reserved by EventBridge and cannot be a field name inside "$or"`,
        `put operators inside a value list, e.g. "field": [{ "${key}": ... }]`,
      );
    }
    // Only names that exist on Object.prototype can be confused with inherited members.
    const ownKeyCheck = key in Object.prototype;
    if (Array.isArray(value)) {
      fields.push({ key, ownKeyCheck, sourcePath: at, kind: "leaf", leaf: new LeafCondition(value, at) });
    } else if (isJsonObject(value)) {
      fields.push({
        key,
        ownKeyCheck,
        sourcePath: at,
        kind: "object",
        node: compileObject(value, at, insideOr),
      });
    } else if (OPERATOR_NAMES.has(key)) {
      const parent = path[path.length - 1] ?? "field";
      fail(
        path,
        `operator "${key}" is written as an object key, so it reads as a field named "${key}"`,
        `operators go inside the value list: "${String(parent)}": [{ "${key}": ${JSON.stringify(value)} }]`,
      );
    } else {
      fail(
        at,
        `"${key}" must be an object or an array, got ${describeJson(value)}`,
        `list the value: "${key}": [${JSON.stringify(value) ?? "..."}]`,
      );
    }
  }
  return { fields, anyOf };
}

function compileOr(value: unknown, path: JsonPath): OrNode {
  if (!Array.isArray(value) || value.length < 2) {
    fail(
      path,
      `"$or" must be a list of at least two objects, got ${describeJson(value)}`,
      'e.g. "$or": [{ "a": ["x"] }, { "b": ["y"] }]; with one alternative, drop the "$or"',
    );
  }
  const alternatives = value.map((alternative, index) => {
    const at = [...path, index];
    if (!isJsonObject(alternative)) {
      fail(
        at,
        `every "$or" alternative must be an object, got ${describeJson(alternative)}`,
        'e.g. { "a": ["x"] }',
      );
    }
    return compileObject(alternative, at, true);
  });
  return { alternatives, sourcePath: path };
}

/**
 * Refuses patterns that constrain one field twice in the same conjunction, e.g. at the top level and
 * again inside `$or`. EventBridge flattens `$or` into separate rules where the second condition
 * silently replaces the first, so such a pattern does not mean what it reads; refusing it here
 * keeps local routing from differing from AWS without notice.
 */
function checkConjunction(node: ObjectNode, eventPath: readonly string[]): void {
  const owners = new Map<string, JsonPath>();
  const ors: { readonly or: OrNode; readonly eventPath: readonly string[] }[] = [];
  collectConjunction(node, eventPath, owners, ors);
  for (const { or, eventPath: orPath } of ors) {
    const paths = new Set<string>();
    for (const alternative of or.alternatives) collectAllPaths(alternative, orPath, paths);
    for (const path of paths) {
      const owner = owners.get(path);
      if (owner !== undefined) {
        fail(
          or.sourcePath,
          `field "${path}" is constrained both inside this "$or" and at ${formatJsonPath(owner)}; EventBridge keeps only one of the two conditions`,
          `move the condition on "${path}" into every "$or" alternative that needs it`,
        );
      }
    }
    for (const path of paths) owners.set(path, or.sourcePath);
  }
  for (const { or, eventPath: orPath } of ors) {
    for (const alternative of or.alternatives) checkConjunction(alternative, orPath);
  }
}

function collectConjunction(
  node: ObjectNode,
  eventPath: readonly string[],
  owners: Map<string, JsonPath>,
  ors: { readonly or: OrNode; readonly eventPath: readonly string[] }[],
): void {
  for (const field of node.fields) {
    const fieldPath = [...eventPath, field.key];
    if (field.kind === "leaf") owners.set(fieldPath.join("."), field.sourcePath);
    else collectConjunction(field.node, fieldPath, owners, ors);
  }
  for (const or of node.anyOf) ors.push({ or, eventPath });
}

function collectAllPaths(node: ObjectNode, eventPath: readonly string[], into: Set<string>): void {
  for (const field of node.fields) {
    const fieldPath = [...eventPath, field.key];
    if (field.kind === "leaf") into.add(fieldPath.join("."));
    else collectAllPaths(field.node, fieldPath, into);
  }
  for (const or of node.anyOf) {
    for (const alternative of or.alternatives) collectAllPaths(alternative, eventPath, into);
  }
}

class CompiledEventPattern implements CompiledPattern {
  public readonly usesWildcard: boolean;
  private readonly exactValueCache = new Map<string, readonly string[] | undefined>();

  constructor(
    public readonly pattern: JsonObject,
    private readonly root: ObjectNode,
  ) {
    this.usesWildcard = anyLeaf(root, (leaf) => leaf.usesWildcard);
  }

  matches(event: unknown): boolean {
    return isJsonObject(event) && matchObjectValue(this.root, event);
  }

  exactValuesAt(field: string): readonly string[] | undefined {
    if (!this.exactValueCache.has(field)) this.exactValueCache.set(field, requiredStrings(this.root, field));
    return this.exactValueCache.get(field);
  }
}

function anyLeaf(node: ObjectNode, test: (leaf: LeafCondition) => boolean): boolean {
  return (
    node.fields.some((f) => (f.kind === "leaf" ? test(f.leaf) : anyLeaf(f.node, test))) ||
    node.anyOf.some((or) => or.alternatives.some((alternative) => anyLeaf(alternative, test)))
  );
}

function requiredStrings(node: ObjectNode, key: string): readonly string[] | undefined {
  for (const field of node.fields) {
    if (field.key === key && field.kind === "leaf") {
      const strings = field.leaf.indexableStrings;
      if (strings !== undefined) return strings;
    }
  }
  for (const or of node.anyOf) {
    const union = new Set<string>();
    const everyAlternativePins = or.alternatives.every((alternative) => {
      const strings = requiredStrings(alternative, key);
      for (const s of strings ?? []) union.add(s);
      return strings !== undefined;
    });
    if (everyAlternativePins) return [...union];
  }
  return undefined;
}

/**
 * Matches a pattern object against the event value at its path. An array matches when one element
 * matches the whole object, which is what makes matching array-consistent; an empty array is a
 * missing value.
 */
function matchObject(node: ObjectNode, value: unknown): boolean {
  if (Array.isArray(value)) {
    if (value.length === 0) return matchObjectValue(node, undefined);
    for (const element of value) {
      if (matchObject(node, element)) return true;
    }
    return false;
  }
  return matchObjectValue(node, isJsonObject(value) ? value : undefined);
}

function matchObjectValue(node: ObjectNode, object: JsonObject | undefined): boolean {
  for (const field of node.fields) {
    const child =
      object === undefined || (field.ownKeyCheck && !Object.hasOwn(object, field.key))
        ? undefined
        : object[field.key];
    const matched = field.kind === "leaf" ? field.leaf.test(child) : matchObject(field.node, child);
    if (!matched) return false;
  }
  for (const or of node.anyOf) {
    let matched = false;
    for (const alternative of or.alternatives) {
      if (matchObjectValue(alternative, object)) {
        matched = true;
        break;
      }
    }
    if (!matched) return false;
  }
  return true;
}
