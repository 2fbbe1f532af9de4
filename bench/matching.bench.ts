import { performance } from "node:perf_hooks";
import { type CompiledPattern, compilePattern, RuleIndex } from "../lib/local/pattern";
import type { Bench, BenchRow } from "./table";

const GROUP = "pattern matching";
const RULE_COUNTS = [10, 100, 1_000] as const;
const EVENT_COUNT = 2_000;
/** Wall time spent timing each rule count; the whole module stays within a few seconds. */
const MEASURE_MS = 400;
const TARGET_PAIRS_PER_SECOND = 1_000_000;
/** Sub-linear: a hundred times the rules must cost far less than a hundred times the time. */
const TARGET_RATIO = 100;

interface Rule {
  readonly id: string;
  readonly pattern: CompiledPattern;
}

/** A deterministic PRNG (mulberry32), so every run measures the same rules and events. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function domainsFor(ruleCount: number): number {
  return Math.max(2, Math.ceil(ruleCount / 10));
}

/**
 * Rules shaped like a real bus: each subscribes to one distinct source/detail-type pair; a quarter
 * add a numeric filter, some a currency list, a prefix or an `$or`; about 2% have no `source` (a
 * detail-type-only rule and a content-only audit rule, which every event must be checked against).
 */
function buildRules(ruleCount: number): Rule[] {
  const domains = domainsFor(ruleCount);
  const withoutSource = Math.max(2, Math.ceil(ruleCount / 50));
  const rules: Rule[] = [];
  for (let i = 0; i < ruleCount - withoutSource; i++) {
    const pattern: Record<string, unknown> = {
      source: [`eventrail.domain${i % domains}`],
      "detail-type": [`Type${Math.floor(i / domains)}`],
    };
    const data: Record<string, unknown> = {};
    if (i % 4 === 1) data.total = { amount: [{ numeric: [">=", 1_000, "<", 50_000] }] };
    if (i % 6 === 2) data.currency = ["EUR", "USD"];
    if (i % 8 === 3) pattern.detail = { metadata: { producer: [{ prefix: "orders-" }] } };
    if (i % 10 === 4) pattern.$or = [{ detail: { data: { priority: ["high"] } } }, { region: ["eu-west-1"] }];
    if (Object.keys(data).length > 0) {
      pattern.detail = { ...(pattern.detail as Record<string, unknown> | undefined), data };
    }
    rules.push({ id: `rule-${i}`, pattern: compilePattern(pattern) });
  }
  for (let i = 0; i < withoutSource; i++) {
    const pattern =
      i % 2 === 0
        ? { "detail-type": [`Type${i}`], detail: { data: { currency: [{ "anything-but": "JPY" }] } } }
        : { detail: { metadata: { schemaVersion: [{ prefix: "2." }] } } };
    rules.push({ id: `no-source-${i}`, pattern: compilePattern(pattern) });
  }
  return rules;
}

/** Events in the catalog's envelope; 80% of a subscribed type, the rest of types nobody subscribes to. */
function buildEvents(ruleCount: number): Record<string, unknown>[] {
  const rng = random(ruleCount);
  const domains = domainsFor(ruleCount);
  const types = Math.ceil(ruleCount / domains);
  return Array.from({ length: EVENT_COUNT }, (_, n) => {
    const subscribed = rng() < 0.8;
    const domain = Math.floor(rng() * domains);
    return {
      version: "0",
      id: `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
      "detail-type": subscribed ? `Type${Math.floor(rng() * types)}` : `Unsubscribed${domain}`,
      source: `eventrail.domain${domain}`,
      account: "111122223333",
      time: "2026-01-15T10:00:00Z",
      region: rng() < 0.5 ? "eu-west-1" : "us-east-1",
      resources: [],
      detail: {
        metadata: {
          eventId: `01JABCDEF${n}`,
          schemaVersion: rng() < 0.1 ? "2.0" : "1.0",
          correlationId: `corr-${n % 97}`,
          producer: rng() < 0.5 ? "orders-service" : "payments-service",
          occurredAt: "2026-01-15T10:00:00Z",
        },
        data: {
          orderId: `ORD-${n}`,
          currency: ["EUR", "USD", "JPY"][n % 3],
          priority: rng() < 0.3 ? "high" : "normal",
          total: { amount: Math.floor(rng() * 100_000), currency: "EUR" },
        },
      },
    };
  });
}

/** Runs `body` over the event stream repeatedly for about `MEASURE_MS`; returns events per second. */
function eventsPerSecond(
  events: readonly unknown[],
  body: (event: unknown) => number,
): { rate: number; sink: number } {
  let sink = 0;
  for (const event of events) sink += body(event);
  let processed = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (const event of events) sink += body(event);
    processed += events.length;
    elapsed = performance.now() - start;
  } while (elapsed < MEASURE_MS);
  return { rate: processed / (elapsed / 1_000), sink };
}

function countingCopy(rule: Rule, counter: { evaluations: number }): CompiledPattern {
  const { pattern } = rule;
  return {
    pattern: pattern.pattern,
    usesWildcard: pattern.usesWildcard,
    exactValuesAt: (field) => pattern.exactValuesAt(field),
    matches: (event) => {
      counter.evaluations++;
      return pattern.matches(event);
    },
  };
}

/**
 * Event × rule evaluations per second through `RuleIndex.match`, for 10, 100 and 1,000 rules. A
 * "pair" is one event checked against one rule of the bus, whether the index settles it by lookup
 * or by evaluating the pattern: pairs/s = events/s × rules. The patterns the index actually
 * evaluates per event are counted separately (untimed) to show that it does not scan.
 */
const bench: Bench = async () => {
  const rows: BenchRow[] = [];
  const microsPerEvent = new Map<number, number>();
  let scanMicros = 0;
  for (const ruleCount of RULE_COUNTS) {
    const rules = buildRules(ruleCount);
    const events = buildEvents(ruleCount);
    const index = new RuleIndex<string>();
    for (const rule of rules) index.add(rule.id, rule.pattern, rule.id);

    const counter = { evaluations: 0 };
    const countingIndex = new RuleIndex<string>();
    for (const rule of rules) countingIndex.add(rule.id, countingCopy(rule, counter), rule.id);
    let matchedPairs = 0;
    for (const event of events) {
      const viaIndex = countingIndex.match(event);
      const viaScan = rules.filter((rule) => rule.pattern.matches(event)).map((rule) => rule.id);
      if (viaIndex.join() !== viaScan.join()) {
        throw new Error(
          `RuleIndex disagrees with a full scan for ${ruleCount} rules on event ${String(event)}`,
        );
      }
      matchedPairs += viaIndex.length;
    }

    const { rate } = eventsPerSecond(events, (event) => index.match(event).length);
    const micros = 1_000_000 / rate;
    microsPerEvent.set(ruleCount, micros);
    const pairs = rate * ruleCount;
    const label = `${ruleCount.toLocaleString("en-US")} rules`;
    rows.push(
      {
        group: GROUP,
        metric: `event×rule pairs/s (events/s × rules), ${label}`,
        value: pairs,
        unit: "pairs/s",
        target: `>= ${TARGET_PAIRS_PER_SECOND.toLocaleString("en-US")}`,
        met: pairs >= TARGET_PAIRS_PER_SECOND,
      },
      { group: GROUP, metric: `time per event, ${label}`, value: micros, unit: "µs" },
      {
        group: GROUP,
        metric: `patterns evaluated per event, ${label}`,
        value: counter.evaluations / events.length,
        unit: "patterns",
      },
      {
        group: GROUP,
        metric: `matching rules per event, ${label}`,
        value: matchedPairs / events.length,
        unit: "rules",
      },
    );

    if (ruleCount === RULE_COUNTS[RULE_COUNTS.length - 1]) {
      const scan = eventsPerSecond(events, (event) => {
        let matched = 0;
        for (const rule of rules) if (rule.pattern.matches(event)) matched++;
        return matched;
      });
      scanMicros = 1_000_000 / scan.rate;
    }
  }
  const ratio = (microsPerEvent.get(1_000) ?? 0) / (microsPerEvent.get(10) ?? 1);
  rows.push(
    {
      group: GROUP,
      metric: "time per event, 1,000 rules ÷ 10 rules (100× the rules)",
      value: ratio,
      unit: "x",
      target: `< ${TARGET_RATIO} (sub-linear)`,
      met: ratio < TARGET_RATIO,
    },
    {
      group: GROUP,
      metric: "time per event, 1,000 rules, scanning every rule (no index)",
      value: scanMicros,
      unit: "µs",
    },
    {
      group: GROUP,
      metric: "patterns evaluated/s when scanning every rule (no index), 1,000 rules",
      value: (1_000 / scanMicros) * 1_000_000,
      unit: "patterns/s",
    },
  );
  return rows;
};

export default bench;
