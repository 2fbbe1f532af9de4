import { TemplateResolutionError, UnsupportedFeatureError } from "./errors";
import type { PropertyPath, TemplateResolver } from "./template-resolver";
import {
  describeValue,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type TemplatePath,
} from "./template-types";

/** The range a whole-number property must fall in, as the service documents it. */
export interface IntegerRange {
  readonly min: number;
  readonly max: number;
  /** Appended to the numbers in messages: `s`, `bytes`. */
  readonly unit?: string;
}

/** The fix of a property that is wrong in the template. */
const FIX_PROPERTY = "Correct the property (or the construct that renders it) and run `npm run synth`";

/**
 * The properties of one resource, read through the resolver: every getter resolves only the
 * property it reads, checks its type and range, and names the property path in its error.
 */
export class ResourceProperties {
  constructor(
    private readonly resolver: TemplateResolver,
    /** The resource's logical id. */
    public readonly logicalId: string,
    /** The resource's type, e.g. `AWS::SQS::Queue`. */
    public readonly type: string,
  ) {}

  /** The template path of a property of this resource. */
  pathOf(path: PropertyPath): TemplatePath {
    return ["Resources", this.logicalId, "Properties", ...path];
  }

  /** The property, resolved; `undefined` when absent. */
  get(path: PropertyPath): JsonValue | undefined {
    return this.resolver.resolveProperty(this.logicalId, path);
  }

  /** The indexes of the items of a list property, to read each item on its own; `[]` when absent. */
  indexes(path: PropertyPath): readonly number[] {
    return this.resolver.propertyListIndexes(this.logicalId, path) ?? [];
  }

  /** The resource's physical name (or id): the template's, or a generated one. */
  name(): string {
    return this.resolver.physicalName(this.logicalId, ["Resources", this.logicalId]);
  }

  /** What `Fn::GetAtt` returns for `attribute` of this resource, e.g. its `Arn`. */
  attribute(attribute: string): string {
    const path = ["Resources", this.logicalId];
    const value = this.resolver.getAttribute(this.logicalId, attribute, path);
    if (typeof value !== "string")
      return this.invalid([], `attribute ${attribute} is ${describeValue(value)}, not a string`);
    return value;
  }

  /** A string property; numbers and booleans become strings, as CloudFormation converts them. */
  string(path: PropertyPath): string | undefined {
    const value = this.get(path);
    if (value === undefined) return undefined;
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return this.invalid(path, `${describeValue(value)} is not a string`);
  }

  /** Checks a value already read (a field of a JSON document): a string. */
  checkString(path: PropertyPath, value: JsonValue | undefined): string {
    if (typeof value === "string") return value;
    if (value === undefined) return this.invalid(path, `missing; ${this.type} requires it`);
    return this.invalid(path, `${describeValue(value)} is not a string`);
  }

  /** A string property the resource cannot do without. */
  requiredString(path: PropertyPath): string {
    const value = this.string(path);
    if (value === undefined) return this.invalid(path, `missing; ${this.type} requires it`);
    return value;
  }

  /** A whole-number property in `range`; `fallback` (the service's default) when absent. */
  integer(path: PropertyPath, fallback: number, range: IntegerRange): number {
    const value = this.optionalInteger(path, range);
    return value ?? fallback;
  }

  /** A whole-number property in `range`, `undefined` when absent. Numeric strings are accepted. */
  optionalInteger(path: PropertyPath, range: IntegerRange): number | undefined {
    const value = this.get(path);
    return value === undefined ? undefined : this.checkInteger(path, value, range);
  }

  /**
   * Checks a value already read (a field of a JSON document such as a redrive policy): a whole
   * number in `range`, or a string holding one.
   */
  checkInteger(path: PropertyPath, value: JsonValue, range: IntegerRange): number {
    const number = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    const unit = range.unit === undefined ? "" : ` ${range.unit}`;
    if (typeof number !== "number" || !Number.isInteger(number) || number < range.min || number > range.max) {
      return this.invalid(
        path,
        `${describeValue(value)} is not a whole number from ${range.min} to ${range.max}${unit}`,
      );
    }
    return number;
  }

  /** A boolean property (`true`, `false` or those words as strings); `fallback` when absent. */
  boolean(path: PropertyPath, fallback: boolean): boolean {
    const value = this.get(path);
    if (value === undefined) return fallback;
    if (value === true || value === "true") return true;
    if (value === false || value === "false") return false;
    return this.invalid(path, `${describeValue(value)} is not true or false`);
  }

  /** An object property; `undefined` when absent. */
  object(path: PropertyPath): JsonObject | undefined {
    const value = this.get(path);
    if (value === undefined || isJsonObject(value)) return value;
    return this.invalid(path, `${describeValue(value)} is not an object`);
  }

  /** A list property; `undefined` when absent. */
  list(path: PropertyPath): readonly JsonValue[] | undefined {
    const value = this.get(path);
    if (value === undefined || Array.isArray(value)) return value;
    return this.invalid(path, `${describeValue(value)} is not a list`);
  }

  /**
   * A JSON document that CloudFormation takes either as an object or as a JSON string (an event
   * pattern, a redrive policy); `undefined` when absent.
   */
  document(path: PropertyPath): JsonObject | undefined {
    const value = this.get(path);
    if (value === undefined || isJsonObject(value)) return value;
    if (typeof value === "string") {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch (cause) {
        return this.invalid(path, `${describeValue(value)} is not valid JSON`, cause);
      }
      if (isJsonObject(parsed)) return parsed;
    }
    return this.invalid(path, `${describeValue(value)} is neither a JSON object nor a string holding one`);
  }

  /**
   * Throws {@link TemplateResolutionError}: the property at `path` is wrong, as `problem` says
   * (naming the value found and the value expected).
   */
  invalid(path: PropertyPath, problem: string, cause?: unknown): never {
    throw new TemplateResolutionError(
      { path: this.pathOf(path), problem, fix: FIX_PROPERTY },
      cause === undefined ? undefined : { cause },
    );
  }

  /** Throws {@link UnsupportedFeatureError}: the local pipeline refuses what the property asks for. */
  unsupported(path: PropertyPath, problem: string, fix: string): never {
    throw new UnsupportedFeatureError({ path: this.pathOf(path), problem, fix });
  }
}
