/** Where the local pipeline runs: the values of the pseudo parameters and of every ARN and URL. */
export interface LocalEnvironment {
  readonly stackName: string;
  readonly accountId: string;
  readonly region: string;
  /** `AWS::Partition`: always `aws` locally. */
  readonly partition: string;
  /** `AWS::URLSuffix`. */
  readonly urlSuffix: string;
  /** The local edge, e.g. `http://127.0.0.1:4010`, without a trailing slash. */
  readonly endpoint: string;
}

/** The parts of an ARN: `arn:<partition>:<service>:<region>:<account>:<resource>`. */
export interface ParsedArn {
  readonly partition: string;
  readonly service: string;
  readonly region: string;
  readonly account: string;
  /** Everything after the fifth colon, e.g. `event-bus/orders` or `function:name:alias`. */
  readonly resource: string;
}

/** Splits an ARN into its parts; `undefined` when `text` is not an ARN. */
export function parseArn(text: string): ParsedArn | undefined {
  const parts = text.split(":");
  if (parts.length < 6 || parts[0] !== "arn") return undefined;
  const [, partition = "", service = "", region = "", account = ""] = parts;
  if (partition === "" || service === "") return undefined;
  return { partition, service, region, account, resource: parts.slice(5).join(":") };
}

/** An ARN of a regional resource of the local account. */
export function regionalArn(env: LocalEnvironment, service: string, resource: string): string {
  return `arn:${env.partition}:${service}:${env.region}:${env.accountId}:${resource}`;
}

/** An ARN of a global resource of the local account (IAM). */
export function globalArn(env: LocalEnvironment, service: string, resource: string): string {
  return `arn:${env.partition}:${service}::${env.accountId}:${resource}`;
}

/** The name of the bus a rule or archive names: `EventBusName` takes a name or an ARN. */
export function eventBusNameOf(nameOrArn: string): string {
  const arn = parseArn(nameOrArn);
  if (arn === undefined) return nameOrArn;
  return arn.resource.startsWith("event-bus/") ? arn.resource.slice("event-bus/".length) : arn.resource;
}

/** A function reference split into name and qualifier (version or alias). */
export interface FunctionReference {
  readonly name: string;
  readonly qualifier?: string;
}

/**
 * The function a `FunctionName` or target ARN names. Lambda accepts `name`, `name:qualifier`,
 * `account:function:name` and the full ARN with or without a qualifier.
 */
export function functionReferenceOf(text: string): FunctionReference {
  const arn = parseArn(text);
  const rest = arn !== undefined ? arn.resource : text;
  const parts = rest.split(":");
  const functionIndex = parts.indexOf("function");
  const [name = "", qualifier] = functionIndex >= 0 ? parts.slice(functionIndex + 1) : parts;
  return qualifier === undefined ? { name } : { name, qualifier };
}

/** `arn:aws:s3:::<bucket>` to `<bucket>`; `undefined` for any other ARN. */
export function bucketNameOfArn(text: string): string | undefined {
  const arn = parseArn(text);
  if (arn === undefined || arn.service !== "s3" || arn.resource === "" || arn.resource.includes("/")) {
    return undefined;
  }
  return arn.resource;
}
