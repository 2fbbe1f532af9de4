/** A scheduled callback that can be cancelled. */
export interface Timer {
  /** Cancels the callback; cancelling twice or after it ran does nothing. */
  cancel(): void;
}

/**
 * The time source of the local pipeline. Every time it reads and every timer it sets for AWS's
 * durations (SQS visibility, delays, long polls, move task pacing; the event source's batching
 * window; EventBridge's retry back-off; Firehose's buffering and retries; archive retention;
 * DynamoDB's time to live) go through it, so tests can substitute {@link ManualClock} and run
 * instantly. Only code time (a function's init and invocation timeouts) is the wall clock's own.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once, `delayMs` milliseconds from now. */
  setTimer(callback: () => void, delayMs: number): Timer;
}

/**
 * The wall clock. Its timers are unref'd: a pending visibility expiry or long poll must not keep a
 * process alive that has nothing else to do (the HTTP server is what keeps the pipeline running).
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(callback, delayMs) {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * The wall clock's timers with the time read from `now`: for a test that fixes or moves the time
 * stamps while buffering, retries and waits still run in real time.
 */
export function clockWithTime(now: () => number): Clock {
  return { now, setTimer: systemClock.setTimer };
}

interface ManualTimer {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to, for tests: `advance(ms)` fires the due timers in time order
 * and lets the promise continuations they trigger run before returning.
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  /** @param start the initial time in epoch milliseconds. @default 1_700_000_000_000 */
  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  /** {@inheritDoc Clock.now} */
  now(): number {
    return this.current;
  }

  /** {@inheritDoc Clock.setTimer} */
  setTimer(callback: () => void, delayMs: number): Timer {
    const timer: ManualTimer = {
      at: this.current + Math.max(0, delayMs),
      seq: this.seq++,
      callback,
      cancelled: false,
    };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** The number of timers that have neither fired nor been cancelled. */
  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /**
   * Moves time forward by `ms`, firing every timer that falls due on the way (including timers
   * scheduled by those callbacks), each at its own due time.
   */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      const next = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (next === undefined) break;
      this.current = Math.max(this.current, next.at);
      next.cancelled = true;
      next.callback();
      await settle();
    }
    this.current = target;
    await settle();
  }
}

/**
 * Lets the promise continuations queued so far run (a macrotask turn drains the microtask queue).
 * It does not wait for real I/O: tests that advance a manual clock use an in-memory store.
 */
export async function settle(): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
}
