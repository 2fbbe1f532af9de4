/**
 * Exponential backoff with full jitter (the AWS Architecture Blog's recommendation): a uniformly
 * random wait between 0 and `min(maxDelayMs, baseDelayMs * 2^(attempt - 1))`. The randomness
 * spreads retries of many producers throttled at the same moment.
 *
 * @param attempt the attempt that just failed, from 1
 * @param random a source of numbers in [0, 1)
 * @returns the wait in whole milliseconds
 */
export function fullJitterDelay(
  attempt: number,
  baseDelayMs: number,
  maxDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
