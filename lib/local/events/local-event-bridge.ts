import * as path from "node:path";
import { AWS_LIMITS } from "../../aws-limits";
import { type AwsJsonService, AwsServiceError } from "../aws-error";
import { type Clock, systemClock } from "../clock";
import type { LocalBusDefinition, LocalPipelineModel, LocalRuleDefinition } from "../model";
import {
  type CompiledPattern,
  compilePattern,
  InvalidEventPatternError,
  RuleIndex,
  testEventPattern,
} from "../pattern";
import { CORAL_REQUEST_ERRORS, type JsonOperation, jsonService, type RequestInput } from "../request-input";
import { escapeForLog, exceedsJsonDepth, MAX_DETAIL_NESTING_DEPTH } from "../untrusted-text";
import { ArchiveStore } from "./archive-store";
import {
  type BusEvent,
  isRejection,
  type PutEventsRequestEntry,
  readPutEventsEntries,
  toBusEvent,
} from "./bus-event";
import { type Replay, ReplayManager } from "./replay-manager";
import { type DeliveryReport, isAuditTarget, TargetDispatcher, type TargetSinks } from "./target-dispatcher";

/** Raised at start when the template holds something the local EventBridge cannot honour. */
export class LocalEventBridgeConfigError extends Error {
  public override readonly name = "LocalEventBridgeConfigError";
}

/** Properties of {@link LocalEventBridge}. */
export interface LocalEventBridgeProps {
  readonly model: LocalPipelineModel;
  /** Folder for archives. */
  readonly stateDir: string;
  readonly sinks: TargetSinks;
  /** @default 1 */
  readonly timeScale?: number;
  /** PutEvents entry-size limit. @default 1 MiB */
  readonly maxEntryBytes?: number;
  /** Receives one line per notable thing: event accepted, rule matched, delivery result. */
  readonly log?: (line: string) => void;
  /** Stamps events, times retries and replays, ages the archive. @default systemClock */
  readonly clock?: Clock;
  /** Told of every step an event takes on the bus (the local console's trace). @default - none */
  readonly observer?: BusObserver;
}

/** What the bus tells an observer: each accepted event, each rule it matched, each delivery's outcome. */
export interface BusObserver {
  accepted(event: BusEvent, bus: string): void;
  matched(eventId: string, rule: string): void;
  delivered(report: DeliveryReport): void;
}

interface CompiledRule {
  readonly definition: LocalRuleDefinition;
  readonly pattern: CompiledPattern;
}

function epochSeconds(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : date.getTime() / 1000;
}

/** A required name or ARN member: a non-empty string. */
function requireName(input: RequestInput, member: string): string {
  const value = input.string(member);
  if (value.length === 0) {
    throw new AwsServiceError(
      "ValidationException",
      `1 validation error detected: Value '' at '${member}' failed to satisfy constraint: Member must have length greater than or equal to 1`,
    );
  }
  return value;
}

/**
 * EventBridge on one machine: the buses, rules, targets and archives of the synthesized template,
 * with PutEvents' validation, EventBridge's pattern semantics, target retries and DLQs, archives and
 * replays. Exposed to clients as an AWS JSON 1.1 service.
 */
export class LocalEventBridge {
  public readonly service: AwsJsonService;
  private readonly model: LocalPipelineModel;
  private readonly buses = new Map<string, LocalBusDefinition>();
  private readonly indexes = new Map<string, RuleIndex<CompiledRule>>();
  private readonly rulesByArn = new Map<string, CompiledRule>();
  private readonly archives = new Map<string, ArchiveStore>();
  private readonly archivesByBus = new Map<string, ArchiveStore[]>();
  private readonly dispatcher: TargetDispatcher;
  private readonly replays: ReplayManager;
  /** Undefined when nothing is logged: `this.log?.(...)` then builds no line. */
  private readonly log: ((line: string) => void) | undefined;
  private readonly maxEntryBytes?: number;
  private readonly clock: Clock;
  private readonly observer: BusObserver | undefined;

  constructor(props: LocalEventBridgeProps) {
    this.observer = props.observer;
    this.model = props.model;
    this.clock = props.clock ?? systemClock;
    this.log = props.log;
    this.maxEntryBytes = props.maxEntryBytes;
    const { accountId, region } = props.model;
    const defaultBus: LocalBusDefinition = {
      logicalId: "default",
      name: "default",
      arn: `arn:aws:events:${region}:${accountId}:event-bus/default`,
    };
    for (const bus of [defaultBus, ...props.model.buses]) {
      this.buses.set(bus.name, bus);
      this.indexes.set(bus.name, new RuleIndex<CompiledRule>());
    }
    for (const rule of props.model.rules) this.addRule(rule);
    for (const archive of props.model.archives) {
      this.archives.set(
        archive.name,
        new ArchiveStore({
          name: archive.name,
          arn: archive.arn,
          directory: path.join(props.stateDir, "archives", archive.name),
          pattern:
            archive.eventPattern === undefined
              ? undefined
              : this.compile(archive.eventPattern, `archive ${archive.name}`),
          retentionDays: archive.retentionDays,
          clock: this.clock,
        }),
      );
    }
    // Looked up per event: by the bus's name, once.
    for (const definition of props.model.archives) {
      const store = this.archives.get(definition.name);
      if (store === undefined) continue;
      this.archivesByBus.set(definition.sourceBusName, [
        ...(this.archivesByBus.get(definition.sourceBusName) ?? []),
        store,
      ]);
    }
    this.dispatcher = new TargetDispatcher({
      sinks: props.sinks,
      timeScale: props.timeScale,
      clock: this.clock,
      ...(props.log === undefined && props.observer === undefined
        ? {}
        : {
            onReport: (report: DeliveryReport) => {
              this.log?.(describeReport(report));
              this.observer?.delivered(report);
            },
          }),
    });
    this.replays = new ReplayManager({
      accountId,
      region,
      clock: this.clock,
      inject: (event, busArn, filterArns) => this.route(event, this.busByArn(busArn), filterArns),
      onProgress: (replay) => {
        if (replay.state !== "RUNNING")
          this.log?.(`replay ${replay.name} ${replay.state.toLowerCase()} (${replay.replayedCount} events)`);
      },
    });
    const operations = this.operations();
    this.service = jsonService(operations, {
      errors: CORAL_REQUEST_ERRORS,
      unsupported: (operation, supported) =>
        new AwsServiceError(
          "UnknownOperationException",
          `The local EventBridge does not implement ${escapeForLog(operation)}. Supported: ${supported.join(", ")}.`,
        ),
    });
  }

  /** Opens the archives (loading their counts and applying retention). */
  public async open(): Promise<void> {
    await Promise.all([...this.archives.values()].map((archive) => archive.open((line) => this.log?.(line))));
  }

  /** Stops retries and waits for replays and deliveries in flight. */
  public async close(): Promise<void> {
    await this.replays.idle();
    await this.dispatcher.close();
  }

  /** Waits until running replays have ended (for tests). */
  public async replaysIdle(): Promise<void> {
    await this.replays.idle();
  }

  /**
   * Accepts PutEvents entries: validates each, archives and routes the accepted ones, and reports
   * every entry's outcome in order, as the PutEvents API does.
   */
  public async putEvents(entries: readonly PutEventsRequestEntry[]): Promise<{
    FailedEntryCount: number;
    Entries: ({ EventId: string } | { ErrorCode: string; ErrorMessage: string })[];
  }> {
    if (entries.length === 0 || entries.length > AWS_LIMITS.eventBridgePutEventsEntries.max) {
      throw new AwsServiceError(
        "ValidationException",
        `1 validation error detected: Value '[PutEventsRequestEntry]' at 'entries' failed to satisfy constraint: Member must have length ${entries.length === 0 ? "greater than or equal to 1" : "less than or equal to 10"}`,
      );
    }
    // Every entry is checked first (its bus resolved, its fields validated, its Detail read): an
    // unknown bus fails the request before any entry is routed, and a bad entry gets its own error.
    // Only then are the accepted ones archived and routed, so no answer follows a side effect that
    // the caller is not told of.
    const checked = entries.map((entry) => {
      const bus = this.resolveBus(entry.EventBusName);
      const event = toBusEvent(entry, {
        accountId: this.model.accountId,
        region: this.model.region,
        maxEntryBytes: this.maxEntryBytes,
        now: new Date(this.clock.now()),
      });
      return { entry, bus, event };
    });
    const results = await Promise.all(
      checked.map(async ({ entry, bus, event }) => {
        if (isRejection(event)) {
          this.log?.(
            `rejected ${escapeForLog(entry.DetailType ?? "(no detail-type)")} from ${escapeForLog(entry.Source ?? "(no source)")}: ${event.ErrorCode} ${event.ErrorMessage}`,
          );
          return event;
        }
        this.log?.(`accepted ${escapeForLog(event["detail-type"])} ${event.id} on ${bus.name}`);
        this.observer?.accepted(event, bus.name);
        try {
          await this.archive(bus, event);
          await this.route(event, bus);
        } catch (error) {
          // This entry's own failure, reported in its place as EventBridge does; the others stand.
          const message = error instanceof Error ? error.message : String(error);
          this.log?.(`failed ${escapeForLog(event["detail-type"])} ${event.id}: ${message}`);
          return {
            ErrorCode: "InternalFailure",
            ErrorMessage: `The event could not be delivered: ${message}`,
          };
        }
        return { EventId: event.id };
      }),
    );
    return { FailedEntryCount: results.filter((r) => "ErrorCode" in r).length, Entries: results };
  }

  /** Routes one event on a bus to the targets of every matching rule (or only `filterArns`). */
  public async route(
    event: BusEvent,
    bus: LocalBusDefinition,
    filterArns: readonly string[] = [],
  ): Promise<void> {
    const index = this.indexes.get(bus.name);
    if (!index) return;
    const matched = index
      .match(event)
      .filter((rule) => rule.definition.state === "ENABLED")
      .filter((rule) => filterArns.length === 0 || filterArns.includes(rule.definition.arn));
    for (const rule of matched) {
      this.log?.(`matched ${escapeForLog(event["detail-type"])} ${event.id} -> rule ${rule.definition.name}`);
      this.observer?.matched(event.id, rule.definition.name);
    }
    // The audit trail is as durable as delivery: an event is in the audit spool (on disk) before
    // any target can act on it, so after a crash the audit holds every event whose effects
    // happened. Every rule's audit targets go first, then every other target (the auditing rules'
    // own included). A failed first attempt is retried by the dispatcher and reported; delivery
    // goes on meanwhile.
    const deliver = (audit: boolean) =>
      Promise.all(
        matched.map((rule) => {
          const targets = rule.definition.targets.filter((target) => isAuditTarget(target) === audit);
          return targets.length === 0 ? undefined : this.dispatcher.dispatch(rule.definition, event, targets);
        }),
      );
    await deliver(true);
    await deliver(false);
  }

  /** Routes an event arriving from another bus's rule target (an event-bus target). */
  public async routeToBus(event: BusEvent, busArn: string): Promise<void> {
    const bus = this.busByArn(busArn);
    await this.archive(bus, event);
    await this.route(event, bus);
  }

  private async archive(bus: LocalBusDefinition, event: BusEvent): Promise<void> {
    for (const archive of this.archivesByBus.get(bus.name) ?? []) await archive.append([event]);
  }

  private addRule(rule: LocalRuleDefinition): void {
    const index = this.indexes.get(rule.busName);
    if (!index) {
      throw new LocalEventBridgeConfigError(
        `Rule ${rule.name} is on bus "${rule.busName}", which the template does not declare`,
      );
    }
    const compiled: CompiledRule = {
      definition: rule,
      pattern: this.compile(rule.eventPattern, `rule ${rule.name}`),
    };
    index.add(rule.arn, compiled.pattern, compiled);
    this.rulesByArn.set(rule.arn, compiled);
  }

  private compile(pattern: unknown, owner: string): CompiledPattern {
    try {
      return compilePattern(pattern);
    } catch (error) {
      if (error instanceof InvalidEventPatternError) {
        throw new LocalEventBridgeConfigError(
          `The event pattern of ${owner} cannot be run locally: ${error.message}. Fix the pattern in the CDK app and synthesize again.`,
          { cause: error },
        );
      }
      throw error;
    }
  }

  private resolveBus(nameOrArn: unknown): LocalBusDefinition {
    if (nameOrArn !== undefined && nameOrArn !== null && typeof nameOrArn !== "string") {
      throw new AwsServiceError(
        "SerializationException",
        `EventBusName must be a string (a bus name or ARN), got ${Array.isArray(nameOrArn) ? "a list" : typeof nameOrArn}.`,
      );
    }
    const name =
      nameOrArn === undefined || nameOrArn === null || nameOrArn === ""
        ? "default"
        : nameOrArn.replace(/^arn:[^:]+:events:[^:]*:[^:]*:event-bus\//, "");
    const bus = this.buses.get(name);
    if (!bus) throw new AwsServiceError("ResourceNotFoundException", `Event bus ${name} does not exist.`);
    return bus;
  }

  private busByArn(arn: string): LocalBusDefinition {
    return this.resolveBus(arn);
  }

  private archiveByName(name: string): ArchiveStore {
    const archive = this.archives.get(name);
    if (!archive) throw new AwsServiceError("ResourceNotFoundException", `Archive ${name} does not exist.`);
    return archive;
  }

  private ruleByName(name: string, busName: string | undefined): CompiledRule {
    const bus = this.resolveBus(busName);
    const rule = [...this.rulesByArn.values()].find(
      (r) => r.definition.name === name && r.definition.busName === bus.name,
    );
    if (!rule)
      throw new AwsServiceError(
        "ResourceNotFoundException",
        `Rule ${name} does not exist on EventBus ${bus.name}.`,
      );
    return rule;
  }

  /** The operations the local EventBridge serves; every other one is `UnknownOperationException`. */
  private operations(): Record<string, JsonOperation> {
    const byPrefix = <T extends { readonly name: string }>(items: Iterable<T>, input: RequestInput): T[] => {
      const prefix = input.optionalString("NamePrefix") ?? "";
      return [...items].filter((item) => item.name.startsWith(prefix));
    };
    return {
      PutEvents: (input) => this.putEvents(readPutEventsEntries(input.raw("Entries"))),
      TestEventPattern: (input) => this.testEventPattern(input),
      ListEventBuses: (input) => ({
        EventBuses: byPrefix(this.buses.values(), input).map((b) => ({ Name: b.name, Arn: b.arn })),
      }),
      ListRules: (input) => {
        const bus = this.resolveBus(input.optionalString("EventBusName"));
        return {
          Rules: byPrefix(
            [...this.rulesByArn.values()].map((r) => r.definition),
            input,
          )
            .filter((r) => r.busName === bus.name)
            .map(describeRule),
        };
      },
      DescribeRule: (input) =>
        describeRule(
          this.ruleByName(requireName(input, "Name"), input.optionalString("EventBusName")).definition,
        ),
      ListTargetsByRule: (input) => {
        const rule = this.ruleByName(requireName(input, "Rule"), input.optionalString("EventBusName"));
        return { Targets: rule.definition.targets.map(describeTarget) };
      },
      ListArchives: (input) => ({
        Archives: byPrefix(this.archives.values(), input).map((a) => this.describeArchive(a)),
      }),
      DescribeArchive: (input) => this.describeArchive(this.archiveByName(requireName(input, "ArchiveName"))),
      StartReplay: (input) => this.startReplay(input),
      DescribeReplay: (input) => describeReplay(this.replayByName(requireName(input, "ReplayName"))),
      ListReplays: (input) => {
        const state = input.optionalString("State");
        const sourceArn = input.optionalString("EventSourceArn");
        return {
          Replays: byPrefix(this.replays.list(), input)
            .filter((r) => state === undefined || r.state === state)
            .filter((r) => sourceArn === undefined || r.archive.arn === sourceArn)
            .map(describeReplay),
        };
      },
      CancelReplay: (input) => {
        const replay = this.replayByName(requireName(input, "ReplayName"));
        if (replay.state !== "STARTING" && replay.state !== "RUNNING") {
          throw new AwsServiceError(
            "IllegalStatusException",
            `Replay ${replay.name} is ${replay.state} and cannot be cancelled.`,
          );
        }
        this.replays.cancel(replay);
        return { ReplayArn: replay.arn, State: "CANCELLING" };
      },
    };
  }

  private testEventPattern(input: RequestInput): { Result: boolean } {
    const pattern = requireName(input, "EventPattern");
    const event = requireName(input, "Event");
    if (exceedsJsonDepth(pattern, MAX_DETAIL_NESTING_DEPTH)) {
      throw new AwsServiceError(
        "InvalidEventPatternException",
        `Event pattern is not valid. Reason: it nests objects and arrays more than ${MAX_DETAIL_NESTING_DEPTH} levels deep.`,
      );
    }
    if (exceedsJsonDepth(event, MAX_DETAIL_NESTING_DEPTH)) {
      throw new AwsServiceError(
        "ValidationException",
        `Parameter Event is not valid. Reason: it nests objects and arrays more than ${MAX_DETAIL_NESTING_DEPTH} levels deep.`,
      );
    }
    try {
      return { Result: testEventPattern(pattern, event) };
    } catch (error) {
      if (error instanceof InvalidEventPatternError) {
        throw new AwsServiceError("InvalidEventPatternException", error.message);
      }
      throw error;
    }
  }

  private describeArchive(archive: ArchiveStore): Record<string, unknown> {
    const definition = this.model.archives.find((a) => a.name === archive.name);
    const stats = archive.stats();
    return {
      ArchiveArn: archive.arn,
      ArchiveName: archive.name,
      EventSourceArn: definition?.sourceBusArn,
      EventPattern:
        definition?.eventPattern === undefined ? undefined : JSON.stringify(definition.eventPattern),
      State: "ENABLED",
      RetentionDays: definition?.retentionDays ?? 0,
      SizeBytes: stats.sizeBytes,
      EventCount: stats.eventCount,
    };
  }

  private startReplay(input: RequestInput): Record<string, unknown> {
    const name = requireName(input, "ReplayName");
    const sourceArn = requireName(input, "EventSourceArn");
    const start = input.timestamp("EventStartTime");
    const end = input.timestamp("EventEndTime");
    const destination = input.optionalStructure("Destination");
    const destinationArn = destination?.optionalString("Arn");
    const filterArns = destination?.optionalStringList("FilterArns") ?? [];
    const description = input.optionalString("Description");
    if (this.replays.get(name)) {
      throw new AwsServiceError("ResourceAlreadyExistsException", `Replay ${name} already exists.`);
    }
    const archiveName = sourceArn.replace(/^arn:[^:]+:events:[^:]*:[^:]*:archive\//, "");
    const archive = this.archiveByName(archiveName);
    if (start.getTime() >= end.getTime()) {
      throw new AwsServiceError(
        "ValidationException",
        "Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.",
      );
    }
    const definition = this.model.archives.find((a) => a.name === archiveName);
    if (destinationArn === undefined || destinationArn !== definition?.sourceBusArn) {
      throw new AwsServiceError(
        "ValidationException",
        `Parameter Destination.Arn is not valid. Reason: a replay goes only to the archive's source bus (${definition?.sourceBusArn}); got ${String(destinationArn)}.`,
      );
    }
    for (const ruleArn of filterArns) {
      if (!this.rulesByArn.has(ruleArn)) {
        throw new AwsServiceError("ResourceNotFoundException", `Rule ${ruleArn} does not exist.`);
      }
    }
    const replay = this.replays.start({
      name,
      description,
      archive,
      destinationBusArn: destinationArn,
      filterArns,
      eventStartTime: start,
      eventEndTime: end,
    });
    this.log?.(
      `replay ${escapeForLog(name)} started from ${archive.name}: ${start.toISOString()} .. ${end.toISOString()}`,
    );
    return {
      ReplayArn: replay.arn,
      State: replay.state,
      ReplayStartTime: epochSeconds(replay.replayStartTime),
    };
  }

  private replayByName(name: string): Replay {
    const replay = this.replays.get(name);
    if (!replay) throw new AwsServiceError("ResourceNotFoundException", `Replay ${name} does not exist.`);
    return replay;
  }
}

function describeRule(rule: LocalRuleDefinition): Record<string, unknown> {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventPattern: JSON.stringify(rule.eventPattern),
    State: rule.state,
    Description: rule.description,
    EventBusName: rule.busName,
  };
}

function describeTarget(target: LocalRuleDefinition["targets"][number]): Record<string, unknown> {
  return {
    Id: target.id,
    Arn: target.arn,
    Input: target.input,
    InputPath: target.inputPath,
    InputTransformer: target.inputTransformer
      ? {
          InputPathsMap: target.inputTransformer.inputPathsMap,
          InputTemplate: target.inputTransformer.inputTemplate,
        }
      : undefined,
    RetryPolicy: {
      MaximumRetryAttempts: target.retryPolicy.maximumRetryAttempts,
      MaximumEventAgeInSeconds: target.retryPolicy.maximumEventAgeInSeconds,
    },
    DeadLetterConfig: target.deadLetterArn ? { Arn: target.deadLetterArn } : undefined,
  };
}

function describeReplay(replay: Replay): Record<string, unknown> {
  return {
    ReplayName: replay.name,
    ReplayArn: replay.arn,
    Description: replay.description,
    State: replay.state,
    StateReason: replay.stateReason,
    EventSourceArn: replay.archive.arn,
    Destination: {
      Arn: replay.destinationBusArn,
      FilterArns: replay.filterArns.length > 0 ? [...replay.filterArns] : undefined,
    },
    EventStartTime: epochSeconds(replay.eventStartTime),
    EventEndTime: epochSeconds(replay.eventEndTime),
    EventLastReplayedTime: epochSeconds(replay.eventLastReplayedTime),
    ReplayStartTime: epochSeconds(replay.replayStartTime),
    ReplayEndTime: epochSeconds(replay.replayEndTime),
  };
}

function describeReport(report: DeliveryReport): string {
  if (report.outcome === "delivered") {
    return `delivered rule ${report.rule} -> ${report.target}${report.attempts > 1 ? ` after ${report.attempts} attempts` : ""}`;
  }
  const verdict = report.outcome === "dead-lettered" ? "DEAD-LETTERED" : "DROPPED (no DLQ)";
  return `${verdict} rule ${report.rule} -> ${report.target} after ${report.attempts} attempt(s): ${report.errorCode} ${report.errorMessage}`;
}
