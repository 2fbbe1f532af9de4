/** Raised at cold start when the function's configuration lacks a variable the code depends on. */
export class MissingEnvironmentVariableError extends Error {
  public override readonly name = "MissingEnvironmentVariableError";

  /** @param variable - the name of the missing (or empty) variable */
  public constructor(public readonly variable: string) {
    super(
      `Environment variable ${variable} is not set (or is empty); the infrastructure sets it on every eventrail consumer that needs it: check the function's configuration`,
    );
  }
}

/**
 * The value of an environment variable the function cannot run without. Call it at module scope so a
 * misconfigured function fails its cold start, naming the variable, instead of failing each record.
 */
export function requireEnv(variable: string): string {
  const value = process.env[variable];
  if (value === undefined || value.trim() === "") {
    throw new MissingEnvironmentVariableError(variable);
  }
  return value;
}
