import { MAX_ENTRIES_PER_CALL } from "./entry-size";
import type { PreparedEvent } from "./envelope";
import { PublishError, PublishStreamConsumedError } from "./errors";
import type { PublishCounts, PublishInput, PublishOutcome, PublishStream, UnpublishedOutcome } from "./types";

/** A prepared event and its position in the input. */
export interface IndexedEvent extends PreparedEvent {
  readonly index: number;
}

/** What a run needs from its publisher. */
export interface RunHooks {
  /** PutEvents calls (batches, with their retries) to keep going at once. */
  readonly maxInFlight: number;
  /** The limit on one call's total entry size. */
  readonly maxEntryBytes: number;
  /** How long a partly filled batch waits for more input from a slow source. */
  readonly lingerMs: number;
  /** Validates one input; an invalid one becomes its outcome. Never throws. */
  prepare(input: PublishInput, index: number): IndexedEvent | UnpublishedOutcome;
  /** Sends one batch, with retries; one outcome per event. Never rejects. */
  deliver(events: readonly IndexedEvent[], onCall: () => void): Promise<readonly PublishOutcome[]>;
}

/**
 * How many events past the oldest unreported one a run takes in: enough for every call in flight
 * plus a batch being filled, and slack for a batch that is backing off while later ones finish.
 * This bounds memory whatever the input's length.
 */
const WINDOW_BATCHES_PER_CALL = 4;

type Source = Iterator<PublishInput> | AsyncIterator<PublishInput>;

/**
 * One publishing run over an (async) iterable: packs events into batches of at most 10 entries
 * and `maxEntryBytes`, keeps up to `maxInFlight` batches going, and yields every outcome in input
 * order. It reads the input only as fast as outcomes are consumed (backpressure): at most a
 * window of `maxInFlight x 10 x 4` events is held at any time.
 *
 * A run may be iterated once. Leaving the loop early stops reading the input; batches already
 * sent still complete, but their outcomes are not reported.
 */
export class PublishRun implements PublishStream {
  readonly #inputs: Iterable<PublishInput> | AsyncIterable<PublishInput>;
  readonly #hooks: RunHooks;
  readonly #throwOnFailure: boolean;
  #started = false;
  readonly #counts = { published: 0, failed: 0, invalid: 0, calls: 0 };

  constructor(
    inputs: Iterable<PublishInput> | AsyncIterable<PublishInput>,
    hooks: RunHooks,
    /** Throw a {@link PublishError} listing the unpublished events after the last outcome. */
    throwOnFailure: boolean,
  ) {
    this.#inputs = inputs;
    this.#hooks = hooks;
    this.#throwOnFailure = throwOnFailure;
  }

  /** Totals so far; final once iteration has ended. */
  get counts(): PublishCounts {
    return { ...this.#counts };
  }

  [Symbol.asyncIterator](): AsyncIterator<PublishOutcome> {
    if (this.#started) throw new PublishStreamConsumedError();
    this.#started = true;
    return this.#run();
  }

  async *#run(): AsyncGenerator<PublishOutcome, void, undefined> {
    const hooks = this.#hooks;
    const maxWindow = hooks.maxInFlight * MAX_ENTRIES_PER_CALL * WINDOW_BATCHES_PER_CALL;
    const inputs = this.#inputs;
    const source: Source =
      Symbol.asyncIterator in inputs ? inputs[Symbol.asyncIterator]() : inputs[Symbol.iterator]();
    const isAsync = Symbol.asyncIterator in inputs;
    const ready = new Map<number, PublishOutcome>();
    const failures: UnpublishedOutcome[] = [];
    const batch = new BatchBuilder(hooks.maxEntryBytes);
    /** An admitted event that did not fit the current batch; it opens the next one. */
    let held: IndexedEvent | undefined;
    let admitted = 0;
    let emitted = 0;
    let inFlight = 0;
    let exhausted = false;
    let settled = new Signal();
    let pendingRead: Promise<void> | undefined;
    let arrived: IteratorResult<PublishInput> | undefined;
    /** An error of the input or of the publisher itself: it ends the run. */
    let fatal: { readonly error: unknown } | undefined;
    let linger: Timer | undefined;
    let lingerExpired = false;

    const admit = (input: PublishInput): void => {
      const index = admitted++;
      const prepared = hooks.prepare(input, index);
      if ("status" in prepared) ready.set(index, prepared);
      else if (batch.fits(prepared)) batch.add(prepared);
      else held = prepared;
    };

    const dispatch = (): void => {
      const events = batch.take();
      linger?.cancel();
      linger = undefined;
      lingerExpired = false;
      if (held !== undefined) {
        batch.add(held);
        held = undefined;
      }
      inFlight++;
      hooks
        .deliver(events, () => {
          this.#counts.calls++;
        })
        .then(
          (outcomes) => {
            for (const outcome of outcomes) ready.set(outcome.index, outcome);
          },
          (error: unknown) => {
            fatal ??= { error };
          },
        )
        .finally(() => {
          inFlight--;
          const done = settled;
          settled = new Signal();
          done.fire();
        });
    };

    try {
      for (;;) {
        for (let next = ready.get(emitted); next !== undefined; next = ready.get(emitted)) {
          ready.delete(emitted);
          emitted++;
          this.#count(next);
          if (next.status !== "published") failures.push(next);
          yield next;
        }
        if (fatal !== undefined) throw fatal.error;
        if (exhausted && emitted === admitted) break;

        const windowFull = admitted - emitted >= maxWindow;
        const batchMustGo =
          batch.isFull ||
          held !== undefined ||
          (!batch.isEmpty && (exhausted || lingerExpired || windowFull));
        if (batchMustGo && inFlight < hooks.maxInFlight) {
          dispatch();
          continue;
        }

        if (arrived !== undefined) {
          const result = arrived;
          arrived = undefined;
          pendingRead = undefined;
          if (result.done) exhausted = true;
          else admit(result.value);
          continue;
        }
        const canAdmit = !exhausted && held === undefined && !batch.isFull && !windowFull;
        if (canAdmit && pendingRead === undefined) {
          const result = source.next();
          if (!isAsync) {
            const item = result as IteratorResult<PublishInput>;
            if (item.done) exhausted = true;
            else admit(item.value);
            continue;
          }
          pendingRead = Promise.resolve(result).then(
            (value) => {
              arrived = value;
            },
            (error: unknown) => {
              fatal ??= { error };
            },
          );
        }

        const wakeUps: Promise<void>[] = [];
        if (pendingRead !== undefined) wakeUps.push(pendingRead);
        if (inFlight > 0) wakeUps.push(settled.promise);
        if (!batch.isEmpty && inFlight < hooks.maxInFlight && pendingRead !== undefined) {
          linger ??= new Timer(hooks.lingerMs);
          wakeUps.push(linger.promise);
        }
        if (wakeUps.length === 0) {
          throw new Error(
            `PublishRun stalled with nothing to wait for (admitted ${admitted}, emitted ${emitted}, batch ${batch.size}); this is a bug in the publisher, please report it.`,
          );
        }
        await Promise.race(wakeUps);
        if (linger?.fired) lingerExpired = true;
      }
    } finally {
      linger?.cancel();
      if (!exhausted) await source.return?.();
    }
    if (this.#throwOnFailure && failures.length > 0) throw new PublishError(failures);
  }

  #count(outcome: PublishOutcome): void {
    this.#counts[outcome.status === "published" ? "published" : outcome.status]++;
  }
}

/** Fills one PutEvents call: at most 10 entries whose sizes add up to at most the limit. */
class BatchBuilder {
  #events: IndexedEvent[] = [];
  #bytes = 0;

  constructor(private readonly maxBytes: number) {}

  get size(): number {
    return this.#events.length;
  }

  get isEmpty(): boolean {
    return this.#events.length === 0;
  }

  get isFull(): boolean {
    return this.#events.length >= MAX_ENTRIES_PER_CALL;
  }

  fits(event: IndexedEvent): boolean {
    return !this.isFull && this.#bytes + event.size <= this.maxBytes;
  }

  add(event: IndexedEvent): void {
    this.#events.push(event);
    this.#bytes += event.size;
  }

  take(): IndexedEvent[] {
    const events = this.#events;
    this.#events = [];
    this.#bytes = 0;
    return events;
  }
}

/** A one-shot wake-up. */
class Signal {
  fire: () => void = () => {};
  readonly promise = new Promise<void>((resolve) => {
    this.fire = resolve;
  });
}

/** A cancellable timer that records whether it went off. */
class Timer {
  fired = false;
  readonly #handle: NodeJS.Timeout;
  readonly promise: Promise<void>;

  constructor(ms: number) {
    let resolve: () => void = () => {};
    this.promise = new Promise<void>((r) => {
      resolve = r;
    });
    this.#handle = setTimeout(() => {
      this.fired = true;
      resolve();
    }, ms);
  }

  cancel(): void {
    clearTimeout(this.#handle);
  }
}
