import { formatJsonPath, InvalidEventPatternError, type JsonPath } from "./errors";
import { describeJson, isJsonObject, type JsonObject } from "./json-value";
import { LeafCondition, MATCH_OPERATORS } from "./leaf-condition";
import { PATTERN_LIMITS } from "./limits";
import { wildcardComplexity } from "./wildcard";

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
  | {
      readonly kind: "leaf";
      readonly leaf: LeafCondition;
      /** The value list as written, for the wildcard complexity check. */
      readonly entries: readonly unknown[];
      readonly node: undefined;
      readonly dottedPrefix: undefined;
    }
  | {
      readonly kind: "object";
      readonly leaf: undefined;
      readonly entries: undefined;
      readonly node: ObjectNode;
      /** `key` and a dot: an event key starting with it names a field of this object too. */
      readonly dottedPrefix: string;
    }
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
  checkWildcardComplexity(root);
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

/** An {@link ObjectNode} being built: fields by name, so that dotted names can merge into them. */
interface ObjectBuilder {
  readonly fields: Map<string, FieldBuilder>;
  readonly anyOf: OrNode[];
}

type FieldBuilder = { readonly key: string; readonly sourcePath: JsonPath } & (
  | { readonly kind: "leaf"; readonly leaf: LeafCondition; readonly entries: readonly unknown[] }
  | { readonly kind: "object"; readonly builder: ObjectBuilder }
);

function compileObject(definition: JsonObject, path: JsonPath, insideOr: boolean): ObjectNode {
  const builder: ObjectBuilder = { fields: new Map(), anyOf: [] };
  addObject(builder, definition, path, insideOr);
  return buildObject(builder);
}

/**
 * Adds the fields of `definition` to `builder`. EventBridge names a field by its path joined with
 * dots, so `{ "state.status": [...] }` is the field `status` of the object `state`: a dotted name is
 * nested here, and merged with the fields the same object gets elsewhere in the pattern.
 */
function addObject(builder: ObjectBuilder, definition: JsonObject, path: JsonPath, insideOr: boolean): void {
  const keys = Object.keys(definition);
  if (keys.length === 0) {
    fail(
      path,
      "an object in a pattern must name at least one field",
      'remove the empty object, or add a field such as { "state": ["running"] }',
    );
  }
  for (const key of keys) {
    const value = definition[key];
    const at = [...path, key];
    if (key === "$or") {
      builder.anyOf.push(compileOr(value, at));
      continue;
    }
    if (insideOr && RESERVED_IN_OR.has(key)) {
      fail(
        at,
        `"${key}" is reserved by EventBridge and cannot be a field name inside "$or"`,
        `put operators inside a value list, e.g. "field": [{ "${key}": ... }]`,
      );
    }
    const steps = key.split(".");
    if (steps.length > 1 && steps.includes("$or")) {
      fail(
        at,
        `field name "${key}" has "$or" as one of its dotted steps`,
        'write "$or" as a key of its own: { "a": { "$or": [...] } }',
      );
    }
    if (!Array.isArray(value) && !isJsonObject(value)) {
      if (OPERATOR_NAMES.has(key)) {
        const parent = path[path.length - 1] ?? "field";
        fail(
          path,
          `operator "${key}" is written as an object key, so it reads as a field named "${key}"`,
          `operators go inside the value list: "${String(parent)}": [{ "${key}": ${JSON.stringify(value)} }]`,
        );
      }
      fail(
        at,
        `"${key}" must be an object or an array, got ${describeJson(value)}`,
        `list the value: "${key}": [${JSON.stringify(value) ?? "..."}]`,
      );
    }
    let target = builder;
    for (const step of steps.slice(0, -1)) target = objectField(target, step, at);
    const last = steps[steps.length - 1] ?? key;
    const existing = target.fields.get(last);
    if (Array.isArray(value)) {
      if (existing !== undefined) sameField(existing, at);
      target.fields.set(last, {
        key: last,
        sourcePath: at,
        kind: "leaf",
        leaf: new LeafCondition(value, at),
        entries: value,
      });
    } else if (isJsonObject(value)) {
      addObject(objectField(target, last, at), value, at, insideOr);
    }
  }
}

/** The object field `step` of `builder`, created when missing. */
function objectField(builder: ObjectBuilder, step: string, at: JsonPath): ObjectBuilder {
  const existing = builder.fields.get(step);
  if (existing === undefined) {
    const created: ObjectBuilder = { fields: new Map(), anyOf: [] };
    builder.fields.set(step, { key: step, sourcePath: at, kind: "object", builder: created });
    return created;
  }
  if (existing.kind === "leaf") sameField(existing, at);
  return existing.builder;
}

/** Refuses a field named twice (`"a.b"` beside `"a": { "b" }`), or as a value list and an object. */
function sameField(existing: FieldBuilder, at: JsonPath): never {
  const field = fieldName(at);
  return fail(
    at,
    `field "${field}" is written twice, as ${describeKeys(existing.sourcePath)} and as ${describeKeys(at)}; EventBridge joins nested names with dots, so both name the same field`,
    `write "${field}" once, either nested or with dots`,
  );
}

/** The field a pattern location names, as EventBridge joins it: `detail.state.status`. */
function fieldName(path: JsonPath): string {
  return path.filter((step): step is string => typeof step === "string" && step !== "$or").join(".");
}

/** The keys of a pattern location as written, e.g. `"detail": { "state.status" }`. */
function describeKeys(path: JsonPath): string {
  const keys = path.filter((step): step is string => typeof step === "string" && step !== "$or");
  return `${keys.map((key) => JSON.stringify(key)).join(": { ")}${" }".repeat(Math.max(0, keys.length - 1))}`;
}

function buildObject(builder: ObjectBuilder): ObjectNode {
  const fields = [...builder.fields.values()].map((field): FieldNode => {
    // Only names that exist on Object.prototype can be confused with inherited members.
    const ownKeyCheck = field.key in Object.prototype;
    const { key, sourcePath } = field;
    // Both kinds with the same properties in the same order: matching reads them on every event.
    return field.kind === "leaf"
      ? {
          key,
          ownKeyCheck,
          sourcePath,
          kind: "leaf",
          leaf: field.leaf,
          entries: field.entries,
          node: undefined,
          dottedPrefix: undefined,
        }
      : {
          key,
          ownKeyCheck,
          sourcePath,
          kind: "object",
          leaf: undefined,
          entries: undefined,
          node: buildObject(field.builder),
          dottedPrefix: `${key}.`,
        };
  });
  return { fields, anyOf: builder.anyOf };
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

/** EventBridge's (Event Ruler's) words for a rule whose wildcards are too costly to match. */
const TOO_COMPLEX =
  "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character";

/**
 * Refuses, as EventBridge does, a pattern whose wildcards on one field are too complex to match (see
 * {@link wildcardComplexity}): Event Ruler puts every wildcard of a field, in every `$or`
 * alternative, into one byte machine and measures it.
 */
function checkWildcardComplexity(root: ObjectNode): void {
  const byField = new Map<string, { groups: string[][]; sourcePath: JsonPath }>();
  collectWildcards(root, [], byField);
  const limit = PATTERN_LIMITS.maxWildcardComplexity;
  for (const [field, { groups, sourcePath }] of byField) {
    const complexity = wildcardComplexity(groups, limit + 1);
    if (complexity > limit) {
      fail(
        sourcePath,
        TOO_COMPLEX,
        `the wildcards of "${field}" let one value match in more than ${limit} ways at once; use fewer "*", or a prefix, suffix or exact value instead`,
      );
    }
  }
}

function collectWildcards(
  node: ObjectNode,
  eventPath: readonly string[],
  into: Map<string, { groups: string[][]; sourcePath: JsonPath }>,
): void {
  for (const field of node.fields) {
    const fieldPath = [...eventPath, field.key];
    if (field.kind === "object") {
      collectWildcards(field.node, fieldPath, into);
      continue;
    }
    const groups = wildcardGroups(field.entries);
    if (groups.length === 0) continue;
    const name = fieldPath.join(".");
    const known = into.get(name);
    if (known === undefined) into.set(name, { groups, sourcePath: field.sourcePath });
    else known.groups.push(...groups);
  }
  for (const or of node.anyOf) {
    for (const alternative of or.alternatives) collectWildcards(alternative, eventPath, into);
  }
}

/**
 * The wildcard patterns of a value list (already validated): each `{ "wildcard": "..." }` is one, and
 * the values of an `{ "anything-but": { "wildcard": ... } }` are together one, as in Event Ruler.
 */
function wildcardGroups(entries: readonly unknown[]): string[][] {
  const groups: string[][] = [];
  for (const entry of entries) {
    if (!isJsonObject(entry)) continue;
    const wildcard = entry.wildcard;
    if (typeof wildcard === "string") groups.push([wildcard]);
    const anythingBut = entry["anything-but"];
    if (isJsonObject(anythingBut)) {
      const values = anythingBut.wildcard;
      if (typeof values === "string") groups.push([values]);
      else if (Array.isArray(values)) groups.push(values.filter((v): v is string => typeof v === "string"));
    }
  }
  return groups;
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
    if (!isJsonObject(event)) return false;
    // Outside RuleIndex (withPreparedEvent), nothing read of an earlier event is trusted.
    if (event !== preparedEvent) forgetScans();
    return matchObjectValue(this.root, event);
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
    let matched: boolean;
    if (field.kind === "leaf") matched = field.leaf.test(child);
    else {
      const dotted = object === undefined ? NO_KEYS : dottedKeysOf(object);
      matched = matchObject(
        field.node,
        dotted.length === 0 ? child : withDottedKeys(object as JsonObject, dotted, field.dottedPrefix, child),
      );
    }
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

const NO_KEYS: readonly string[] = [];

/**
 * The event objects whose keys were read during the current match, with their keys that contain a
 * dot, so that the many patterns `RuleIndex` evaluates on one event read each object's keys once.
 */
const scannedObjects: object[] = [];
const scannedDottedKeys: (readonly string[])[] = [];
/** How many entries of the two arrays above belong to the current match (a count: cheaper than truncating). */
let scanned = 0;
/** Beyond this many objects an event's keys are read again rather than remembered. */
const MAX_SCANNED = 32;
/** The event {@link withPreparedEvent} is matching now: what was read of it is still valid. */
let preparedEvent: unknown;

/**
 * Runs `work` with `event` prepared for matching many patterns: `matches(event)` inside it reuses
 * what earlier patterns read of the event instead of reading it again. `RuleIndex` matches every
 * rule of a bus this way. The event must not change meanwhile.
 */
export function withPreparedEvent<T>(event: unknown, work: (prepared: unknown) => T): T {
  const previous = preparedEvent;
  forgetScans();
  preparedEvent = event;
  try {
    return work(event);
  } finally {
    preparedEvent = previous;
    forgetScans();
  }
}

function forgetScans(): void {
  scanned = 0;
}

/** The keys of `object` that contain a dot (usually none). */
function dottedKeysOf(object: JsonObject): readonly string[] {
  for (let i = 0; i < scanned; i++) {
    if (scannedObjects[i] === object) return scannedDottedKeys[i] as readonly string[];
  }
  let dotted: string[] | undefined;
  for (const key in object) {
    if (!key.includes(".") || !Object.hasOwn(object, key)) continue;
    dotted ??= [];
    dotted.push(key);
  }
  const keys = dotted ?? NO_KEYS;
  if (scanned < MAX_SCANNED) {
    scannedObjects[scanned] = object;
    scannedDottedKeys[scanned] = keys;
    scanned++;
  }
  return keys;
}

/**
 * The value of an object field as EventBridge sees it: it names fields by their path joined with
 * dots, so an event key `"state.status"` is the field `status` of the object `state`, beside (merged
 * with) a nested `"state": { ... }`. `dotted` are the keys of `object` that contain a dot.
 */
function withDottedKeys(
  object: JsonObject,
  dotted: readonly string[],
  prefix: string,
  value: unknown,
): unknown {
  let fields: Record<string, unknown> | undefined;
  for (const key of dotted) {
    if (!key.startsWith(prefix)) continue;
    fields ??= Object.create(null) as Record<string, unknown>;
    const name = key.slice(prefix.length);
    fields[name] = Object.hasOwn(fields, name) ? mergeValues(fields[name], object[key]) : object[key];
  }
  if (fields === undefined) return value;
  return value === undefined ? fields : mergeValues(value, fields);
}

/**
 * Two values found under one name: objects merge, an object goes with every object of an array
 * (array consistency allows it), anything else is kept side by side, as an array's values are.
 */
function mergeValues(existing: unknown, incoming: unknown): unknown {
  if (isJsonObject(existing) && isJsonObject(incoming)) {
    const merged = Object.assign(Object.create(null) as Record<string, unknown>, existing);
    for (const name of Object.keys(incoming)) {
      merged[name] = Object.hasOwn(merged, name) ? mergeValues(merged[name], incoming[name]) : incoming[name];
    }
    return merged;
  }
  if (Array.isArray(existing) && isJsonObject(incoming) && existing.some(isJsonObject)) {
    return existing.map((element) => (isJsonObject(element) ? mergeValues(element, incoming) : element));
  }
  if (Array.isArray(incoming) && isJsonObject(existing) && incoming.some(isJsonObject)) {
    return incoming.map((element) => (isJsonObject(element) ? mergeValues(existing, element) : element));
  }
  return [...toList(existing), ...toList(incoming)];
}

function toList(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [value];
}
