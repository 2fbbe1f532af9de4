import { describe, expect, it } from "vitest";
import {
  assertArchiveCaughtUp,
  formatDuration,
  parsePointInTime,
  parseTimeWindow,
  TimeWindowError,
} from "../../lib/ops/time-window";

const NOW = new Date("2026-03-01T12:00:00.000Z");

describe("parsePointInTime", () => {
  it.each([
    ["now", "2026-03-01T12:00:00.000Z"],
    ["90s", "2026-03-01T11:58:30.000Z"],
    ["30m", "2026-03-01T11:30:00.000Z"],
    ["2h", "2026-03-01T10:00:00.000Z"],
    ["1d", "2026-02-28T12:00:00.000Z"],
    ["1w", "2026-02-22T12:00:00.000Z"],
    ["1h30m", "2026-03-01T10:30:00.000Z"],
    ["2026-03-01T08:00:00Z", "2026-03-01T08:00:00.000Z"],
    ["2026-03-01T08:00:00.250Z", "2026-03-01T08:00:00.250Z"],
    ["2026-03-01T09:00:00+01:00", "2026-03-01T08:00:00.000Z"],
    ["2026-03-01T08:00", "2026-03-01T08:00:00.000Z"],
    ["2026-03-01", "2026-03-01T00:00:00.000Z"],
  ])("reads %s as %s (ages before now, times without a zone in UTC)", (text, expected) => {
    expect(parsePointInTime(text, NOW, "--from").toISOString()).toBe(expected);
  });

  it.each(["yesterday", "2h ago", "3", "", "-2h", "2026-13-45T00:00:00Z"])(
    "refuses %j, naming the option, the value and the accepted forms",
    (text) => {
      // Act
      const read = () => parsePointInTime(text, NOW, "--from");

      // Assess
      expect(read).toThrow(TimeWindowError);
      expect(read).toThrow(`--from "${text}" is not a time; expected "now", an age such as 2h`);
    },
  );
});

describe("parseTimeWindow", () => {
  it("returns the window between its two ends", () => {
    const window = parseTimeWindow("2h", "1h", NOW);
    expect(window).toEqual({
      start: new Date("2026-03-01T10:00:00Z"),
      end: new Date("2026-03-01T11:00:00Z"),
    });
  });

  it("refuses a window whose start is not before its end", () => {
    expect(() => parseTimeWindow("1h", "2h", NOW)).toThrow(
      "The window is empty: --from 2026-03-01T11:00:00.000Z is not before --to 2026-03-01T10:00:00.000Z",
    );
  });
});

describe("assertArchiveCaughtUp", () => {
  it("accepts a window ending exactly 10 minutes ago", () => {
    expect(() =>
      assertArchiveCaughtUp(
        { start: new Date("2026-03-01T10:00:00Z"), end: new Date("2026-03-01T11:50:00Z") },
        NOW,
      ),
    ).not.toThrow();
  });

  it("refuses a window ending less than 10 minutes ago, naming the newest safe end and --force", () => {
    const window = { start: new Date("2026-03-01T10:00:00Z"), end: new Date("2026-03-01T11:55:00Z") };
    expect(() => assertArchiveCaughtUp(window, NOW)).toThrow(
      /--to 2026-03-01T11:55:00.000Z is less than 10 minutes ago.*2026-03-01T11:50:00.000Z or earlier.*--force/,
    );
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [45_000, "45s"],
    [125_000, "2m 5s"],
    [3 * 3_600_000 + 12 * 60_000, "3h 12m"],
    [2 * 86_400_000 + 4 * 3_600_000, "2d 4h"],
    [-5_000, "0s"],
  ])("writes %i ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
