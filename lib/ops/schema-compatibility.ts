import type { JsonSchemaDocument } from "../catalog/json-schema";

/**
 * Compatibility of event schemas: which changes between two draft-04 JSON Schemas of one event
 * type break the events or the consumers already out there, and which only add to them.
 *
 * A change is **breaking** when an event valid under the old schema may be invalid under the new
 * one (a narrowed enum, a tightened pattern, a lowered maximum, a new required field), or when a
 * consumer written against the old schema may miss what it reads (a removed or renamed field, a
 * changed type, a required field made optional). A change is **compatible** when it only adds (a
 * new optional field, a widened enum, a new event type) or relaxes a constraint. Descriptions,
 * titles, examples and `x-` annotations are not part of the contract and are ignored.
 */

/** Whether a change breaks existing events or consumers. */
export type ChangeSeverity = "breaking" | "compatible";

/** What changed, one name per rule. */
export type SchemaChangeKind =
  | "event-type-removed"
  | "event-type-added"
  | "field-removed"
  | "field-added"
  | "required-field-added"
  | "field-made-required"
  | "field-made-optional"
  | "type-changed"
  | "enum-narrowed"
  | "enum-widened"
  | "pattern-tightened"
  | "format-tightened"
  | "bound-tightened"
  | "additional-properties-closed"
  | "constraint-relaxed"
  | "unreviewable-change";

/** One difference between two schemas of an event type. */
export interface SchemaChange {
  readonly severity: ChangeSeverity;
  readonly kind: SchemaChangeKind;
  /** JSONPath of the value in the event, e.g. `$.detail.data.items[*].sku`; `$` for the event itself. */
  readonly path: string;
  /** One line: what changed, with the old and new values. */
  readonly message: string;
}

/** How one event type compares, by its registry schema name `${source}@${detailType}`. */
export interface EventTypeComparison {
  readonly schemaName: string;
  readonly status: "added" | "removed" | "changed" | "unchanged";
  /** Every difference, breaking ones first; empty when unchanged. */
  readonly changes: readonly SchemaChange[];
}

/** The comparison of two sets of event schemas. */
export interface CompatibilityReport {
  /** Whether any change is breaking. */
  readonly breaking: boolean;
  /** Every event type of either side, sorted by schema name. */
  readonly eventTypes: readonly EventTypeComparison[];
}

type SchemaNode = Readonly<Record<string, unknown>>;

/** Keywords that do not constrain the data. */
const ANNOTATIONS = new Set(["title", "description", "$schema", "id", "default", "example", "examples"]);

/** Keywords this checker compares rule by rule; any other keyword that differs is flagged for review. */
const COMPARED = new Set([
  "type",
  "enum",
  "pattern",
  "format",
  "properties",
  "required",
  "additionalProperties",
  "items",
  "minimum",
  "exclusiveMinimum",
  "maximum",
  "exclusiveMaximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "multipleOf",
  "uniqueItems",
]);

/** Size bounds where a higher new value is tighter. */
const LOWER_BOUNDS = ["minLength", "minItems", "minProperties"] as const;
/** Size bounds where a lower new value is tighter. */
const UPPER_BOUNDS = ["maxLength", "maxItems", "maxProperties"] as const;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function childPath(path: string, name: string): string {
  return IDENTIFIER.test(name) ? `${path}.${name}` : `${path}[${JSON.stringify(name)}]`;
}

function isNode(value: unknown): value is SchemaNode {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Deep equality of JSON values, ignoring key order. */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => sameJson(item, b[i]));
  }
  if (isNode(a) && isNode(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && sameJson(a[k], b[k]))
    );
  }
  return false;
}

/** The node without its annotations, so that two fields differing only in description compare equal. */
function contract(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(contract);
  if (!isNode(node)) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key]) => !ANNOTATIONS.has(key) && !key.startsWith("x-"))
      .map(([key, value]) => {
        // `enum` holds data, not schemas; `properties` is keyed by field names, and a field may be called "title".
        if (key === "enum") return [key, value];
        if (key === "properties" && isNode(value)) return [key, mapValues(value, contract)];
        return [key, contract(value)];
      }),
  );
}

function mapValues(node: SchemaNode, map: (value: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, map(value)]));
}

function show(value: unknown): string {
  return value === undefined ? "none" : JSON.stringify(value);
}

function typesOf(node: SchemaNode): string[] | undefined {
  const type = node.type;
  if (type === undefined) return undefined;
  return (Array.isArray(type) ? type.map(String) : [String(type)]).sort();
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

function numberOf(node: SchemaNode, key: string): number | undefined {
  const value = node[key];
  return typeof value === "number" ? value : undefined;
}

/** A numeric bound, draft-04 style: the value, and whether the value itself is excluded. */
interface Bound {
  readonly value: number;
  readonly exclusive: boolean;
}

function boundOf(node: SchemaNode, key: string, exclusiveKey?: string): Bound | undefined {
  const value = numberOf(node, key);
  if (value === undefined) return undefined;
  return { value, exclusive: exclusiveKey !== undefined && node[exclusiveKey] === true };
}

function showBound(bound: Bound | undefined): string {
  if (bound === undefined) return "none";
  return bound.exclusive ? `${bound.value} (exclusive)` : String(bound.value);
}

/**
 * How a bound moved: `tightened` when the new one admits fewer values. For a lower bound (`sign`
 * 1) a higher value is tighter; for an upper bound (`sign` -1) a lower one; at the same value an
 * exclusive bound is tighter than an inclusive one; no bound at all is the loosest.
 */
function boundMove(
  previous: Bound | undefined,
  next: Bound | undefined,
  sign: 1 | -1,
): "tightened" | "relaxed" | "same" {
  if (previous === undefined && next === undefined) return "same";
  if (previous === undefined) return "tightened";
  if (next === undefined) return "relaxed";
  const delta = (next.value - previous.value) * sign;
  if (delta !== 0) return delta > 0 ? "tightened" : "relaxed";
  if (previous.exclusive === next.exclusive) return "same";
  return next.exclusive ? "tightened" : "relaxed";
}

/** Collects the changes of one event type's schema. */
class SchemaComparer {
  readonly changes: SchemaChange[] = [];

  private add(severity: ChangeSeverity, kind: SchemaChangeKind, path: string, message: string): void {
    this.changes.push({ severity, kind, path, message });
  }

  compare(previous: unknown, next: unknown, path: string): void {
    if (!isNode(previous) || !isNode(next)) {
      if (!sameJson(contract(previous), contract(next))) {
        this.add(
          "breaking",
          "unreviewable-change",
          path,
          `schema changed from ${show(previous)} to ${show(next)}`,
        );
      }
      return;
    }
    const previousTypes = typesOf(previous);
    const nextTypes = typesOf(next);
    if (!sameJson(previousTypes, nextTypes)) {
      // The other keywords of a node apply to its type; once the type changed they mean something else.
      this.add(
        "breaking",
        "type-changed",
        path,
        `type changed from ${previousTypes?.join("|") ?? "any"} to ${nextTypes?.join("|") ?? "any"}`,
      );
      return;
    }
    this.compareEnum(previous, next, path);
    this.compareStringRules(previous, next, path);
    this.compareBounds(previous, next, path);
    this.compareObject(previous, next, path);
    this.compareItems(previous, next, path);
    this.compareUnreviewable(previous, next, path);
  }

  private compareEnum(previous: SchemaNode, next: SchemaNode, path: string): void {
    if (previous.enum === undefined && next.enum === undefined) return;
    if (!Array.isArray(next.enum)) {
      this.add("compatible", "constraint-relaxed", path, `enum ${show(previous.enum)} removed`);
      return;
    }
    if (!Array.isArray(previous.enum)) {
      this.add(
        "breaking",
        "enum-narrowed",
        path,
        `enum ${show(next.enum)} added where any value was allowed`,
      );
      return;
    }
    const previousValues = previous.enum;
    const nextValues = next.enum;
    const removed = previousValues.filter((value) => !nextValues.some((other) => sameJson(value, other)));
    const added = nextValues.filter((value) => !previousValues.some((other) => sameJson(value, other)));
    if (removed.length > 0) {
      this.add("breaking", "enum-narrowed", path, `enum no longer allows ${removed.map(show).join(", ")}`);
    }
    if (added.length > 0) {
      this.add("compatible", "enum-widened", path, `enum now also allows ${added.map(show).join(", ")}`);
    }
  }

  private compareStringRules(previous: SchemaNode, next: SchemaNode, path: string): void {
    for (const [key, kind] of [
      ["pattern", "pattern-tightened"],
      ["format", "format-tightened"],
    ] as const) {
      const before = previous[key];
      const after = next[key];
      if (sameJson(before, after)) continue;
      if (after === undefined) {
        this.add("compatible", "constraint-relaxed", path, `${key} ${show(before)} removed`);
      } else {
        // Whether one regular expression accepts everything another does is undecidable in general.
        this.add("breaking", kind, path, `${key} changed from ${show(before)} to ${show(after)}`);
      }
    }
  }

  private compareBounds(previous: SchemaNode, next: SchemaNode, path: string): void {
    const report = (name: string, before: Bound | undefined, after: Bound | undefined, sign: 1 | -1) => {
      const move = boundMove(before, after, sign);
      if (move === "same") return;
      const message = `${name} changed from ${showBound(before)} to ${showBound(after)}`;
      if (move === "tightened") this.add("breaking", "bound-tightened", path, message);
      else this.add("compatible", "constraint-relaxed", path, message);
    };
    report(
      "minimum",
      boundOf(previous, "minimum", "exclusiveMinimum"),
      boundOf(next, "minimum", "exclusiveMinimum"),
      1,
    );
    report(
      "maximum",
      boundOf(previous, "maximum", "exclusiveMaximum"),
      boundOf(next, "maximum", "exclusiveMaximum"),
      -1,
    );
    for (const key of LOWER_BOUNDS) report(key, boundOf(previous, key), boundOf(next, key), 1);
    for (const key of UPPER_BOUNDS) report(key, boundOf(previous, key), boundOf(next, key), -1);

    const multipleBefore = numberOf(previous, "multipleOf");
    const multipleAfter = numberOf(next, "multipleOf");
    if (multipleBefore !== multipleAfter) {
      const message = `multipleOf changed from ${show(multipleBefore)} to ${show(multipleAfter)}`;
      // Every multiple of the old divisor stays valid exactly when the new divisor divides the old one.
      const relaxed =
        multipleAfter === undefined ||
        (multipleBefore !== undefined && Number.isInteger(multipleBefore / multipleAfter));
      if (relaxed) this.add("compatible", "constraint-relaxed", path, message);
      else this.add("breaking", "bound-tightened", path, message);
    }
    if (previous.uniqueItems !== true && next.uniqueItems === true) {
      this.add("breaking", "bound-tightened", path, "uniqueItems added");
    } else if (previous.uniqueItems === true && next.uniqueItems !== true) {
      this.add("compatible", "constraint-relaxed", path, "uniqueItems removed");
    }
  }

  private compareObject(previous: SchemaNode, next: SchemaNode, path: string): void {
    const previousProperties = isNode(previous.properties) ? previous.properties : {};
    const nextProperties = isNode(next.properties) ? next.properties : {};
    const previousRequired = new Set(stringsOf(previous.required));
    const nextRequired = new Set(stringsOf(next.required));
    const removed = Object.keys(previousProperties).filter((name) => !Object.hasOwn(nextProperties, name));
    const added = Object.keys(nextProperties).filter((name) => !Object.hasOwn(previousProperties, name));

    for (const name of removed) {
      const renamedTo = added.filter((other) =>
        sameJson(contract(previousProperties[name]), contract(nextProperties[other])),
      );
      const hint = renamedTo.length === 1 ? ` (renamed to ${JSON.stringify(renamedTo[0])}?)` : "";
      this.add("breaking", "field-removed", childPath(path, name), `field removed${hint}`);
    }
    for (const name of added) {
      if (nextRequired.has(name)) {
        this.add("breaking", "required-field-added", childPath(path, name), "new required field");
      } else {
        this.add("compatible", "field-added", childPath(path, name), "new optional field");
      }
    }
    for (const name of Object.keys(previousProperties)) {
      if (!Object.hasOwn(nextProperties, name)) continue;
      const fieldPath = childPath(path, name);
      if (!previousRequired.has(name) && nextRequired.has(name)) {
        this.add("breaking", "field-made-required", fieldPath, "optional field is now required");
      } else if (previousRequired.has(name) && !nextRequired.has(name)) {
        this.add(
          "breaking",
          "field-made-optional",
          fieldPath,
          "required field is now optional; consumers reading it may find it missing",
        );
      }
      this.compare(previousProperties[name], nextProperties[name], fieldPath);
    }
    // `required` may also name fields that `properties` does not describe.
    for (const name of nextRequired) {
      if (
        previousRequired.has(name) ||
        Object.hasOwn(nextProperties, name) ||
        Object.hasOwn(previousProperties, name)
      ) {
        continue;
      }
      this.add("breaking", "required-field-added", childPath(path, name), "new required field");
    }

    const closedBefore = previous.additionalProperties === false;
    const closedAfter = next.additionalProperties === false;
    if (!closedBefore && closedAfter) {
      this.add(
        "breaking",
        "additional-properties-closed",
        path,
        "additionalProperties is now false: unknown fields are refused",
      );
    } else if (closedBefore && !closedAfter) {
      this.add(
        "compatible",
        "constraint-relaxed",
        path,
        "additionalProperties false removed: unknown fields are allowed",
      );
    } else if (!sameJson(contract(previous.additionalProperties), contract(next.additionalProperties))) {
      this.compare(previous.additionalProperties ?? {}, next.additionalProperties ?? {}, `${path}.*`);
    }
  }

  private compareItems(previous: SchemaNode, next: SchemaNode, path: string): void {
    const before = previous.items;
    const after = next.items;
    if (before === undefined && after === undefined) return;
    if (Array.isArray(before) && Array.isArray(after)) {
      // Tuple validation: position i of the array follows schema i.
      for (let i = 0; i < Math.max(before.length, after.length); i++) {
        this.compare(before[i] ?? {}, after[i] ?? {}, `${path}[${i}]`);
      }
      return;
    }
    if (Array.isArray(before) || Array.isArray(after)) {
      this.add(
        "breaking",
        "unreviewable-change",
        path,
        "items changed between a list of schemas and one schema",
      );
      return;
    }
    this.compare(before ?? {}, after ?? {}, `${path}[*]`);
  }

  private compareUnreviewable(previous: SchemaNode, next: SchemaNode, path: string): void {
    const keys = new Set([...Object.keys(previous), ...Object.keys(next)]);
    for (const key of keys) {
      if (COMPARED.has(key) || ANNOTATIONS.has(key) || key.startsWith("x-")) continue;
      if (!sameJson(contract(previous[key]), contract(next[key]))) {
        this.add(
          "breaking",
          "unreviewable-change",
          path,
          `${key} changed; this checker does not compare ${key}, so review it by hand`,
        );
      }
    }
  }
}

/** Breaking changes first, then by path, so a report reads top-down. */
function byImportance(a: SchemaChange, b: SchemaChange): number {
  if (a.severity !== b.severity) return a.severity === "breaking" ? -1 : 1;
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}

/**
 * Every difference that matters between two draft-04 JSON Schemas of one event type, breaking
 * ones first. Pure: no I/O, the documents are not modified.
 *
 * @param previous the schema events and consumers rely on today (the deployed or exported one)
 * @param next the schema about to replace it (the catalog's)
 */
export function compareSchemas(previous: JsonSchemaDocument, next: JsonSchemaDocument): SchemaChange[] {
  const comparer = new SchemaComparer();
  comparer.compare(previous, next, "$");
  return comparer.changes.sort(byImportance);
}

/**
 * Compares two sets of event schemas by schema name: a type only in `previous` was removed
 * (breaking), a type only in `next` was added (compatible), and the types in both are compared
 * with {@link compareSchemas}.
 */
export function compareSchemaSets(
  previous: ReadonlyMap<string, JsonSchemaDocument>,
  next: ReadonlyMap<string, JsonSchemaDocument>,
): CompatibilityReport {
  const names = [...new Set([...previous.keys(), ...next.keys()])].sort();
  const eventTypes = names.map((schemaName): EventTypeComparison => {
    const before = previous.get(schemaName);
    const after = next.get(schemaName);
    if (after === undefined) {
      return {
        schemaName,
        status: "removed",
        changes: [
          { severity: "breaking", kind: "event-type-removed", path: "$", message: "event type removed" },
        ],
      };
    }
    if (before === undefined) {
      return {
        schemaName,
        status: "added",
        changes: [{ severity: "compatible", kind: "event-type-added", path: "$", message: "new event type" }],
      };
    }
    const changes = compareSchemas(before, after);
    return { schemaName, status: changes.length === 0 ? "unchanged" : "changed", changes };
  });
  return {
    breaking: eventTypes.some((t) => t.changes.some((c) => c.severity === "breaking")),
    eventTypes,
  };
}
