import { type CompiledPattern, withPreparedEvent } from "./compile-pattern";
import { DuplicateRuleError, RuleLimitExceededError } from "./errors";
import { isJsonObject } from "./json-value";
import { PATTERN_LIMITS } from "./limits";

/** Options of {@link RuleIndex}. */
export interface RuleIndexOptions {
  /**
   * How many rules whose patterns use `wildcard` the index accepts, as EventBridge's non-adjustable
   * "Rules containing wildcards" quota does per event bus. `Infinity` turns the check off.
   * @default 30
   */
  readonly maxWildcardRules?: number;
}

interface Entry<T> {
  readonly id: string;
  /** Insertion order, to return matches in the order rules were added. */
  readonly seq: number;
  readonly pattern: CompiledPattern;
  readonly value: T;
  /** The buckets holding this entry, to take it out again. */
  readonly placements: Placement<T>[];
  /** The match call that last looked at this entry, so that one call never evaluates it twice. */
  visited: number;
}

/** The state of one `match` call. */
interface Visit<T> {
  readonly event: unknown;
  readonly call: number;
  readonly matched: Entry<T>[];
  /** How many non-empty buckets contributed candidates. */
  buckets: number;
}

interface Placement<T> {
  readonly bucket: Entry<T>[];
  readonly release: () => void;
}

const SOURCE = "source";
const DETAIL_TYPE = "detail-type";
/** Beyond this many source × detail-type combinations a rule is indexed by the smaller list only. */
const MAX_PAIR_KEYS = 64;

/**
 * The rules of one event bus, indexed so that matching an event evaluates only the rules that can
 * match it.
 *
 * Almost every rule pins `source` and `detail-type` to exact strings, so rules are filed under
 * those values (the pair when both are pinned, else the one that is); an event then looks up its
 * own `source` and `detail-type` and evaluates the few rules found there, plus the rules that pin
 * neither, which are scanned. The cost per event therefore grows with the number of rules that
 * share its source and type, not with the number of rules.
 */
export class RuleIndex<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly byPair = new Map<string, Map<string, Entry<T>[]>>();
  private readonly bySource = new Map<string, Entry<T>[]>();
  private readonly byDetailType = new Map<string, Entry<T>[]>();
  private readonly unindexed: Entry<T>[] = [];
  private readonly maxWildcardRules: number;
  private wildcardRules = 0;
  private nextSeq = 0;
  private matchCall = 0;

  constructor(options: RuleIndexOptions = {}) {
    this.maxWildcardRules = options.maxWildcardRules ?? PATTERN_LIMITS.wildcardRulesPerBus;
  }

  /** How many rules the index holds. */
  get size(): number {
    return this.entries.size;
  }

  /** Whether a rule with this id is in the index. */
  has(id: string): boolean {
    return this.entries.has(id);
  }

  /**
   * Adds a rule.
   * @throws DuplicateRuleError when `id` is already present (remove it first to replace it).
   * @throws RuleLimitExceededError when the rule uses `wildcard` and the wildcard-rule quota is reached.
   */
  add(id: string, pattern: CompiledPattern, value: T): void {
    if (this.entries.has(id)) throw new DuplicateRuleError(id);
    if (pattern.usesWildcard && this.wildcardRules >= this.maxWildcardRules) {
      throw new RuleLimitExceededError(
        id,
        this.maxWildcardRules,
        `Rule "${id}" uses a wildcard filter, but the bus already has ${this.wildcardRules} such rules, EventBridge's limit of ${this.maxWildcardRules} per bus; use prefix/suffix filters or remove another wildcard rule`,
      );
    }
    const entry: Entry<T> = { id, seq: this.nextSeq++, pattern, value, placements: [], visited: 0 };
    this.place(entry);
    this.entries.set(id, entry);
    if (pattern.usesWildcard) this.wildcardRules++;
  }

  /**
   * Removes a rule.
   * @returns whether a rule with this id was present.
   */
  remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (entry === undefined) return false;
    for (const { bucket, release } of entry.placements) {
      bucket.splice(bucket.indexOf(entry), 1);
      if (bucket.length === 0) release();
    }
    this.entries.delete(id);
    if (entry.pattern.usesWildcard) this.wildcardRules--;
    return true;
  }

  /** The values of every rule whose pattern matches `event`, in the order the rules were added. */
  match(event: unknown): T[] {
    // Prepared once (dotted keys expanded) for all the patterns evaluated.
    return withPreparedEvent(event, (prepared) => this.matchPrepared(prepared));
  }

  private matchPrepared(event: unknown): T[] {
    const visit: Visit<T> = { event, call: ++this.matchCall, matched: [], buckets: 0 };
    if (isJsonObject(event)) {
      const detailTypes = event[DETAIL_TYPE];
      this.visitSources(event[SOURCE], detailTypes, visit);
      this.visitDetailTypes(detailTypes, visit);
    }
    this.evaluate(this.unindexed, visit);
    const { matched } = visit;
    // Each bucket is in insertion order; only results drawn from several buckets need merging.
    if (visit.buckets > 1 && matched.length > 1) matched.sort((a, b) => a.seq - b.seq);
    return matched.map((entry) => entry.value);
  }

  // The visitors below walk a string or (nested) array of strings without allocating, because
  // match runs once per event and per bus.
  private visitSources(sources: unknown, detailTypes: unknown, visit: Visit<T>): void {
    if (typeof sources === "string") {
      this.evaluate(this.bySource.get(sources), visit);
      const pairs = this.byPair.get(sources);
      if (pairs !== undefined) this.visitPairs(pairs, detailTypes, visit);
    } else if (Array.isArray(sources)) {
      for (const source of sources) this.visitSources(source, detailTypes, visit);
    }
  }

  private visitPairs(pairs: ReadonlyMap<string, Entry<T>[]>, detailTypes: unknown, visit: Visit<T>): void {
    if (typeof detailTypes === "string") this.evaluate(pairs.get(detailTypes), visit);
    else if (Array.isArray(detailTypes)) {
      for (const detailType of detailTypes) this.visitPairs(pairs, detailType, visit);
    }
  }

  private visitDetailTypes(detailTypes: unknown, visit: Visit<T>): void {
    if (typeof detailTypes === "string") this.evaluate(this.byDetailType.get(detailTypes), visit);
    else if (Array.isArray(detailTypes)) {
      for (const detailType of detailTypes) this.visitDetailTypes(detailType, visit);
    }
  }

  private evaluate(bucket: readonly Entry<T>[] | undefined, visit: Visit<T>): void {
    if (bucket === undefined || bucket.length === 0) return;
    visit.buckets++;
    for (const entry of bucket) {
      if (entry.visited === visit.call) continue;
      entry.visited = visit.call;
      if (entry.pattern.matches(visit.event)) visit.matched.push(entry);
    }
  }

  private place(entry: Entry<T>): void {
    const sources = entry.pattern.exactValuesAt(SOURCE);
    const detailTypes = entry.pattern.exactValuesAt(DETAIL_TYPE);
    if (
      sources !== undefined &&
      detailTypes !== undefined &&
      sources.length * detailTypes.length <= MAX_PAIR_KEYS
    ) {
      for (const source of sources) {
        for (const detailType of detailTypes) this.placeInPair(entry, source, detailType);
      }
    } else if (sources !== undefined && (detailTypes === undefined || sources.length <= detailTypes.length)) {
      for (const source of sources) this.placeInMap(entry, this.bySource, source);
    } else if (detailTypes !== undefined) {
      for (const detailType of detailTypes) this.placeInMap(entry, this.byDetailType, detailType);
    } else {
      this.unindexed.push(entry);
      entry.placements.push({ bucket: this.unindexed, release: () => {} });
    }
  }

  private placeInMap(entry: Entry<T>, map: Map<string, Entry<T>[]>, key: string): void {
    let bucket = map.get(key);
    if (bucket === undefined) {
      bucket = [];
      map.set(key, bucket);
    }
    bucket.push(entry);
    entry.placements.push({ bucket, release: () => map.delete(key) });
  }

  private placeInPair(entry: Entry<T>, source: string, detailType: string): void {
    let byType = this.byPair.get(source);
    if (byType === undefined) {
      byType = new Map();
      this.byPair.set(source, byType);
    }
    const inner = byType;
    let bucket = inner.get(detailType);
    if (bucket === undefined) {
      bucket = [];
      inner.set(detailType, bucket);
    }
    bucket.push(entry);
    entry.placements.push({
      bucket,
      release: () => {
        inner.delete(detailType);
        if (inner.size === 0) this.byPair.delete(source);
      },
    });
  }
}
