import { type WholeNumberRange, wholeNumberOutOfRange } from "../aws-limits";

/** Raised at synth time when an audit or monitoring construct is given settings AWS would refuse. */
export class AuditConfigError extends Error {
  public override readonly name = "AuditConfigError";
}

/** Fails unless `value` is a whole number within `range`, naming the construct, the prop, the range and the fix. */
export function requireWholeNumberInRange(
  construct: string,
  prop: string,
  value: number,
  range: WholeNumberRange,
): void {
  const problem = wholeNumberOutOfRange(prop, value, range);
  if (problem !== undefined) throw new AuditConfigError(`${construct}: ${problem}`);
}
