import { describe, expect, it } from "vitest";
import {
  type CompiledPattern,
  compilePattern,
  DuplicateRuleError,
  RuleIndex,
  RuleLimitExceededError,
} from "../../../lib/local/pattern";
import { anEvent } from "./events";

/** Wraps a compiled pattern so that a test can count how often the index evaluates it. */
function counted(pattern: CompiledPattern): { pattern: CompiledPattern; evaluations: () => number } {
  let evaluations = 0;
  return {
    pattern: {
      pattern: pattern.pattern,
      usesWildcard: pattern.usesWildcard,
      exactValuesAt: (field) => pattern.exactValuesAt(field),
      matches: (event) => {
        evaluations++;
        return pattern.matches(event);
      },
    },
    evaluations: () => evaluations,
  };
}

/** A small deterministic PRNG (mulberry32), so generated cases are the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("RuleIndex", () => {
  describe("matching", () => {
    it("returns the values of every matching rule in insertion order, whatever bucket holds them", () => {
      const index = new RuleIndex<string>();
      index.add("no-source", compilePattern({ detail: { state: ["running"] } }), "scanned");
      index.add(
        "pair",
        compilePattern({ source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] }),
        "pair",
      );
      index.add(
        "type-only",
        compilePattern({ "detail-type": ["EC2 Instance State-change Notification"] }),
        "type",
      );
      index.add("source-only", compilePattern({ source: ["aws.ec2"] }), "source");
      index.add("other", compilePattern({ source: ["aws.s3"] }), "other");

      expect(index.match(anEvent({ state: "running" }))).toEqual(["scanned", "pair", "type", "source"]);
    });

    it("returns nothing when no rule matches", () => {
      const index = new RuleIndex<string>();
      index.add("r", compilePattern({ source: ["aws.s3"] }), "r");

      expect(index.match(anEvent())).toEqual([]);
    });

    it("finds rules filed under any of several sources, and under $or alternatives", () => {
      const index = new RuleIndex<string>();
      index.add("list", compilePattern({ source: ["aws.s3", "aws.ec2"] }), "list");
      index.add(
        "or",
        compilePattern({ $or: [{ source: ["aws.s3"] }, { source: ["aws.ec2"], region: ["us-west-1"] }] }),
        "or",
      );

      expect(index.match(anEvent())).toEqual(["list", "or"]);
    });

    it("looks up every string of an event whose source is an array, evaluating each rule once", () => {
      const index = new RuleIndex<string>();
      const rule = counted(compilePattern({ source: ["a", "b"] }));
      index.add("r", rule.pattern, "r");

      expect(index.match(anEvent({}, { source: ["a", "b"] }))).toEqual(["r"]);
      expect(rule.evaluations()).toBe(1);
    });

    it("evaluates only the rules filed under the event's source and detail-type, plus the unindexed ones", () => {
      const index = new RuleIndex<number>();
      const rules = Array.from({ length: 100 }, (_, i) =>
        counted(compilePattern({ source: [`app.${i % 10}`], "detail-type": [`Type${i}`] })),
      );
      rules.forEach((rule, i) => {
        index.add(`r${i}`, rule.pattern, i);
      });
      const unindexed = counted(compilePattern({ detail: { priority: ["high"] } }));
      index.add("unindexed", unindexed.pattern, -1);

      const matched = index.match(anEvent({}, { source: "app.3", "detail-type": "Type13" }));

      expect(matched).toEqual([13]);
      expect(rules.reduce((sum, rule) => sum + rule.evaluations(), 0)).toBe(1);
      expect(unindexed.evaluations()).toBe(1);
    });

    it.each([null, "text", [anEvent()]])(
      "matches nothing for an event that is not an object (%j)",
      (event) => {
        const index = new RuleIndex<string>();
        index.add("r", compilePattern({ source: ["aws.ec2"] }), "r");
        index.add("absent", compilePattern({ detail: [{ exists: false }] }), "absent");

        expect(index.match(event)).toEqual([]);
      },
    );
  });

  describe("agrees with evaluating every rule", () => {
    const sources = ["app.orders", "app.payments", "app.stock"];
    const types = ["Placed", "Paid", "Failed", "Reserved"];
    const rng = random(20260101);
    const pick = <V>(values: readonly V[]): V => values[Math.floor(rng() * values.length)] as V;
    const patternShapes: readonly (() => Record<string, unknown>)[] = [
      () => ({ source: [pick(sources)], "detail-type": [pick(types)] }),
      () => ({
        source: [pick(sources), pick(sources)],
        "detail-type": [pick(types), pick(types), pick(types)],
      }),
      () => ({ source: [pick(sources)] }),
      () => ({ "detail-type": [pick(types)], detail: { amount: [{ numeric: [">", 50] }] } }),
      () => ({ source: [{ prefix: "app." }], "detail-type": [pick(types)] }),
      () => ({ detail: { amount: [{ numeric: ["<=", 50] }] } }),
      () => ({
        $or: [{ source: [pick(sources)] }, { source: [pick(sources)], "detail-type": [pick(types)] }],
      }),
      () => ({ $or: [{ source: [pick(sources)] }, { detail: { amount: [{ numeric: [">", 90] }] } }] }),
      () => ({ source: [pick(sources)], "detail-type": [{ "anything-but": pick(types) }] }),
    ];
    const rules = Array.from({ length: 300 }, (_, i) => ({
      id: `rule-${i}`,
      pattern: compilePattern(pick(patternShapes)()),
    }));
    const events = Array.from({ length: 300 }, () => {
      const source = rng() < 0.1 ? [pick(sources), pick(sources)] : pick(sources);
      return anEvent({ amount: Math.floor(rng() * 100) }, { source, "detail-type": pick(types) });
    });
    const index = new RuleIndex<string>();
    for (const rule of rules) index.add(rule.id, rule.pattern, rule.id);
    const expected = events.map((event) => rules.filter((r) => r.pattern.matches(event)).map((r) => r.id));

    it("on 300 generated rules and 300 generated events", () => {
      const actual = events.map((event) => index.match(event));

      expect(actual).toEqual(expected);
      // The corpus must exercise the index: events matching several rules, and rules left out.
      const matchedPairs = expected.reduce((sum, ids) => sum + ids.length, 0);
      expect(expected.some((ids) => ids.length > 1)).toBe(true);
      expect(matchedPairs).toBeLessThan((rules.length * events.length) / 2);
    });
  });

  describe("maintenance", () => {
    it("forgets a removed rule and reports whether it was present", () => {
      const index = new RuleIndex<string>();
      index.add("a", compilePattern({ source: ["aws.ec2"] }), "a");
      index.add(
        "b",
        compilePattern({ source: ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"] }),
        "b",
      );

      expect(index.remove("a")).toBe(true);
      expect(index.remove("a")).toBe(false);
      expect(index.has("a")).toBe(false);
      expect(index.size).toBe(1);
      expect(index.match(anEvent())).toEqual(["b"]);
    });

    it("places a rule added again after removal at the end of the order", () => {
      const index = new RuleIndex<string>();
      index.add("a", compilePattern({ source: ["aws.ec2"] }), "a-v1");
      index.add("b", compilePattern({ region: ["us-west-1"] }), "b");

      index.remove("a");
      index.add("a", compilePattern({ source: ["aws.ec2"] }), "a-v2");

      expect(index.match(anEvent())).toEqual(["b", "a-v2"]);
    });

    it("refuses a duplicate id, telling how to replace the rule", () => {
      const index = new RuleIndex<string>();
      index.add("a", compilePattern({ source: ["x"] }), "a");

      expect(() => index.add("a", compilePattern({ source: ["y"] }), "a2")).toThrow(DuplicateRuleError);
      expect(() => index.add("a", compilePattern({ source: ["y"] }), "a2")).toThrow('call remove("a")');
    });
  });

  describe("the wildcard-rule quota", () => {
    const wildcardRule = (i: number) => compilePattern({ detail: { path: [{ wildcard: `/dir${i}/*` }] } });

    it("accepts 30 rules with wildcards and refuses the 31st, as EventBridge does per bus", () => {
      const index = new RuleIndex<number>();
      for (let i = 0; i < 30; i++) index.add(`w${i}`, wildcardRule(i), i);

      expect(() => index.add("w30", wildcardRule(30), 30)).toThrow(RuleLimitExceededError);
      expect(() => index.add("plain", compilePattern({ source: ["x"] }), 0)).not.toThrow();
    });

    it("counts a wildcard inside anything-but, and frees a slot when a wildcard rule is removed", () => {
      const index = new RuleIndex<number>({ maxWildcardRules: 1 });
      index.add("w0", compilePattern({ detail: { path: [{ "anything-but": { wildcard: "*/tmp/*" } }] } }), 0);

      expect(() => index.add("w1", wildcardRule(1), 1)).toThrow("limit of 1 per bus");
      index.remove("w0");
      expect(() => index.add("w1", wildcardRule(1), 1)).not.toThrow();
    });

    it("maps to AWS LimitExceededException", () => {
      const index = new RuleIndex<number>({ maxWildcardRules: 0 });
      let error: unknown;
      try {
        index.add("w", wildcardRule(0), 0);
      } catch (caught) {
        error = caught;
      }

      expect(error).toBeInstanceOf(RuleLimitExceededError);
      expect((error as RuleLimitExceededError).toAwsServiceError().code).toBe("LimitExceededException");
    });
  });
});

describe("CompiledPattern.exactValuesAt", () => {
  it.each([
    ["a pinned field", { source: ["a", "b"] }, ["a", "b"]],
    [
      "the union over $or alternatives",
      { $or: [{ source: ["a"] }, { source: ["b"], x: ["1"] }] },
      ["a", "b"],
    ],
    [
      "a field pinned outside a $or that does not name it",
      { source: ["a"], $or: [{ x: ["1"] }, { y: ["2"] }] },
      ["a"],
    ],
  ])("returns the strings of %s", (_name, pattern, expected) => {
    expect(compilePattern(pattern).exactValuesAt("source")).toEqual(expected);
  });

  it.each([
    ["a prefix", { source: [{ prefix: "a" }] }],
    ["a mix of a string and an operator", { source: ["a", { prefix: "b" }] }],
    ["a $or with an alternative that does not pin it", { $or: [{ source: ["a"] }, { x: ["1"] }] }],
    ["a value read as an IP address, which other spellings match", { source: ["::1"] }],
    ["a nested field of the same name", { detail: { source: ["a"] } }],
    ["no such field", { region: ["us-east-1"] }],
  ])("returns undefined for %s", (_name, pattern) => {
    expect(compilePattern(pattern).exactValuesAt("source")).toBeUndefined();
  });
});
