import { randomBytes } from "node:crypto";
import {
  CancelReplayCommand,
  DescribeReplayCommand,
  DescribeRuleCommand,
  type EventBridgeClient,
  ListReplaysCommand,
  type ReplayState,
  StartReplayCommand,
  type StartReplayCommandOutput,
} from "@aws-sdk/client-eventbridge";
import type { AuditEventCounter } from "./audit-event-count";
import { findSubscription, type StackResources } from "./stack-resources";
import { assertArchiveCaughtUp, type TimeWindow } from "./time-window";

/** A replay cannot be started, found or cancelled; the message says why and what to do. */
export class ReplayError extends Error {
  public override readonly name = "ReplayError";
}

/** What to replay. */
export interface ReplayRequest {
  /** The events whose `time` lies in this window. */
  readonly window: TimeWindow;
  /**
   * Subscriptions whose rules receive the replayed events (Destination.FilterArns).
   * @default - every rule of the bus
   */
  readonly subscriptions?: readonly string[];
  /**
   * The replay's name (1-64 of `A-Z a-z 0-9 . - _`, unique in the account and region).
   * @default - `replay-<UTC time>-<subscriptions or "all">-<4 hex>`
   */
  readonly name?: string;
  /** Replay a window that ends less than 10 minutes ago (the archive may still lack its last events). @default false */
  readonly force?: boolean;
  /** @default - the current time */
  readonly now?: Date;
}

/** A replay as DescribeReplay and ListReplays report it. */
export interface ReplayStatus {
  readonly name: string;
  readonly state: ReplayState | "UNKNOWN";
  /** Why a replay failed or was cancelled. */
  readonly stateReason?: string;
  readonly eventStartTime?: Date;
  readonly eventEndTime?: Date;
  /** The `time` of the newest event replayed so far: the progress through the window. */
  readonly eventLastReplayedTime?: Date;
  readonly replayStartTime?: Date;
  readonly replayEndTime?: Date;
  /** The archive the replay reads. */
  readonly eventSourceArn?: string;
  /** The rules the replay is limited to; empty: every rule of the bus. */
  readonly filterArns: readonly string[];
}

/** A replay that was started. */
export interface StartedReplay {
  readonly name: string;
  readonly arn: string;
  readonly state: ReplayState | "UNKNOWN";
  readonly window: TimeWindow;
  readonly archiveArn: string;
  readonly destinationBusArn: string;
  /** The subscriptions the replay goes to; empty: every rule of the bus. */
  readonly subscriptions: readonly string[];
  /** Their rules' ARNs, as given to Destination.FilterArns. */
  readonly filterArns: readonly string[];
}

/** What a dry run found: the window's events in the audit trail, and where a replay would send them. */
export interface ReplayDryRun {
  readonly window: TimeWindow;
  /** Events of the window in the audit trail, replays excluded. */
  readonly events: number;
  /** How they were counted, e.g. `local audit files under ...` or `Athena workgroup ...`. */
  readonly countedWith: string;
  readonly subscriptions: readonly string[];
  readonly filterArns: readonly string[];
}

/** The states after which a replay does nothing more. */
export const FINAL_REPLAY_STATES: ReadonlySet<string> = new Set(["COMPLETED", "CANCELLED", "FAILED"]);

const REPLAY_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

/**
 * The rule ARN of each subscription, from DescribeRule on the rule the stack's outputs name (an
 * output of a rule on a custom bus reads `bus|rule`).
 *
 * @throws StackResourcesError for a subscription the stack does not have
 */
export async function subscriptionRuleArns(
  eventBridge: EventBridgeClient,
  resources: StackResources,
  subscriptions: readonly string[],
): Promise<string[]> {
  const arns: string[] = [];
  for (const name of subscriptions) {
    const subscription = findSubscription(resources, name);
    const [busName, ruleName] = splitRuleName(subscription.ruleName, resources.eventBusName);
    const rule = await eventBridge.send(new DescribeRuleCommand({ Name: ruleName, EventBusName: busName }));
    if (rule.Arn === undefined) {
      throw new ReplayError(
        `DescribeRule on rule "${ruleName}" of subscription "${name}" returned no ARN; check that the rule exists on bus "${busName}".`,
      );
    }
    arns.push(rule.Arn);
  }
  return arns;
}

/**
 * Starts a replay of the window from the stack's archive to its bus, limited to the rules of the
 * chosen subscriptions. Refuses a window ending less than 10 minutes ago unless `force` is set.
 *
 * @throws TimeWindowError for a window the archive may not have caught up with
 * @throws StackResourcesError for an unknown subscription
 * @throws ReplayError for an invalid or already used name
 */
export async function startArchiveReplay(
  eventBridge: EventBridgeClient,
  resources: StackResources,
  request: ReplayRequest,
): Promise<StartedReplay> {
  const now = request.now ?? new Date();
  if (request.force !== true) assertArchiveCaughtUp(request.window, now);
  const subscriptions = [...new Set(request.subscriptions ?? [])];
  const name = request.name ?? defaultReplayName(now, subscriptions);
  if (!REPLAY_NAME.test(name)) {
    throw new ReplayError(
      `Replay name "${name}" is not valid; expected 1-64 characters of A-Z a-z 0-9 . - _ (e.g. --name fix-inventory-1).`,
    );
  }
  const filterArns = await subscriptionRuleArns(eventBridge, resources, subscriptions);
  let answer: StartReplayCommandOutput;
  try {
    answer = await eventBridge.send(
      new StartReplayCommand({
        ReplayName: name,
        Description: `eventrail replay ${subscriptions.length > 0 ? `to ${subscriptions.join(", ")}` : "to every rule"}`,
        EventSourceArn: resources.archiveArn,
        EventStartTime: request.window.start,
        EventEndTime: request.window.end,
        Destination: {
          Arn: resources.eventBusArn,
          ...(filterArns.length > 0 ? { FilterArns: filterArns } : {}),
        },
      }),
    );
  } catch (error) {
    if (error instanceof Error && error.name === "ResourceAlreadyExistsException") {
      throw new ReplayError(
        `A replay named "${name}" already exists; choose another --name (replay names are unique in the account and region).`,
        { cause: error },
      );
    }
    throw error;
  }
  return {
    name,
    arn: answer.ReplayArn ?? "",
    state: answer.State ?? "UNKNOWN",
    window: request.window,
    archiveArn: resources.archiveArn,
    destinationBusArn: resources.eventBusArn,
    subscriptions,
    filterArns,
  };
}

/**
 * Checks a replay request as {@link startArchiveReplay} would (window, subscriptions) and counts the
 * window's events in the audit trail instead of replaying them.
 */
export async function dryRunArchiveReplay(
  eventBridge: EventBridgeClient,
  resources: StackResources,
  request: ReplayRequest,
  counter: AuditEventCounter,
): Promise<ReplayDryRun> {
  const now = request.now ?? new Date();
  if (request.force !== true) assertArchiveCaughtUp(request.window, now);
  const subscriptions = [...new Set(request.subscriptions ?? [])];
  const filterArns = await subscriptionRuleArns(eventBridge, resources, subscriptions);
  const events = await counter.countEvents(request.window);
  return { window: request.window, events, countedWith: counter.method, subscriptions, filterArns };
}

/**
 * One replay's state.
 *
 * @throws ReplayError when no replay has that name
 */
export async function describeArchiveReplay(
  eventBridge: EventBridgeClient,
  name: string,
): Promise<ReplayStatus> {
  try {
    const answer = await eventBridge.send(new DescribeReplayCommand({ ReplayName: name }));
    return {
      name: answer.ReplayName ?? name,
      state: answer.State ?? "UNKNOWN",
      stateReason: answer.StateReason,
      eventStartTime: answer.EventStartTime,
      eventEndTime: answer.EventEndTime,
      eventLastReplayedTime: answer.EventLastReplayedTime,
      replayStartTime: answer.ReplayStartTime,
      replayEndTime: answer.ReplayEndTime,
      eventSourceArn: answer.EventSourceArn,
      filterArns: answer.Destination?.FilterArns ?? [],
    };
  } catch (error) {
    throw notFound(error, name);
  }
}

/** Options of {@link waitForReplay}. */
export interface WaitForReplayOptions {
  /** Called after each DescribeReplay. */
  readonly onProgress?: (status: ReplayStatus) => void;
  /** Time between DescribeReplay calls. @default 2000 */
  readonly pollIntervalMs?: number;
  /** Stops waiting (the replay goes on) when aborted. */
  readonly signal?: AbortSignal;
  /** @default - a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Polls DescribeReplay until the replay is COMPLETED, CANCELLED or FAILED (or `signal` aborts, which
 * leaves the replay running) and resolves with its last state.
 */
export async function waitForReplay(
  eventBridge: EventBridgeClient,
  name: string,
  options: WaitForReplayOptions = {},
): Promise<ReplayStatus> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    const status = await describeArchiveReplay(eventBridge, name);
    options.onProgress?.(status);
    if (FINAL_REPLAY_STATES.has(status.state) || options.signal?.aborted === true) return status;
    await sleep(options.pollIntervalMs ?? 2_000);
  }
}

/**
 * How far a replay has come through its window, 0 to 1: the newest replayed event's `time` between
 * the window's start and end (replays go in 1-minute slices, so this is the best measure
 * EventBridge gives). 1 once COMPLETED; undefined when the window is unknown.
 */
export function replayProgress(status: ReplayStatus): number | undefined {
  if (status.state === "COMPLETED") return 1;
  const { eventStartTime: start, eventEndTime: end, eventLastReplayedTime: last } = status;
  if (start === undefined || end === undefined) return undefined;
  if (last === undefined) return 0;
  const span = end.getTime() - start.getTime();
  if (span <= 0) return 1;
  return Math.min(1, Math.max(0, (last.getTime() - start.getTime()) / span));
}

/** The replays of the stack's archive, newest first (every page of ListReplays). */
export async function listArchiveReplays(
  eventBridge: EventBridgeClient,
  resources: StackResources,
): Promise<ReplayStatus[]> {
  const replays: ReplayStatus[] = [];
  let nextToken: string | undefined;
  do {
    const page = await eventBridge.send(
      new ListReplaysCommand({ EventSourceArn: resources.archiveArn, NextToken: nextToken }),
    );
    for (const replay of page.Replays ?? []) {
      replays.push({
        name: replay.ReplayName ?? "",
        state: replay.State ?? "UNKNOWN",
        stateReason: replay.StateReason,
        eventStartTime: replay.EventStartTime,
        eventEndTime: replay.EventEndTime,
        eventLastReplayedTime: replay.EventLastReplayedTime,
        replayStartTime: replay.ReplayStartTime,
        replayEndTime: replay.ReplayEndTime,
        eventSourceArn: replay.EventSourceArn,
        filterArns: [],
      });
    }
    nextToken = page.NextToken;
  } while (nextToken !== undefined);
  return replays.sort((a, b) => (b.replayStartTime?.getTime() ?? 0) - (a.replayStartTime?.getTime() ?? 0));
}

/**
 * Asks a running replay to stop; EventBridge stops it before its next slice.
 *
 * @throws ReplayError when no replay has that name, or it has already ended
 */
export async function cancelArchiveReplay(
  eventBridge: EventBridgeClient,
  name: string,
): Promise<{ readonly name: string; readonly state: ReplayState | "UNKNOWN" }> {
  try {
    const answer = await eventBridge.send(new CancelReplayCommand({ ReplayName: name }));
    return { name, state: answer.State ?? "UNKNOWN" };
  } catch (error) {
    if (error instanceof Error && error.name === "IllegalStatusException") {
      throw new ReplayError(
        `Replay "${name}" cannot be cancelled: it is no longer running (${error.message}); see "eventrail replay list".`,
        { cause: error },
      );
    }
    throw notFound(error, name);
  }
}

/** `replay-20260301T083000Z-inventory-3f9a`: sortable, says what it targets, unique. */
export function defaultReplayName(now: Date, subscriptions: readonly string[]): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const suffix = randomBytes(2).toString("hex");
  const scope = (subscriptions.length > 0 ? subscriptions.join("-") : "all").replace(
    /[^.\-_A-Za-z0-9]/g,
    "_",
  );
  const fixed = `replay-${stamp}--${suffix}`;
  return `replay-${stamp}-${scope.slice(0, 64 - fixed.length)}-${suffix}`;
}

function splitRuleName(ruleName: string, defaultBus: string): [bus: string, rule: string] {
  const bar = ruleName.lastIndexOf("|");
  return bar < 0 ? [defaultBus, ruleName] : [ruleName.slice(0, bar), ruleName.slice(bar + 1)];
}

function notFound(error: unknown, name: string): unknown {
  if (error instanceof Error && error.name === "ResourceNotFoundException") {
    return new ReplayError(
      `Replay "${name}" does not exist; see "eventrail replay list" for the replays of the archive.`,
      { cause: error },
    );
  }
  return error;
}
