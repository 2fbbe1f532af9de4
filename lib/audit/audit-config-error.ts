/** Raised at synth time when an audit or monitoring construct is given settings AWS would refuse. */
export class AuditConfigError extends Error {
  public override readonly name = "AuditConfigError";
}

/** Fails unless `value` is a whole number in [min, max], naming the construct, the prop and both bounds. */
export function requireWholeNumberInRange(
  construct: string,
  prop: string,
  value: number,
  min: number,
  max: number,
  unit = "",
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    const suffix = unit ? ` ${unit}` : "";
    throw new AuditConfigError(
      `${construct}: ${prop} is ${value}${suffix}; expected a whole number from ${min} to ${max}${suffix}`,
    );
  }
}
