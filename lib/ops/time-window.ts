/** A time window, start inclusive, end exclusive (as the archive selects events on their `time`). */
export interface TimeWindow {
  readonly start: Date;
  readonly end: Date;
}

/**
 * How late an event may reach the EventBridge archive: AWS documents up to ~10 minutes, so a replay
 * whose window ends more recently may miss events that are still on their way to the archive.
 */
export const ARCHIVE_LAG_MS = 10 * 60_000;

/** A time given on the command line is not a time, or a window is empty or too recent. */
export class TimeWindowError extends Error {
  public override readonly name = "TimeWindowError";
}

const UNIT_MS: Readonly<Record<string, number>> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** `90s`, `30m`, `2h`, `1d`, `1w`, and sums such as `1h30m`. */
const RELATIVE = /^(?:\d+[smhdw])+$/;

/**
 * Reads a point in time: `now`, a relative age before `now` (`30m`, `2h`, `1d`, `1h30m`; units s, m,
 * h, d, w), or an ISO 8601 time (`2026-03-01T08:00:00Z`; a date alone is midnight UTC).
 *
 * @param label names the value in the error, e.g. `--from`
 * @throws TimeWindowError naming the value and the forms accepted
 */
export function parsePointInTime(text: string, now: Date, label: string): Date {
  const value = text.trim();
  if (value === "now") return new Date(now.getTime());
  if (RELATIVE.test(value)) {
    let ago = 0;
    for (const [, amount, unit] of value.matchAll(/(\d+)([smhdw])/g)) {
      ago += Number(amount) * (UNIT_MS[unit ?? ""] ?? 0);
    }
    return new Date(now.getTime() - ago);
  }
  // Date.parse accepts many loose forms ("3", "March 1"); only ISO 8601 is unambiguous in UTC.
  if (/^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/.test(value)) {
    const isoDateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
    const hasZone = /(?:Z|[+-]\d{2}:?\d{2})$/.test(value);
    const parsed = Date.parse(isoDateOnly || hasZone ? value : `${value.replace(" ", "T")}Z`);
    if (!Number.isNaN(parsed)) return new Date(parsed);
  }
  throw new TimeWindowError(
    `${label} "${text}" is not a time; expected "now", an age such as 2h, 30m, 1d or 1h30m, or an ISO time such as 2026-03-01T08:00:00Z.`,
  );
}

/**
 * Reads a window from its two ends.
 *
 * @throws TimeWindowError when an end is not a time or the window is empty
 */
export function parseTimeWindow(from: string, to: string, now: Date): TimeWindow {
  const start = parsePointInTime(from, now, "--from");
  const end = parsePointInTime(to, now, "--to");
  if (start.getTime() >= end.getTime()) {
    throw new TimeWindowError(
      `The window is empty: --from ${start.toISOString()} is not before --to ${end.toISOString()}; give an earlier --from or a later --to.`,
    );
  }
  return { start, end };
}

/**
 * Refuses a window that ends less than {@link ARCHIVE_LAG_MS} before `now`: events of its last
 * minutes may not have reached the archive yet, and the replay would silently miss them.
 *
 * @throws TimeWindowError naming the end, the newest safe end and `--force`
 */
export function assertArchiveCaughtUp(window: TimeWindow, now: Date): void {
  const newestSafeEnd = new Date(now.getTime() - ARCHIVE_LAG_MS);
  if (window.end.getTime() > newestSafeEnd.getTime()) {
    throw new TimeWindowError(
      `--to ${window.end.toISOString()} is less than 10 minutes ago: events reach the archive up to ~10 minutes late, so the replay could miss some; end the window at ${newestSafeEnd.toISOString()} or earlier (--to 10m), or pass --force to replay what is archived so far.`,
    );
  }
}

/** The window as `start .. end` in ISO 8601, for messages and tables. */
export function formatTimeWindow(window: TimeWindow): string {
  return `${window.start.toISOString()} .. ${window.end.toISOString()}`;
}

/** A duration in the largest fitting unit, e.g. `3h 12m`, `45s`, `2d 4h`. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3_600);
  const minutes = Math.floor((seconds % 3_600) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${seconds % 60}s`;
  return `${seconds}s`;
}
