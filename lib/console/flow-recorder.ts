/**
 * What the console shows of each event: every step the local pipeline took with it, recorded as it
 * happens. EventBridge keeps no per-event trace on AWS; the local pipeline sees every step, so the
 * console can show the whole path of one business transaction.
 *
 * Bounded: the last `capacity` events are kept with their steps (the oldest are forgotten first), and
 * each recording is an O(1) append, so recording costs the pipeline next to nothing.
 */

/** One step of an event's path. */
export type FlowStep =
  | { readonly kind: "accepted"; readonly at: number; readonly bus: string }
  | { readonly kind: "matched"; readonly at: number; readonly rule: string }
  | {
      readonly kind: "delivered";
      readonly at: number;
      readonly rule: string;
      readonly target: string;
      /** `true` when the target took it; otherwise why not (retries, DLQ). */
      readonly ok: boolean;
      readonly detail?: string;
    }
  | {
      readonly kind: "received";
      readonly at: number;
      readonly functionName: string;
      readonly receiveCount: number;
      readonly requestId?: string;
    }
  | {
      readonly kind: "handled";
      readonly at: number;
      readonly functionName: string;
      readonly ok: boolean;
      readonly durationMs: number;
      readonly requestId?: string;
      readonly error?: string;
    };

/** An accepted event as the console lists it, with the steps it took so far. */
export interface RecordedEvent {
  readonly id: string;
  readonly detailType: string;
  readonly source: string;
  readonly time: string;
  /** From `detail.metadata`, when the event has the envelope. */
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly eventId?: string;
  readonly replayName?: string;
  readonly detail: unknown;
  readonly steps: FlowStep[];
}

/** A function's log line, kept for the console by invocation. */
export interface RecordedLogLine {
  readonly requestId: string;
  readonly functionName: string;
  readonly message: string;
}

/** The event as the bus has it; only the fields the console shows. */
export interface ObservedEvent {
  readonly id: string;
  readonly "detail-type": string;
  readonly source: string;
  readonly time: string;
  readonly detail: Readonly<Record<string, unknown>>;
  readonly "replay-name"?: string;
}

/** Options of {@link FlowRecorder}. */
export interface FlowRecorderOptions {
  /** Events kept. @default 5000 */
  readonly capacity?: number;
  /** Log lines kept. @default 20000 */
  readonly logCapacity?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Receives each event as it is accepted (the console's live stream). */
export type EventListener = (event: RecordedEvent) => void;

/** The bounded record of every event's path, fed by the local pipeline, read by the console. */
export class FlowRecorder {
  private readonly events = new Map<string, RecordedEvent>();
  private readonly byEventId = new Map<string, string>();
  private readonly logs: RecordedLogLine[] = [];
  private readonly listeners = new Set<EventListener>();
  private readonly capacity: number;
  private readonly logCapacity: number;
  private readonly now: () => number;
  /** Accepted events per detail-type and matched events per rule, since start: the live rates. */
  public readonly counters = { accepted: 0, matchedByRule: new Map<string, number>(), failedHandlings: 0 };

  constructor(options: FlowRecorderOptions = {}) {
    this.capacity = options.capacity ?? 5000;
    this.logCapacity = options.logCapacity ?? 20_000;
    this.now = options.now ?? Date.now;
  }

  /** An event the bus accepted. */
  accepted(event: ObservedEvent, bus: string): void {
    const metadata = (event.detail.metadata ?? {}) as Record<string, unknown>;
    const text = (value: unknown) => (typeof value === "string" ? value : undefined);
    const recorded: RecordedEvent = {
      id: event.id,
      detailType: event["detail-type"],
      source: event.source,
      time: event.time,
      correlationId: text(metadata.correlationId),
      causationId: text(metadata.causationId),
      eventId: text(metadata.eventId),
      replayName: event["replay-name"],
      detail: event.detail,
      steps: [{ kind: "accepted", at: this.now(), bus }],
    };
    // A replayed event is the same event again: its steps join the original's when it is still kept.
    const existing = this.events.get(event.id);
    if (existing !== undefined) {
      existing.steps.push(...recorded.steps);
      return;
    }
    this.events.set(event.id, recorded);
    if (recorded.eventId !== undefined) this.byEventId.set(recorded.eventId, event.id);
    this.counters.accepted += 1;
    if (this.events.size > this.capacity) this.forgetOldest();
    for (const listener of this.listeners) listener(recorded);
  }

  /** A rule matched the event. */
  matched(eventId: string, rule: string): void {
    this.counters.matchedByRule.set(rule, (this.counters.matchedByRule.get(rule) ?? 0) + 1);
    this.events.get(eventId)?.steps.push({ kind: "matched", at: this.now(), rule });
  }

  /** A rule target took the event, or did not (its retries ran out: dead-lettered or dropped). */
  delivered(report: {
    readonly eventId: string;
    readonly rule: string;
    readonly target: string;
    readonly outcome: string;
    readonly attempts: number;
    readonly errorMessage?: string;
  }): void {
    const ok = report.outcome === "delivered";
    this.events.get(report.eventId)?.steps.push({
      kind: "delivered",
      at: this.now(),
      rule: report.rule,
      target: report.target,
      ok,
      ...(ok
        ? {}
        : { detail: `${report.outcome} after ${report.attempts} attempts: ${report.errorMessage ?? ""}` }),
    });
  }

  /** A consumer received the event (the SQS record's body is the event). */
  received(eventId: string, functionName: string, receiveCount: number, requestId?: string): void {
    this.events
      .get(eventId)
      ?.steps.push({ kind: "received", at: this.now(), functionName, receiveCount, requestId });
  }

  /** The consumer's handling of the event ended. */
  handled(
    eventId: string,
    functionName: string,
    outcome: { ok: boolean; durationMs: number; requestId?: string; error?: string },
  ): void {
    if (!outcome.ok) this.counters.failedHandlings += 1;
    this.events.get(eventId)?.steps.push({ kind: "handled", at: this.now(), functionName, ...outcome });
  }

  /** A function's log line. */
  log(line: RecordedLogLine): void {
    this.logs.push(line);
    if (this.logs.length > this.logCapacity) this.logs.splice(0, this.logs.length - this.logCapacity);
  }

  /** The most recent accepted events, newest first, that pass `filter`. */
  recent(limit: number, filter: (event: RecordedEvent) => boolean = () => true): RecordedEvent[] {
    const found: RecordedEvent[] = [];
    const all = [...this.events.values()];
    for (let index = all.length - 1; index >= 0 && found.length < limit; index -= 1) {
      const event = all[index] as RecordedEvent;
      if (filter(event)) found.push(event);
    }
    return found;
  }

  /** Every kept event of one business transaction, in the order they were accepted. */
  flow(correlationId: string): RecordedEvent[] {
    return [...this.events.values()].filter((event) => event.correlationId === correlationId);
  }

  /** The kept log lines of the invocations `requestIds`. */
  logLines(requestIds: ReadonlySet<string>): RecordedLogLine[] {
    return this.logs.filter((line) => requestIds.has(line.requestId));
  }

  /** The bus event id of the envelope's `eventId`, while it is kept. */
  busEventId(envelopeEventId: string): string | undefined {
    return this.byEventId.get(envelopeEventId);
  }

  /** Calls `listener` for each event accepted from now on; returns how to stop. */
  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many events are kept. */
  get size(): number {
    return this.events.size;
  }

  private forgetOldest(): void {
    const oldest = this.events.keys().next().value as string;
    const event = this.events.get(oldest);
    this.events.delete(oldest);
    if (event?.eventId !== undefined) this.byEventId.delete(event.eventId);
  }
}
