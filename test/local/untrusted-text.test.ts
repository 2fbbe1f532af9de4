import { describe, expect, it } from "vitest";
import { escapeForLog, exceedsJsonDepth } from "../../lib/local/untrusted-text";

describe("exceedsJsonDepth", () => {
  it.each([
    ['{"a":{"b":[1]}}', 3, false],
    ['{"a":{"b":[1]}}', 2, true],
    ['{"text":"{{{{[[[[ inside a string"}', 1, false],
    ['{"text":"an escaped quote \\" then {{{"}', 1, false],
    [`${"[".repeat(100_000)}${"]".repeat(100_000)}`, 1_000, true],
  ])("says whether %s nests deeper than %i", (text, limit, expected) => {
    expect(exceedsJsonDepth(text, limit)).toBe(expected);
  });
});

describe("escapeForLog", () => {
  it("escapes newlines, returns, tabs, other control characters and line separators, and nothing else", () => {
    expect(escapeForLog("a\nb\rc\td\u0000e\u001bf\u2028g é ✓")).toBe(
      "a\\nb\\rc\\td\\u0000e\\u001bf\\u2028g é ✓",
    );
  });
});
