import { describe, expect, it } from "vitest";
import { compilePattern, InvalidEventPatternError, PATTERN_LIMITS } from "../../../lib/local/pattern";

interface InvalidCase {
  readonly name: string;
  readonly pattern: unknown;
  /** Where the error must point. */
  readonly path: string;
  /** A fragment the problem must contain (typically the offending value). */
  readonly problem: string;
}

function compileError(
  pattern: unknown,
  options?: Parameters<typeof compilePattern>[1],
): InvalidEventPatternError {
  try {
    compilePattern(pattern, options);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(pattern)} to be refused`);
}

const matrices: readonly { readonly topic: string; readonly cases: readonly InvalidCase[] }[] = [
  {
    topic: "structure",
    cases: [
      {
        name: "a pattern that is an array",
        pattern: [{ source: ["a"] }],
        path: "(root)",
        problem: "must be a JSON object",
      },
      { name: "a pattern that is null", pattern: null, path: "(root)", problem: "null (null)" },
      { name: "an empty pattern", pattern: {}, path: "(root)", problem: "at least one field" },
      {
        name: "an empty nested object",
        pattern: { detail: {} },
        path: "detail",
        problem: "at least one field",
      },
      {
        name: "a leaf that is a bare string",
        pattern: { source: "aws.ec2" },
        path: "source",
        problem: '"aws.ec2" (string)',
      },
      {
        name: "a leaf that is a bare number",
        pattern: { detail: { n: 5 } },
        path: "detail.n",
        problem: "5 (number)",
      },
      {
        name: "a leaf that is null",
        pattern: { detail: { n: null } },
        path: "detail.n",
        problem: "null (null)",
      },
      { name: "an empty value list", pattern: { source: [] }, path: "source", problem: "empty" },
      {
        name: "a list inside a value list",
        pattern: { source: [["a"]] },
        path: "source[0]",
        problem: '["a"] (array)',
      },
      {
        name: "an operator written as a field",
        pattern: { source: { prefix: "aws." } },
        path: "source",
        problem: 'operator "prefix" is written as an object key',
      },
      {
        name: "a field written twice, with dots and nested",
        pattern: { "detail.state": ["running"], detail: { state: ["stopped"] } },
        path: "detail.state",
        problem: 'field "detail.state" is written twice, as "detail.state" and as "detail": { "state" }',
      },
      {
        name: "a field that is a value list with dots and an object nested",
        pattern: { detail: { state: { status: ["running"] } }, "detail.state": ["running"] },
        path: "detail.state",
        problem: 'field "detail.state" is written twice, as "detail": { "state" } and as "detail.state"',
      },
      {
        name: "$or as a dotted step",
        pattern: { "detail.$or": [{ a: ["1"] }, { b: ["2"] }] },
        path: "detail.$or",
        problem: '"$or" as one of its dotted steps',
      },
      {
        name: "a number that is not finite",
        pattern: { detail: { n: [Number.POSITIVE_INFINITY] } },
        path: "detail.n[0]",
        problem: "Infinity is not a JSON number",
      },
    ],
  },
  {
    topic: "operator objects",
    cases: [
      { name: "an empty operator object", pattern: { a: [{}] }, path: "a[0]", problem: "got none" },
      {
        name: "two operators in one object",
        pattern: { a: [{ prefix: "x", suffix: "y" }] },
        path: "a[0]",
        problem: '"prefix", "suffix"',
      },
      {
        name: "an unknown operator",
        pattern: { a: [{ contains: "x" }] },
        path: "a[0]",
        problem: '"contains" is not',
      },
      {
        name: "prefix with a number",
        pattern: { a: [{ prefix: 5 }] },
        path: "a[0].prefix",
        problem: "5 (number)",
      },
      {
        name: "prefix with an unknown modifier",
        pattern: { a: [{ prefix: { wildcard: "x" } }] },
        path: "a[0].prefix",
        problem: '{"wildcard":"x"} (object)',
      },
      {
        name: "prefix equals-ignore-case with a number",
        pattern: { a: [{ prefix: { "equals-ignore-case": 1 } }] },
        path: "a[0].prefix.equals-ignore-case",
        problem: "1 (number)",
      },
      {
        name: "suffix with a list",
        pattern: { a: [{ suffix: [".png"] }] },
        path: "a[0].suffix",
        problem: '[".png"] (array)',
      },
      {
        name: "equals-ignore-case with a number",
        pattern: { a: [{ "equals-ignore-case": 1 }] },
        path: "a[0].equals-ignore-case",
        problem: "1 (number)",
      },
      {
        name: "exists with a string",
        pattern: { a: [{ exists: "true" }] },
        path: "a[0].exists",
        problem: '"true" (string)',
      },
    ],
  },
  {
    topic: "wildcard",
    cases: [
      {
        name: "consecutive asterisks",
        pattern: { a: [{ wildcard: "a**b" }] },
        path: "a[0].wildcard",
        problem: "position 1",
      },
      {
        name: "an escape of an ordinary character",
        pattern: { a: [{ wildcard: "a\\b" }] },
        path: "a[0].wildcard",
        problem: "invalid escape at position 1",
      },
      {
        name: "a trailing backslash",
        pattern: { a: [{ wildcard: "ab\\" }] },
        path: "a[0].wildcard",
        problem: "invalid escape at position 2",
      },
      { name: "a number", pattern: { a: [{ wildcard: 1 }] }, path: "a[0].wildcard", problem: "1 (number)" },
    ],
  },
  {
    topic: "anything-but",
    cases: [
      {
        name: "a boolean",
        pattern: { a: [{ "anything-but": true }] },
        path: "a[0].anything-but",
        problem: "true (boolean)",
      },
      {
        name: "an empty list",
        pattern: { a: [{ "anything-but": [] }] },
        path: "a[0].anything-but",
        problem: "non-empty",
      },
      {
        name: "a list mixing strings and numbers",
        pattern: { a: [{ "anything-but": ["a", 1] }] },
        path: "a[0].anything-but",
        problem: '["a",1] (array)',
      },
      {
        name: "a list holding null",
        pattern: { a: [{ "anything-but": [null] }] },
        path: "a[0].anything-but",
        problem: "[null] (array)",
      },
      {
        name: "a number beyond numeric matching's range",
        pattern: { a: [{ "anything-but": 6e9 }] },
        path: "a[0].anything-but",
        problem: "6000000000 (number)",
      },
      {
        name: "an unsupported modifier",
        pattern: { a: [{ "anything-but": { numeric: [">", 1] } }] },
        path: "a[0].anything-but",
        problem: "exactly one of",
      },
      {
        name: "two modifiers",
        pattern: { a: [{ "anything-but": { prefix: "a", suffix: "b" } }] },
        path: "a[0].anything-but",
        problem: "exactly one of",
      },
      {
        name: "an empty prefix",
        pattern: { a: [{ "anything-but": { prefix: "" } }] },
        path: "a[0].anything-but.prefix",
        problem: "cannot be empty",
      },
      {
        name: "an empty suffix in a list",
        pattern: { a: [{ "anything-but": { suffix: [".png", ""] } }] },
        path: "a[0].anything-but.suffix[1]",
        problem: "cannot be empty",
      },
      {
        name: "a prefix that is a number",
        pattern: { a: [{ "anything-but": { prefix: 1 } }] },
        path: "a[0].anything-but.prefix",
        problem: "1 (number)",
      },
      {
        name: "an empty equals-ignore-case list",
        pattern: { a: [{ "anything-but": { "equals-ignore-case": [] } }] },
        path: "a[0].anything-but.equals-ignore-case",
        problem: "[] (array)",
      },
      {
        name: "an invalid wildcard in a list",
        pattern: { a: [{ "anything-but": { wildcard: ["*/lib/*", "a**"] } }] },
        path: "a[0].anything-but.wildcard[1]",
        problem: "consecutive",
      },
    ],
  },
  {
    topic: "numeric",
    cases: [
      {
        name: "a bare number",
        pattern: { a: [{ numeric: 5 }] },
        path: "a[0].numeric",
        problem: "5 (number)",
      },
      {
        name: "an operator alone",
        pattern: { a: [{ numeric: [">"] }] },
        path: "a[0].numeric",
        problem: '[">"] (array)',
      },
      {
        name: "three comparisons",
        pattern: { a: [{ numeric: [">", 0, "<", 5, "=", 3] }] },
        path: "a[0].numeric",
        problem: "(array)",
      },
      {
        name: "an unknown operator",
        pattern: { a: [{ numeric: ["!=", 5] }] },
        path: "a[0].numeric[0]",
        problem: '"!="',
      },
      {
        name: "a quoted number",
        pattern: { a: [{ numeric: [">", "5"] }] },
        path: "a[0].numeric[1]",
        problem: '"5" (string)',
      },
      {
        name: "a bound beyond ±5e9",
        pattern: { a: [{ numeric: ["<", 5.5e9] }] },
        path: "a[0].numeric[1]",
        problem: "5500000000 (number)",
      },
      {
        name: "equality combined with a bound",
        pattern: { a: [{ numeric: ["=", 5, "<", 6] }] },
        path: "a[0].numeric",
        problem: '"=" cannot be combined',
      },
      {
        name: "the upper bound first",
        pattern: { a: [{ numeric: ["<", 5, ">", 0] }] },
        path: "a[0].numeric[0]",
        problem: 'got "<"',
      },
      {
        name: "two lower bounds",
        pattern: { a: [{ numeric: [">", 0, ">=", 5] }] },
        path: "a[0].numeric[2]",
        problem: '">=" (string)',
      },
      {
        name: "a lower bound equal to the upper bound",
        pattern: { a: [{ numeric: [">=", 5, "<=", 5] }] },
        path: "a[0].numeric",
        problem: "lower bound 5 is not below the upper bound 5",
      },
      {
        name: "bounds that differ only after six decimals",
        pattern: { a: [{ numeric: [">", 1, "<", 1.0000001] }] },
        path: "a[0].numeric",
        problem: "compared to six decimals",
      },
    ],
  },
  {
    topic: "cidr",
    cases: [
      {
        name: "an address without a prefix length",
        pattern: { a: [{ cidr: "10.0.0.0" }] },
        path: "a[0].cidr",
        problem: '"10.0.0.0"',
      },
      {
        name: "a prefix length that is not a number",
        pattern: { a: [{ cidr: "10.0.0.0/x" }] },
        path: "a[0].cidr",
        problem: '"x"',
      },
      {
        name: "a host name",
        pattern: { a: [{ cidr: "example.com/24" }] },
        path: "a[0].cidr",
        problem: '"example.com"',
      },
      {
        name: "an octet above 255",
        pattern: { a: [{ cidr: "10.0.0.256/24" }] },
        path: "a[0].cidr",
        problem: '"10.0.0.256"',
      },
      {
        name: "an IPv4 /32",
        pattern: { a: [{ cidr: "10.0.0.1/32" }] },
        path: "a[0].cidr",
        problem: "below 32",
      },
      {
        name: "an IPv6 /128",
        pattern: { a: [{ cidr: "::1/128" }] },
        path: "a[0].cidr",
        problem: "below 128",
      },
      { name: "a number", pattern: { a: [{ cidr: 10 }] }, path: "a[0].cidr", problem: "10 (number)" },
    ],
  },
  {
    topic: "$or",
    cases: [
      {
        name: "an object instead of a list",
        pattern: { $or: { a: ["x"] } },
        path: "$or",
        problem: '{"a":["x"]} (object)',
      },
      {
        name: "a single alternative",
        pattern: { $or: [{ a: ["x"] }] },
        path: "$or",
        problem: "at least two",
      },
      {
        name: "an alternative that is not an object",
        pattern: { $or: [{ a: ["x"] }, ["b"]] },
        path: "$or[1]",
        problem: '["b"] (array)',
      },
      {
        name: "an empty alternative",
        pattern: { $or: [{ a: ["x"] }, {}] },
        path: "$or[1]",
        problem: "at least one field",
      },
      {
        name: "a reserved word as a field inside $or",
        pattern: { $or: [{ prefix: ["x"] }, { b: ["y"] }] },
        path: "$or[0].prefix",
        problem: '"prefix" is reserved',
      },
      {
        name: "a reserved word deeper inside $or",
        pattern: { $or: [{ detail: { numeric: ["x"] } }, { b: ["y"] }] },
        path: "$or[0].detail.numeric",
        problem: '"numeric" is reserved',
      },
      {
        name: "a field constrained outside and inside $or",
        pattern: { source: ["a"], $or: [{ source: ["b"] }, { x: ["y"] }] },
        path: "$or",
        problem: 'field "source" is constrained both inside this "$or" and at source',
      },
      {
        name: "a field constrained by two $or of one conjunction",
        pattern: {
          $or: [{ detail: { a: ["1"] } }, { b: ["2"] }],
          detail: { $or: [{ a: ["3"] }, { c: ["4"] }] },
        },
        path: "$or",
        problem: 'field "detail.a" is constrained both inside this "$or" and at detail.$or',
      },
    ],
  },
];

describe.each(matrices)("invalid patterns are refused with the path and the value: $topic", ({ cases }) => {
  it.each(cases)("refuses $name", ({ pattern, path, problem }) => {
    const error = compileError(pattern);

    expect(error.path).toBe(path);
    expect(error.problem).toContain(problem);
    expect(error.fix.length).toBeGreaterThan(0);
    expect(error.message).toBe(
      `Event pattern is not valid. Reason: ${error.problem} at ${path}. Fix: ${error.fix}.`,
    );
  });
});

describe("the pattern size limit", () => {
  const patternOfLength = (length: number) => {
    const skeleton = JSON.stringify({ source: [""] }).length;
    return { source: ["x".repeat(length - skeleton)] };
  };

  it("accepts a pattern of exactly the default quota", () => {
    expect(() => compilePattern(patternOfLength(PATTERN_LIMITS.defaultMaxPatternLength))).not.toThrow();
  });

  it("refuses one character more, naming the length and the limit", () => {
    const error = compileError(patternOfLength(PATTERN_LIMITS.defaultMaxPatternLength + 1));

    expect(error.problem).toBe("the pattern is 2049 characters long (compact JSON), over the limit of 2048");
  });

  it("accepts up to the raised quota when the account has it", () => {
    const pattern = patternOfLength(PATTERN_LIMITS.apiMaxPatternLength);

    expect(() =>
      compilePattern(pattern, { maxPatternLength: PATTERN_LIMITS.apiMaxPatternLength }),
    ).not.toThrow();
  });

  it.each([0, 4097, 1.5])("refuses a configured limit outside the API's range (%d)", (maxPatternLength) => {
    expect(() => compilePattern({ source: ["a"] }, { maxPatternLength })).toThrow(RangeError);
  });
});

describe("InvalidEventPatternError", () => {
  it("converts to the AWS wire error the local edge returns", () => {
    const aws = compileError({ source: "x" }).toAwsServiceError();

    expect(aws.code).toBe("InvalidEventPatternException");
    expect(aws.statusCode).toBe(400);
    expect(aws.message).toMatch(
      /^Event pattern is not valid\. Reason: "source" must be an object or an array/,
    );
  });
});
