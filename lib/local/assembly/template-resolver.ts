import type { LocalEnvironment } from "./arns";
import { TemplateResolutionError, UnsupportedFeatureError } from "./errors";
import { checkName, deterministicUuid, generatedName, lenientNaming } from "./physical-names";
import { type IdentityContext, resourceIdentities } from "./resource-identities";
import {
  type CloudFormationTemplate,
  describeValue,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type TemplatePath,
  type TemplateResource,
} from "./template-types";

/** `AWS::NoValue`: the property (or list item) holding it is removed. */
export const NO_VALUE: unique symbol = Symbol("AWS::NoValue");

/** A resolved template value, or {@link NO_VALUE} where the template removes the value. */
export type ResolvedValue = JsonValue | typeof NO_VALUE;

/** A path inside a resource's `Properties`: `["Targets", 0, "Arn"]`. */
export type PropertyPath = readonly (string | number)[];

const CONDITION_FUNCTIONS = new Set(["Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not", "Fn::Contains"]);
/** How many availability zones `Fn::GetAZs` reports: three, as most regions have at least. */
const LOCAL_AVAILABILITY_ZONES = ["a", "b", "c"];

/** The intrinsic function an object calls, when it is one: a single key, `Ref` or `Fn::*`. */
function intrinsicOf(value: JsonObject): [name: string, argument: JsonValue] | undefined {
  const keys = Object.keys(value);
  const [name] = keys;
  if (keys.length !== 1 || name === undefined) return undefined;
  if (name !== "Ref" && !name.startsWith("Fn::")) return undefined;
  const argument = value[name];
  return argument === undefined ? undefined : [name, argument];
}

function fail(path: TemplatePath, problem: string, fix: string): never {
  throw new TemplateResolutionError({ path, problem, fix });
}

function refuse(path: TemplatePath, problem: string, fix: string): never {
  throw new UnsupportedFeatureError({ path, problem, fix });
}

/**
 * Resolves the intrinsic functions of one template to local values: `Ref` (resources, parameters,
 * pseudo parameters), `Fn::GetAtt`, `Fn::Join`, `Fn::Sub` (both forms), `Fn::Select`, `Fn::Split`,
 * `Fn::If` with the `Conditions` it names, `Fn::FindInMap`, `Fn::Base64`, `Fn::GetAZs`,
 * `Fn::ToJsonString` and `Fn::Length`. `Fn::ImportValue` and functions it does not know are refused.
 *
 * It resolves lazily, one property at a time, so what the local pipeline does not read (IAM policy
 * documents, say) never has to resolve. Physical names are computed on first use and kept.
 */
export class TemplateResolver {
  private readonly conditions = new Map<string, boolean>();
  private readonly conditionsInProgress = new Set<string>();
  private readonly names = new Map<string, string>();
  private readonly namesInProgress = new Set<string>();

  constructor(
    private readonly template: CloudFormationTemplate,
    /** The local account, region, stack name and endpoint. */
    public readonly env: LocalEnvironment,
    /** Values given for template parameters, by name. */
    private readonly parameterValues: Readonly<Record<string, string>> = {},
  ) {}

  /** Resolves `value` completely; `path` is where it sits, for messages. */
  resolve(value: JsonValue, path: TemplatePath): ResolvedValue {
    if (Array.isArray(value)) {
      const items: JsonValue[] = [];
      value.forEach((item: JsonValue, index) => {
        const resolved = this.resolve(item, [...path, index]);
        if (resolved !== NO_VALUE) items.push(resolved);
      });
      return items;
    }
    if (isJsonObject(value)) {
      const intrinsic = intrinsicOf(value);
      if (intrinsic !== undefined) return this.call(intrinsic[0], intrinsic[1], [...path, intrinsic[0]]);
      const entries: [string, JsonValue][] = [];
      for (const [key, item] of Object.entries(value)) {
        const resolved = this.resolve(item, [...path, key]);
        if (resolved !== NO_VALUE) entries.push([key, resolved]);
      }
      return Object.fromEntries(entries);
    }
    return value;
  }

  /**
   * A property of a resource, resolved; `undefined` when the template does not set it (or removes
   * it with `AWS::NoValue`). Only the intrinsics along `propertyPath` and below it are resolved.
   */
  resolveProperty(logicalId: string, propertyPath: PropertyPath): JsonValue | undefined {
    const located = this.locate(logicalId, propertyPath);
    if (located === undefined) return undefined;
    const value = located.resolved ? located.value : this.resolve(located.value, located.path);
    return value === NO_VALUE ? undefined : value;
  }

  /**
   * The indexes of the items of a list property that exist (`AWS::NoValue` removes items), so each
   * item can be read on its own with {@link resolveProperty}; `undefined` when the list is absent.
   */
  propertyListIndexes(logicalId: string, propertyPath: PropertyPath): number[] | undefined {
    const located = this.locate(logicalId, propertyPath);
    if (located === undefined) return undefined;
    const list = located.resolved ? located : this.resolveShallow(located.value, located.path);
    if (list.value === NO_VALUE) return undefined;
    if (!Array.isArray(list.value)) {
      return fail(located.path, `expected a list here, found ${describeValue(list.value)}`, fixTemplate);
    }
    const items: readonly JsonValue[] = list.value;
    return items.flatMap((item, index) => {
      if (list.resolved) return [index];
      return this.resolveShallow(item, [...located.path, index]).value === NO_VALUE ? [] : [index];
    });
  }

  /**
   * Walks the raw properties along `propertyPath`, resolving only the intrinsics met on the way
   * (an `Fn::If` around a whole object, say). `resolved` tells whether `value` is already resolved.
   */
  private locate(
    logicalId: string,
    propertyPath: PropertyPath,
  ): { value: JsonValue; path: TemplatePath; resolved: boolean } | undefined {
    let node: ResolvedValue | undefined = this.template.Resources[logicalId]?.Properties;
    let path: TemplatePath = ["Resources", logicalId, "Properties"];
    let resolved = false;
    for (const step of propertyPath) {
      if (node === undefined || node === NO_VALUE) return undefined;
      if (!resolved) {
        const shallow = this.resolveShallow(node, path);
        resolved = shallow.resolved;
        node = shallow.value;
        if (node === NO_VALUE) return undefined;
      }
      path = [...path, step];
      if (typeof step === "number") {
        if (!Array.isArray(node))
          return fail(path, `expected a list here, found ${describeValue(node)}`, fixTemplate);
        node = node[step];
      } else {
        if (!isJsonObject(node))
          return fail(path, `expected an object here, found ${describeValue(node)}`, fixTemplate);
        node = node[step];
      }
    }
    if (node === undefined || node === NO_VALUE) return undefined;
    return { value: node, path, resolved };
  }

  /** Whether a resource exists: it has no `Condition`, or its condition holds. */
  isCreated(logicalId: string): boolean {
    const condition = this.template.Resources[logicalId]?.Condition;
    return condition === undefined || this.conditionHolds(condition, ["Resources", logicalId, "Condition"]);
  }

  /** Evaluates a condition of the `Conditions` section. */
  conditionHolds(name: string, path: TemplatePath): boolean {
    const known = this.conditions.get(name);
    if (known !== undefined) return known;
    const expression = this.template.Conditions[name];
    if (expression === undefined) {
      return fail(
        path,
        `condition "${name}" is not declared in Conditions (declared: ${listOrNone(Object.keys(this.template.Conditions))})`,
        "Declare the condition or correct its name",
      );
    }
    if (this.conditionsInProgress.has(name)) {
      return fail(path, `condition "${name}" depends on itself`, "Break the cycle between the conditions");
    }
    this.conditionsInProgress.add(name);
    try {
      const holds = this.evaluateCondition(expression, ["Conditions", name]);
      this.conditions.set(name, holds);
      return holds;
    } finally {
      this.conditionsInProgress.delete(name);
    }
  }

  /** The physical name (or id) of a resource: the template's, or a generated one. */
  physicalName(logicalId: string, path: TemplatePath): string {
    const known = this.names.get(logicalId);
    if (known !== undefined) return known;
    const resource = this.requireResource(logicalId, path, "Ref");
    if (this.namesInProgress.has(logicalId)) {
      return fail(
        path,
        `the name of ${logicalId} depends on itself`,
        "Break the reference cycle in the template",
      );
    }
    this.namesInProgress.add(logicalId);
    try {
      const name = this.nameOf(logicalId, resource);
      this.names.set(logicalId, name);
      return name;
    } finally {
      this.namesInProgress.delete(logicalId);
    }
  }

  private nameOf(logicalId: string, resource: TemplateResource): string {
    const spec = resourceIdentities[resource.Type];
    if (spec?.generatedId === "uuid") return deterministicUuid(this.env.stackName, logicalId);
    if (spec?.nameProperty !== undefined) {
      const namePath: TemplatePath = ["Resources", logicalId, "Properties", ...spec.nameProperty];
      const explicit = this.resolveProperty(logicalId, spec.nameProperty);
      if (explicit !== undefined) {
        if (typeof explicit !== "string") {
          return fail(namePath, `the name is ${describeValue(explicit)}; expected a string`, fixTemplate);
        }
        const problem = spec.checkExplicitName && spec.naming ? checkName(explicit, spec.naming) : undefined;
        if (problem !== undefined) return fail(namePath, problem, "Give the resource a valid name");
        return explicit;
      }
    }
    return generatedName(this.env.stackName, logicalId, spec?.naming ?? lenientNaming);
  }

  /** An intrinsic function resolved at `path` (which ends with the function's name). */
  private resolveShallow(value: JsonValue, path: TemplatePath): { value: ResolvedValue; resolved: boolean } {
    if (!isJsonObject(value)) return { value, resolved: false };
    const intrinsic = intrinsicOf(value);
    if (intrinsic === undefined) return { value, resolved: false };
    return { value: this.call(intrinsic[0], intrinsic[1], [...path, intrinsic[0]]), resolved: true };
  }

  private call(name: string, argument: JsonValue, path: TemplatePath): ResolvedValue {
    switch (name) {
      case "Ref":
        return this.ref(argument, path);
      case "Fn::GetAtt":
        return this.getAtt(argument, path);
      case "Fn::Join":
        return this.join(argument, path);
      case "Fn::Sub":
        return this.sub(argument, path);
      case "Fn::Select":
        return this.select(argument, path);
      case "Fn::Split":
        return this.split(argument, path);
      case "Fn::If":
        return this.if(argument, path);
      case "Fn::FindInMap":
        return this.findInMap(argument, path);
      case "Fn::Base64":
        return Buffer.from(this.resolveString(argument, path, name)).toString("base64");
      case "Fn::GetAZs": {
        const region = this.resolveString(argument, path, name);
        return LOCAL_AVAILABILITY_ZONES.map((zone) => `${region === "" ? this.env.region : region}${zone}`);
      }
      case "Fn::ToJsonString":
        return JSON.stringify(this.resolveRequired(argument, path, name));
      case "Fn::Length":
        return this.resolveList(argument, path, name).length;
      case "Fn::ImportValue":
        return refuse(
          path,
          `Fn::ImportValue ${describeValue(argument)} reads an export of another stack, which the local pipeline does not run`,
          "Refer to the resource within this stack, or pass the value in as a template parameter (the parameters option)",
        );
      default:
        if (CONDITION_FUNCTIONS.has(name)) {
          return fail(
            path,
            `${name} is a condition function; CloudFormation accepts it only in the Conditions section`,
            "Declare the condition in Conditions and use it through Fn::If",
          );
        }
        return refuse(
          path,
          `the local pipeline does not evaluate ${name}`,
          "Use Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split, Fn::If, Fn::FindInMap, Fn::Base64, Fn::GetAZs, Fn::ToJsonString or Fn::Length instead",
        );
    }
  }

  private ref(argument: JsonValue, path: TemplatePath): ResolvedValue {
    if (typeof argument !== "string") {
      return fail(path, `Ref takes a name, got ${describeValue(argument)}`, fixTemplate);
    }
    const pseudo = this.pseudoParameter(argument);
    if (pseudo !== undefined) return pseudo;
    if (Object.hasOwn(this.template.Parameters, argument)) return this.parameter(argument, path);
    const spec = resourceIdentities[this.requireResource(argument, path, "Ref").Type];
    const context = this.identityContext(argument, path);
    return spec?.ref ? spec.ref(context) : context.name;
  }

  private pseudoParameter(name: string): ResolvedValue | undefined {
    switch (name) {
      case "AWS::AccountId":
        return this.env.accountId;
      case "AWS::Region":
        return this.env.region;
      case "AWS::Partition":
        return this.env.partition;
      case "AWS::URLSuffix":
        return this.env.urlSuffix;
      case "AWS::StackName":
        return this.env.stackName;
      case "AWS::StackId":
        return `arn:${this.env.partition}:cloudformation:${this.env.region}:${this.env.accountId}:stack/${this.env.stackName}/${deterministicUuid(this.env.stackName, "AWS::StackId")}`;
      case "AWS::NotificationARNs":
        return [];
      case "AWS::NoValue":
        return NO_VALUE;
      default:
        return undefined;
    }
  }

  private parameter(name: string, path: TemplatePath): JsonValue {
    const declaration = this.template.Parameters[name];
    const type = declaration?.Type ?? "String";
    const given = this.parameterValues[name];
    let value: string;
    if (given !== undefined) {
      value = given;
    } else if (type.startsWith("AWS::SSM::Parameter::Value<")) {
      return fail(
        path,
        `parameter ${name} (${type}) takes its value from SSM Parameter Store at deployment, which the local pipeline cannot read`,
        `Pass its value in the parameters option: { ${name}: "..." }`,
      );
    } else if (declaration?.Default === undefined || declaration.Default === null) {
      return fail(
        path,
        `parameter ${name} has no Default`,
        `Pass its value in the parameters option: { ${name}: "..." }`,
      );
    } else {
      value = String(declaration.Default);
    }
    const isList = type === "CommaDelimitedList" || type.includes("List<");
    return isList ? value.split(",").map((item) => item.trim()) : value;
  }

  private getAtt(argument: JsonValue, path: TemplatePath): JsonValue {
    let logicalId: string;
    let attribute: string;
    if (typeof argument === "string" && argument.includes(".")) {
      const dot = argument.indexOf(".");
      logicalId = argument.slice(0, dot);
      attribute = argument.slice(dot + 1);
    } else if (Array.isArray(argument) && argument.length === 2 && typeof argument[0] === "string") {
      logicalId = argument[0];
      attribute = this.resolveString(argument[1] ?? null, [...path, 1], "Fn::GetAtt");
    } else {
      return fail(
        path,
        `Fn::GetAtt takes [logicalId, attribute] or "logicalId.attribute", got ${describeValue(argument)}`,
        fixTemplate,
      );
    }
    return this.getAttribute(logicalId, attribute, path);
  }

  /** What `Fn::GetAtt` returns for `attribute` of the resource `logicalId`; `path` is for messages. */
  getAttribute(logicalId: string, attribute: string, path: TemplatePath): JsonValue {
    const resource = this.requireResource(logicalId, path, "Fn::GetAtt");
    const attributes = resourceIdentities[resource.Type]?.attributes ?? {};
    const rule = attributes[attribute];
    if (rule === undefined) {
      return fail(
        path,
        `Fn::GetAtt ${logicalId}.${attribute} has no local value: the reader knows ${listOrNone(Object.keys(attributes))} of ${resource.Type}`,
        "Refer to a known attribute, or teach lib/local/assembly/resource-identities.ts this one",
      );
    }
    return rule(this.identityContext(logicalId, path));
  }

  private identityContext(logicalId: string, path: TemplatePath): IdentityContext {
    return {
      logicalId,
      name: this.physicalName(logicalId, path),
      env: this.env,
      property: (propertyPath) => this.resolveProperty(logicalId, propertyPath),
      unavailable: (reason, fix) => fail(path, `${logicalId}: ${reason}`, fix),
    };
  }

  private requireResource(logicalId: string, path: TemplatePath, via: string): TemplateResource {
    const resource = this.template.Resources[logicalId];
    if (resource === undefined) {
      return fail(
        path,
        `${via} "${logicalId}" names no resource, parameter or pseudo parameter of the template`,
        "Correct the logical id, or declare the resource in this stack",
      );
    }
    if (resource.Condition !== undefined && !this.isCreated(logicalId)) {
      return fail(
        path,
        `${via} "${logicalId}" names a resource that is not created: its condition ${resource.Condition} is false`,
        "Guard the reference with Fn::If on the same condition",
      );
    }
    return resource;
  }

  private join(argument: JsonValue, path: TemplatePath): string {
    if (!Array.isArray(argument) || argument.length !== 2 || typeof argument[0] !== "string") {
      return fail(path, `Fn::Join takes [delimiter, [values]], got ${describeValue(argument)}`, fixTemplate);
    }
    const delimiter = argument[0];
    const list = this.resolveList(argument[1] ?? null, [...path, 1], "Fn::Join");
    return list.map((item, index) => scalarToString(item, [...path, 1, index], "Fn::Join")).join(delimiter);
  }

  private sub(argument: JsonValue, path: TemplatePath): string {
    let text: string;
    let variables: JsonObject = {};
    if (typeof argument === "string") {
      text = argument;
    } else if (
      Array.isArray(argument) &&
      argument.length === 2 &&
      typeof argument[0] === "string" &&
      isJsonObject(argument[1])
    ) {
      text = argument[0];
      variables = argument[1];
    } else {
      return fail(
        path,
        `Fn::Sub takes a string or [string, { variables }], got ${describeValue(argument)}`,
        fixTemplate,
      );
    }
    return text.replace(/\$\{([^}]*)\}/g, (_match, inner: string) => {
      // `${!Name}` is how a template writes a literal `${Name}`.
      if (inner.startsWith("!")) return `\${${inner.slice(1)}}`;
      const name = inner.trim();
      const variable = variables[name];
      if (variable !== undefined) {
        const variablePath = [...path, 1, name];
        return scalarToString(
          this.resolveRequired(variable, variablePath, "Fn::Sub"),
          variablePath,
          "Fn::Sub",
        );
      }
      if (!name.startsWith("AWS::") && name.includes(".")) {
        const dot = name.indexOf(".");
        const value = this.getAttribute(name.slice(0, dot), name.slice(dot + 1), path);
        return scalarToString(value, path, "Fn::Sub");
      }
      return scalarToString(this.resolveRequired({ Ref: name }, path, "Fn::Sub"), path, "Fn::Sub");
    });
  }

  private select(argument: JsonValue, path: TemplatePath): ResolvedValue {
    if (!Array.isArray(argument) || argument.length !== 2) {
      return fail(path, `Fn::Select takes [index, [values]], got ${describeValue(argument)}`, fixTemplate);
    }
    const rawIndex = this.resolveRequired(argument[0] ?? null, [...path, 0], "Fn::Select");
    const index = typeof rawIndex === "string" && /^\d+$/.test(rawIndex) ? Number(rawIndex) : rawIndex;
    const list = this.resolveList(argument[1] ?? null, [...path, 1], "Fn::Select");
    if (typeof index !== "number" || !Number.isInteger(index) || index < 0 || index >= list.length) {
      return fail(
        path,
        `Fn::Select index ${describeValue(rawIndex)} is outside the list of ${list.length} values ${describeValue(list)}`,
        `Use an index from 0 to ${list.length - 1}`,
      );
    }
    return list[index] ?? null;
  }

  private split(argument: JsonValue, path: TemplatePath): string[] {
    if (!Array.isArray(argument) || argument.length !== 2 || typeof argument[0] !== "string") {
      return fail(path, `Fn::Split takes [delimiter, string], got ${describeValue(argument)}`, fixTemplate);
    }
    return this.resolveString(argument[1] ?? null, [...path, 1], "Fn::Split").split(argument[0]);
  }

  private if(argument: JsonValue, path: TemplatePath): ResolvedValue {
    if (!Array.isArray(argument) || argument.length !== 3 || typeof argument[0] !== "string") {
      return fail(
        path,
        `Fn::If takes [conditionName, valueIfTrue, valueIfFalse], got ${describeValue(argument)}`,
        fixTemplate,
      );
    }
    const holds = this.conditionHolds(argument[0], [...path, 0]);
    const branch = holds ? 1 : 2;
    return this.resolve(argument[branch] ?? null, [...path, branch]);
  }

  private findInMap(argument: JsonValue, path: TemplatePath): ResolvedValue {
    if (!Array.isArray(argument) || argument.length < 3 || argument.length > 4) {
      return fail(
        path,
        `Fn::FindInMap takes [mapName, topLevelKey, secondLevelKey], got ${describeValue(argument)}`,
        fixTemplate,
      );
    }
    const [mapName, topKey, secondKey] = [0, 1, 2].map((index) =>
      this.resolveString(argument[index] ?? null, [...path, index], "Fn::FindInMap"),
    );
    const mapping = this.template.Mappings[mapName ?? ""];
    const top = isJsonObject(mapping) ? mapping[topKey ?? ""] : undefined;
    const value = isJsonObject(top) ? top[secondKey ?? ""] : undefined;
    if (value !== undefined) return value;
    const options = argument[3];
    // AWS::LanguageExtensions lets a fourth argument give a default.
    if (isJsonObject(options) && options.DefaultValue !== undefined) {
      return this.resolve(options.DefaultValue, [...path, 3, "DefaultValue"]);
    }
    return fail(
      path,
      `Fn::FindInMap finds nothing at Mappings.${mapName}.${topKey}.${secondKey}`,
      "Add the entry to the mapping, or correct the keys",
    );
  }

  private evaluateCondition(expression: JsonValue, path: TemplatePath): boolean {
    if (isJsonObject(expression)) {
      const keys = Object.keys(expression);
      const [name] = keys;
      const argument = name === undefined ? undefined : expression[name];
      if (keys.length === 1 && name !== undefined && argument !== undefined) {
        const here = [...path, name];
        switch (name) {
          case "Condition":
            if (typeof argument === "string") return this.conditionHolds(argument, here);
            break;
          case "Fn::Equals":
            if (Array.isArray(argument) && argument.length === 2) {
              const [left, right] = argument.map((operand: JsonValue, index) =>
                comparable(this.resolveRequired(operand, [...here, index], name)),
              );
              return left === right;
            }
            break;
          case "Fn::Not":
            if (Array.isArray(argument) && argument.length === 1) {
              return !this.evaluateCondition(argument[0] ?? null, [...here, 0]);
            }
            break;
          case "Fn::And":
          case "Fn::Or":
            if (Array.isArray(argument) && argument.length >= 2) {
              const values = argument.map((item: JsonValue, index) =>
                this.evaluateCondition(item, [...here, index]),
              );
              return name === "Fn::And" ? values.every(Boolean) : values.some(Boolean);
            }
            break;
        }
      }
    }
    return fail(
      path,
      `${describeValue(expression)} is not a condition the reader evaluates`,
      "Write conditions with Fn::Equals, Fn::And, Fn::Or, Fn::Not and Condition",
    );
  }

  private resolveRequired(value: JsonValue, path: TemplatePath, via: string): JsonValue {
    const resolved = this.resolve(value, path);
    if (resolved === NO_VALUE) {
      return fail(path, `${via} needs a value here, but it resolves to AWS::NoValue`, fixTemplate);
    }
    return resolved;
  }

  private resolveString(value: JsonValue, path: TemplatePath, via: string): string {
    const resolved = this.resolveRequired(value, path, via);
    if (typeof resolved !== "string") {
      return fail(path, `${via} needs a string here, got ${describeValue(resolved)}`, fixTemplate);
    }
    return resolved;
  }

  private resolveList(value: JsonValue, path: TemplatePath, via: string): readonly JsonValue[] {
    const resolved = this.resolveRequired(value, path, via);
    if (!Array.isArray(resolved)) {
      return fail(path, `${via} needs a list here, got ${describeValue(resolved)}`, fixTemplate);
    }
    return resolved;
  }
}

const fixTemplate = "Correct the template (or the construct that renders it) and run `npm run synth`";

function scalarToString(value: JsonValue, path: TemplatePath, via: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return fail(path, `${via} needs a string here, got ${describeValue(value)}`, fixTemplate);
}

/** Fn::Equals compares the values as CloudFormation does: as strings. */
function comparable(value: JsonValue): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function listOrNone(items: readonly string[]): string {
  return items.length === 0 ? "none" : items.join(", ");
}
