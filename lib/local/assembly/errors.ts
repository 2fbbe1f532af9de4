import { formatTemplatePath, type TemplatePath } from "./template-types";

/** What every template error reports: where, what is wrong (naming the value), and how to fix it. */
export interface TemplateProblem {
  /** Where in the template, e.g. `Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn`. */
  readonly path: TemplatePath;
  /** What is wrong, naming the value found, e.g. `Ref "Missing" names no resource`. */
  readonly problem: string;
  /** How to fix it. */
  readonly fix: string;
}

/**
 * Base of every error raised while reading a cloud assembly into a local model, so a caller can
 * catch them all and print the message: each says what was wrong, the value and the fix.
 */
export abstract class LocalModelError extends Error {}

/**
 * The cloud assembly itself cannot be used: no `manifest.json`, no stack or several stacks and no
 * choice, a template or asset manifest that is missing or is not JSON.
 */
export class CloudAssemblyError extends LocalModelError {
  public override readonly name = "CloudAssemblyError";
}

/** An option of `loadLocalModel` is invalid: the message names the option, the value and the form expected. */
export class InvalidOptionError extends LocalModelError {
  public override readonly name = "InvalidOptionError";
}

/** Base of the errors that point at one place in the template. */
abstract class TemplateLocatedError extends LocalModelError {
  /** Where in the template. */
  public readonly path: TemplatePath;
  /** What is wrong. */
  public readonly problem: string;
  /** How to fix it. */
  public readonly fix: string;

  constructor(details: TemplateProblem, options?: ErrorOptions) {
    super(`${formatTemplatePath(details.path)}: ${details.problem}. ${details.fix}`, options);
    this.path = details.path;
    this.problem = details.problem;
    this.fix = details.fix;
  }

  /** The logical id of the resource concerned, when the error is inside `Resources`. */
  get logicalId(): string | undefined {
    const [section, logicalId] = this.path;
    return section === "Resources" && typeof logicalId === "string" ? logicalId : undefined;
  }
}

/**
 * A template value the reader cannot turn into a local value: a reference to something the template
 * does not declare, an intrinsic function with malformed arguments, a property of the wrong type or
 * out of the range the service accepts.
 */
export class TemplateResolutionError extends TemplateLocatedError {
  public override readonly name = "TemplateResolutionError";
}

/**
 * The template uses something the local pipeline refuses to run rather than run differently from
 * AWS: `Fn::ImportValue`, a transform, a rule target or event source on another service, a FIFO
 * queue, a function that is not Node.js, a delivery stream that does not write to S3.
 */
export class UnsupportedFeatureError extends TemplateLocatedError {
  public override readonly name = "UnsupportedFeatureError";
}

/**
 * A function's bundled code is not where the cloud assembly says: the asset folder or the handler
 * file is missing, usually because `cdk.out` is stale or was synthesized without bundling.
 */
export class FunctionAssetError extends LocalModelError {
  public override readonly name = "FunctionAssetError";

  constructor(
    /** Logical id of the `AWS::Lambda::Function`. */
    public readonly logicalId: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`Function ${logicalId}: ${message}. Run \`npm run synth\` to rebuild cdk.out.`, options);
  }
}
