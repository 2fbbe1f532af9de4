/** A JSON value that is not a container. */
export type JsonScalar = string | number | boolean | null;

/** A JSON object as `JSON.parse` returns it. */
export type JsonObject = { readonly [key: string]: unknown };

/** Whether `value` is a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A short rendering of a value for error messages: its JSON (cut at 60 characters) and its JSON type. */
export function describeJson(value: unknown): string {
  let json: string;
  try {
    json = JSON.stringify(value) ?? String(value);
  } catch {
    json = String(value);
  }
  if (json.length > 60) json = `${json.slice(0, 57)}...`;
  return `${json} (${jsonTypeOf(value)})`;
}

/** The JSON type name of a value: `string`, `number`, `boolean`, `null`, `array`, `object`. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
