import type { LocalRuleTarget } from "../model";
import type { BusEvent } from "./bus-event";

/** Raised when a target's input settings cannot be applied. */
export class InputTransformError extends Error {
  public override readonly name = "InputTransformError";
}

/**
 * Reads a JSONPath of the simple form EventBridge accepts in InputPath and InputPathsMap:
 * `$`, `$.a.b`, `$.a[0]`, `$['a-b']`.
 */
export function readJsonPath(document: unknown, jsonPath: string): unknown {
  if (!jsonPath.startsWith("$")) {
    throw new InputTransformError(`JSONPath "${jsonPath}" is invalid; it must start with "$"`);
  }
  const segments: (string | number)[] = [];
  const pattern = /\.([^.[\]]+)|\[(\d+)\]|\['([^']+)'\]|\["([^"]+)"\]/gy;
  pattern.lastIndex = 1;
  while (pattern.lastIndex < jsonPath.length) {
    const match = pattern.exec(jsonPath);
    if (!match) {
      throw new InputTransformError(
        `JSONPath "${jsonPath}" is not supported at character ${pattern.lastIndex}; use $.field, $.field[0] or $['field-name']`,
      );
    }
    if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push((match[1] ?? match[3] ?? match[4]) as string);
  }
  let current: unknown = document;
  for (const segment of segments) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string | number, unknown>)[segment];
  }
  return current;
}

/**
 * What a target receives for an event, as EventBridge computes it: the whole event by default, a
 * constant `Input`, the part selected by `InputPath`, or the `InputTransformer` template filled
 * from `InputPathsMap` (strings inside JSON string literals are inserted escaped, elsewhere as JSON).
 */
export function targetInput(event: BusEvent, target: LocalRuleTarget): string {
  if (target.input !== undefined) return target.input;
  if (target.inputPath !== undefined) {
    const selected = readJsonPath(event, target.inputPath);
    return selected === undefined ? "" : JSON.stringify(selected);
  }
  if (target.inputTransformer !== undefined) {
    return applyTemplate(event, target.inputTransformer.inputPathsMap, target.inputTransformer.inputTemplate);
  }
  return JSON.stringify(event);
}

/** Predefined variables EventBridge offers in every input template. */
function predefined(event: BusEvent, name: string): string | undefined {
  switch (name) {
    case "aws.events.rule-arn":
    case "aws.events.rule-name":
      return undefined;
    case "aws.events.event.ingestion-time":
      return event.time;
    case "aws.events.event":
      return JSON.stringify({ ...event, detail: undefined });
    case "aws.events.event.json":
      return JSON.stringify(event);
    default:
      return undefined;
  }
}

function applyTemplate(
  event: BusEvent,
  pathsMap: Readonly<Record<string, string>>,
  template: string,
): string {
  const values = new Map<string, unknown>();
  for (const [name, jsonPath] of Object.entries(pathsMap)) values.set(name, readJsonPath(event, jsonPath));
  let insideString = false;
  let output = "";
  for (let i = 0; i < template.length; i++) {
    const char = template[i] as string;
    if (char === '"' && template[i - 1] !== "\\") insideString = !insideString;
    if (char === "<") {
      const end = template.indexOf(">", i);
      const name = end > i ? template.slice(i + 1, end) : "";
      if (
        end > i &&
        /^[A-Za-z0-9_.-]+$/.test(name) &&
        (values.has(name) || predefined(event, name) !== undefined)
      ) {
        const value = values.has(name) ? values.get(name) : predefined(event, name);
        output += render(value, insideString);
        i = end;
        continue;
      }
    }
    output += char;
  }
  return output;
}

function render(value: unknown, insideString: boolean): string {
  if (value === undefined || value === null) return insideString ? "" : "null";
  if (typeof value === "string")
    return insideString ? JSON.stringify(value).slice(1, -1) : JSON.stringify(value);
  const json = JSON.stringify(value);
  return insideString ? JSON.stringify(json).slice(1, -1) : json;
}
