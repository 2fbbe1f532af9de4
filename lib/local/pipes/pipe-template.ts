/**
 * What an EventBridge pipe's target parameters and input template read from an event: JSON paths
 * (`$.detail`, `$.dynamodb.NewImage.id.S`, `$.Records[0]`) and the reserved `<aws.pipes.*>`
 * variables.
 */

/** The values of a pipe's reserved variables (`<aws.pipes.pipe-name>`, ...). */
export type ReservedVariables = Readonly<Record<string, string>>;

/** Whether `text` is a JSON path, which a target parameter reads from the event instead of taking as it is. */
export function isJsonPath(text: string): boolean {
  return text === "$" || text.startsWith("$.");
}

/**
 * The value at a JSON path in `event`: dot notation with array indices, as Pipes support it.
 * Undefined when the path leads nowhere.
 */
export function valueAtPath(event: unknown, path: string): unknown {
  if (path === "$") return event;
  let current: unknown = event;
  for (const segment of path.slice(2).split(".")) {
    const match = /^([^[\]]*)((?:\[\d+\])*)$/.exec(segment);
    if (match === null) return undefined;
    const [, name, indexes] = match;
    if (name !== undefined && name !== "") current = propertyOf(current, name);
    for (const index of (indexes ?? "").match(/\d+/g) ?? []) current = propertyOf(current, Number(index));
    if (current === undefined) return undefined;
  }
  return current;
}

function propertyOf(value: unknown, key: string | number): unknown {
  if (value === null || typeof value !== "object") return undefined;
  return (value as Record<string | number, unknown>)[key];
}

/** Raised when an input template names a path the event lacks; the batch fails as in AWS. */
export class PipeTemplateError extends Error {
  public override readonly name = "PipeTemplateError";
}

/**
 * Renders an input template for one event. A template that is one `<...>` is the value there (a
 * JSON object stays an object); otherwise each `<$.path>` or `<aws.pipes.*>` is replaced: inside a
 * JSON string by its text, elsewhere by its JSON, as Pipes keep the output valid JSON.
 *
 * @throws PipeTemplateError when a path leads nowhere in the event
 */
export function renderTemplate(template: string, event: unknown, reserved: ReservedVariables): string {
  const lookup = (token: string): unknown => {
    if (token.startsWith("aws.pipes.")) {
      const value = reserved[token];
      if (value === undefined)
        throw new PipeTemplateError(`The input template names <${token}>, which is not a reserved variable`);
      return value;
    }
    const value = valueAtPath(event, token);
    if (value === undefined) {
      throw new PipeTemplateError(`The input template reads <${token}>, which this event does not have`);
    }
    return value;
  };
  const whole = /^\s*<([^<>]+)>\s*$/.exec(template);
  if (whole?.[1] !== undefined) {
    const value = lookup(whole[1]);
    return typeof value === "string" ? value : JSON.stringify(value);
  }
  let output = "";
  let inString = false;
  for (let index = 0; index < template.length; index++) {
    const char = template[index] as string;
    if (char === "\\" && inString) {
      output += char + (template[index + 1] ?? "");
      index++;
      continue;
    }
    if (char === '"') inString = !inString;
    if (char === "<") {
      const end = template.indexOf(">", index);
      const token = end === -1 ? "" : template.slice(index + 1, end);
      if (isJsonPath(token) || token.startsWith("aws.pipes.")) {
        const value = lookup(token);
        output += inString
          ? JSON.stringify(typeof value === "string" ? value : JSON.stringify(value)).slice(1, -1)
          : JSON.stringify(value);
        index = end;
        continue;
      }
    }
    output += char;
  }
  return output;
}
