/**
 * Limits and escaping for text that callers of the local pipeline send: JSON nested deeper than any
 * recursive reader should see, and control characters that would forge log lines.
 */

/**
 * How deeply JSON text nests objects and arrays, found by scanning it once without recursion, so
 * that text nested far too deep for a recursive reader (a JSON parser, a pattern matcher, a
 * serializer) is refused before any of them sees it.
 *
 * Returns `true` when the text opens more than `limit` objects or arrays inside each other. Brackets
 * inside strings are skipped; the text is not otherwise validated.
 */
export function exceedsJsonDepth(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c /* \ */) index++;
      else if (code === 0x22 /* " */) inString = false;
      continue;
    }
    if (code === 0x22) inString = true;
    else if (code === 0x7b /* { */ || code === 0x5b /* [ */) {
      depth++;
      if (depth > limit) return true;
    } else if (code === 0x7d /* } */ || code === 0x5d /* ] */) depth--;
  }
  return false;
}

/**
 * The deepest nesting EventBridge accepts in an event's Detail. The PutEvents API reference says
 * "PutEvents will only process nested JSON up to 1000 levels deep" (earlier editions said 1100);
 * deeper Detail gets `MalformedDetail`.
 */
export const MAX_DETAIL_NESTING_DEPTH = 1_000;

/** Escapes control characters (and the Unicode line separators) so caller text cannot forge log lines. */
export function escapeForLog(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is escaped.
  return text.replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, (character) => {
    switch (character) {
      case "\n":
        return "\\n";
      case "\r":
        return "\\r";
      case "\t":
        return "\\t";
      default:
        return `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
    }
  });
}
