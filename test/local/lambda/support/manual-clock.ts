import type { PollerClock } from "../../../../lib/local/lambda/sqs-event-source";

interface PendingTimer {
  readonly at: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * A {@link PollerClock} that moves only when a test advances it, so that batching windows are
 * checked by the clock rather than by waiting.
 */
export class ManualClock implements PollerClock {
  private current = 1_700_000_000_000;
  private timers: PendingTimer[] = [];

  now(): number {
    return this.current;
  }

  setTimer(callback: () => void, delayMs: number): { cancel(): void } {
    const timer: PendingTimer = { at: this.current + Math.max(0, delayMs), callback, cancelled: false };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms`, firing due timers in time order, and lets the work they start settle. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    await settle();
    for (;;) {
      this.timers = this.timers.filter((timer) => !timer.cancelled);
      const due = this.timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.current = due.at;
      due.cancelled = true;
      due.callback();
      await settle();
    }
    this.current = target;
    await settle();
  }
}

/**
 * Lets every promise continuation queued so far run: a macrotask turn drains the microtask queue,
 * and the poller's tests involve no real I/O.
 */
export function settle(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}
