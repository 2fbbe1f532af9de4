import { AwsServiceError } from "../aws-error";

/** A location inside a pattern or an event: object keys and array indexes, outermost first. */
export type JsonPath = readonly (string | number)[];

/**
 * Renders a {@link JsonPath} the way people read EventBridge patterns: `detail.state[0].anything-but`.
 * The empty path is the document itself.
 */
export function formatJsonPath(path: JsonPath): string {
  if (path.length === 0) return "(root)";
  let text = "";
  for (const step of path) {
    if (typeof step === "number") text += `[${step}]`;
    else text += text === "" ? step : `.${step}`;
  }
  return text;
}

/** Which TestEventPattern / PutRule input an {@link InvalidEventPatternError} is about. */
export type PatternInput = "EventPattern" | "Event";

/** What {@link InvalidEventPatternError} reports: where, what is wrong, and how to fix it. */
export interface InvalidEventPatternDetails {
  /** The input that is wrong; `EventPattern` unless TestEventPattern's event itself is malformed. */
  readonly input?: PatternInput;
  /** Where in the input the problem is; empty for the whole document. */
  readonly path: JsonPath;
  /** What is wrong, naming the value received, e.g. `"numeric" bound must be a number, got "5"`. */
  readonly problem: string;
  /** How to fix it, e.g. `write the bound as a JSON number: [">", 5]`. */
  readonly fix: string;
}

/**
 * An event pattern (or TestEventPattern's event) that EventBridge would reject, or that the local
 * matcher cannot honour exactly. The message is shaped like EventBridge's
 * `InvalidEventPatternException` (`Event pattern is not valid. Reason: … at …`) and adds the fix.
 */
export class InvalidEventPatternError extends Error {
  public override readonly name = "InvalidEventPatternError";
  /** The AWS error code the local edge answers with. */
  public readonly code = "InvalidEventPatternException";
  /** The input that is wrong. */
  public readonly input: PatternInput;
  /** Where the problem is, as a readable path such as `detail.price[0].numeric[1]`. */
  public readonly path: string;
  /** The same location as structured steps, for tools that point into the JSON. */
  public readonly pathSteps: JsonPath;
  /** What is wrong. */
  public readonly problem: string;
  /** How to fix it. */
  public readonly fix: string;

  constructor(details: InvalidEventPatternDetails, options?: ErrorOptions) {
    const input = details.input ?? "EventPattern";
    const path = formatJsonPath(details.path);
    const subject = input === "Event" ? "Event" : "Event pattern";
    super(`${subject} is not valid. Reason: ${details.problem} at ${path}. Fix: ${details.fix}.`, options);
    this.input = input;
    this.path = path;
    this.pathSteps = details.path;
    this.problem = details.problem;
    this.fix = details.fix;
  }

  /** The error in the AWS wire shape, for the local EventBridge endpoint (HTTP 400). */
  toAwsServiceError(): AwsServiceError {
    return new AwsServiceError(this.code, this.message, 400);
  }
}

/** Raised by `RuleIndex.add` when the id is already in the index. */
export class DuplicateRuleError extends Error {
  public override readonly name = "DuplicateRuleError";

  constructor(
    /** The id that is already present. */
    public readonly ruleId: string,
  ) {
    super(
      `Rule "${ruleId}" is already in the index; call remove("${ruleId}") before adding its new pattern (PutRule on an existing rule replaces it)`,
    );
  }
}

/**
 * Raised by `RuleIndex.add` when a quota EventBridge enforces per bus would be exceeded, e.g. the
 * 30 rules with wildcard filters. Maps to AWS `LimitExceededException`.
 */
export class RuleLimitExceededError extends Error {
  public override readonly name = "RuleLimitExceededError";
  /** The AWS error code the local edge answers with. */
  public readonly code = "LimitExceededException";

  constructor(
    /** The rule that was refused. */
    public readonly ruleId: string,
    /** The quota, e.g. `30`. */
    public readonly limit: number,
    message: string,
  ) {
    super(message);
  }

  /** The error in the AWS wire shape, for the local EventBridge endpoint (HTTP 400). */
  toAwsServiceError(): AwsServiceError {
    return new AwsServiceError(this.code, this.message, 400);
  }
}
