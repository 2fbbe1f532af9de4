import { describe, expect, it } from "vitest";
import { fullJitterDelay } from "../../lib/producer";

describe("fullJitterDelay", () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [10, 5_000],
  ])("after attempt %i waits below a ceiling of %i ms (base 100, cap 5000)", (attempt, ceiling) => {
    expect(fullJitterDelay(attempt, 100, 5_000, () => 0)).toBe(0);
    expect(fullJitterDelay(attempt, 100, 5_000, () => 0.999_999)).toBe(ceiling - 1);
  });

  it("scales the ceiling by the random draw", () => {
    expect(fullJitterDelay(3, 100, 5_000, () => 0.25)).toBe(100);
  });
});
