/** A JSON value as a CloudFormation template holds it. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | JsonObject;

/** A JSON object of a template. */
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

/** A location in the template, outermost first: `["Resources", "Queue", "Properties", "RedrivePolicy"]`. */
export type TemplatePath = readonly (string | number)[];

/** A template parameter, as the `Parameters` section declares it. */
export interface TemplateParameter {
  readonly Type: string;
  readonly Default?: JsonValue;
}

/** A resource, as the `Resources` section declares it. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: JsonObject;
  readonly Condition?: string;
  readonly Metadata?: JsonObject;
}

/** A stack output, as the `Outputs` section declares it. */
export interface TemplateOutput {
  readonly Value: JsonValue;
  readonly Condition?: string;
  /** `{ Name: ... }` when the output is exported. */
  readonly Export?: JsonValue;
}

/** The sections of a CloudFormation template the reader uses. */
export interface CloudFormationTemplate {
  readonly Transform?: JsonValue;
  readonly Parameters: Readonly<Record<string, TemplateParameter>>;
  readonly Mappings: Readonly<Record<string, JsonValue>>;
  readonly Conditions: Readonly<Record<string, JsonValue>>;
  readonly Resources: Readonly<Record<string, TemplateResource>>;
  readonly Outputs: Readonly<Record<string, TemplateOutput>>;
}

/** Whether `value` is a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Renders a {@link TemplatePath} as people read templates:
 * `Resources.Rule.Properties.Targets[0].Arn`.
 */
export function formatTemplatePath(path: TemplatePath): string {
  let text = "";
  for (const step of path) {
    if (typeof step === "number") text += `[${step}]`;
    else text += text === "" ? step : `.${step}`;
  }
  return text === "" ? "(template)" : text;
}

/** A value for a message: strings quoted, everything else as JSON, long values cut. */
export function describeValue(value: unknown): string {
  const text = value === undefined ? "undefined" : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
