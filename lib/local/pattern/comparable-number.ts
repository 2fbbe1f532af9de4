import { PATTERN_LIMITS } from "./limits";

const MAGNITUDE = PATTERN_LIMITS.numericMagnitude;
const SCALE = PATTERN_LIMITS.numericScale;

/**
 * The fixed-point value EventBridge compares numbers by: shifted by +5e9 so that it is never
 * negative, scaled by 1e6 and truncated. Two numbers that differ only after the sixth decimal are
 * therefore equal, as AWS documents ("six digits to the right of the decimal point").
 *
 * The arithmetic is done in doubles, exactly as Event Ruler does it in Java, so the truncation (and
 * its rounding at the far end of the range) is the same; every result is an integer-valued double,
 * so comparing two of them is exact.
 *
 * @returns `undefined` for numbers outside ±5e9, which numeric matching does not cover.
 */
export function toComparableNumber(value: number): number | undefined {
  if (!(value >= -MAGNITUDE && value <= MAGNITUDE)) return undefined;
  return Math.floor(SCALE * (MAGNITUDE + value));
}
