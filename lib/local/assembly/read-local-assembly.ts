import * as path from "node:path";
import type { LocalPipelineModel, LocalStackResource } from "../model";
import type { LocalEnvironment } from "./arns";
import { listStacks, readFileAssets, readTemplate, type StackArtifact, selectStack } from "./cloud-assembly";
import { InvalidOptionError, TemplateResolutionError, UnsupportedFeatureError } from "./errors";
import { readArchive, readEventBus, readRule } from "./read-events";
import { type FunctionCodeSource, readEventSourceMapping, readFunction } from "./read-lambda";
import { readPipe } from "./read-pipes";
import { readQueue } from "./read-sqs";
import { readBucket, readDeliveryStream, readTable } from "./read-storage";
import type { AssemblyWarning, IgnoredResource, WarningSink } from "./reading-report";
import {
  type EmulatedResourceType,
  ignoredReason,
  isCustomResourceType,
  isEmulatedType,
} from "./resource-classification";
import { ResourceProperties } from "./resource-properties";
import { NO_VALUE, TemplateResolver } from "./template-resolver";
import { type CloudFormationTemplate, describeValue, isJsonObject } from "./template-types";
import { checkWiring, type ModelResources } from "./wiring";

/** The account of local ARNs and queue URLs unless told otherwise. */
export const DEFAULT_LOCAL_ACCOUNT_ID = "000000000000";
/** The region of local ARNs unless told otherwise. */
export const DEFAULT_LOCAL_REGION = "us-east-1";
/** The local edge that queue URLs point at unless told otherwise. */
export const DEFAULT_LOCAL_ENDPOINT = "http://127.0.0.1:4010";

/** Options of {@link loadLocalModel} and {@link readLocalAssembly}. */
export interface LoadLocalModelOptions {
  /** The cloud assembly folder, usually `cdk.out`. */
  readonly cdkOutDir: string;
  /**
   * The stack to run: its artifact id, stack name or display name (`Stage/Stack`).
   * @default - the only stack of the assembly; an error when there are several
   */
  readonly stackName?: string;
  /**
   * The account of local ARNs and queue URLs (12 digits).
   * @default "000000000000"
   */
  readonly accountId?: string;
  /**
   * The region of local ARNs.
   * @default "us-east-1"
   */
  readonly region?: string;
  /**
   * The local edge, which queue URLs point at.
   * @default "http://127.0.0.1:4010"
   */
  readonly endpoint?: string;
  /**
   * Values of template parameters, by name: needed for parameters without a `Default`, and for
   * SSM-backed parameters, which the local pipeline cannot look up.
   * @default - each parameter's Default
   */
  readonly parameters?: Readonly<Record<string, string>>;
}

/** Everything read from a cloud assembly: the model, and what the model leaves out and why. */
export interface LocalAssemblyReading {
  /** What the local pipeline runs. */
  readonly model: LocalPipelineModel;
  /** Resources that need no emulation, each with the reason, in template order. */
  readonly ignored: readonly IgnoredResource[];
  /** What runs differently from AWS without stopping the pipeline; print them. */
  readonly warnings: readonly AssemblyWarning[];
  /** Absolute path of the template read. */
  readonly templateFile: string;
}

const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
/** The transform whose functions (`Fn::ToJsonString`, `Fn::Length`) the reader evaluates itself. */
const LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions";

/**
 * Reads the cloud assembly in `options.cdkOutDir` into the model the local pipeline runs, with every
 * reference resolved to a local name, ARN or URL. To see the resources left out and the warnings,
 * use {@link readLocalAssembly}.
 *
 * @throws {LocalModelError} when the assembly cannot be read, a reference cannot be resolved, a
 * function's code is missing or the template asks for something the local pipeline refuses to run.
 */
export async function loadLocalModel(options: LoadLocalModelOptions): Promise<LocalPipelineModel> {
  return (await readLocalAssembly(options)).model;
}

/**
 * Reads the cloud assembly like {@link loadLocalModel}, and also reports the resources that need no
 * emulation (IAM, KMS, logs, alarms...) and the warnings: resource types neither emulated nor known
 * to be harmless, scheduled rules, layers, and the like.
 *
 * @throws {LocalModelError} as {@link loadLocalModel} does.
 */
export async function readLocalAssembly(options: LoadLocalModelOptions): Promise<LocalAssemblyReading> {
  const accountId = options.accountId ?? DEFAULT_LOCAL_ACCOUNT_ID;
  const region = options.region ?? DEFAULT_LOCAL_REGION;
  const endpoint = checkOptions(accountId, region, options.endpoint ?? DEFAULT_LOCAL_ENDPOINT);
  const cdkOutDir = path.resolve(options.cdkOutDir);
  const stack = selectStack(await listStacks(cdkOutDir), cdkOutDir, options.stackName);
  const template = await readTemplate(stack);
  checkTemplateFeatures(template);

  const env: LocalEnvironment = {
    stackName: stack.stackName,
    accountId,
    region,
    partition: "aws",
    urlSuffix: "amazonaws.com",
    endpoint,
  };
  const warnings: AssemblyWarning[] = [...environmentWarnings(stack, env)];
  const warn = (warning: AssemblyWarning) => warnings.push(warning);
  const resolver = new TemplateResolver(template, env, options.parameters);
  const assets = await readFileAssets(stack);
  const providers = customResourceProviders(template);
  const ignored: IgnoredResource[] = [];
  const resources: MutableModelResources = {
    buses: [],
    rules: [],
    archives: [],
    queues: [],
    functions: [],
    eventSourceMappings: [],
    tables: [],
    pipes: [],
    deliveryStreams: [],
    buckets: [],
  };

  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const type = resource.Type;
    const provider = providers.get(logicalId);
    if (!resolver.isCreated(logicalId)) {
      const reason = `its condition ${resource.Condition} is false, so CloudFormation does not create it`;
      ignored.push({ logicalId, type, reason });
    } else if (provider !== undefined && type === "AWS::Lambda::Function") {
      const reason = `it serves the custom resource ${provider}, which runs only during deployment`;
      ignored.push({ logicalId, type, reason });
    } else if (isEmulatedType(type)) {
      const properties = new ResourceProperties(resolver, logicalId, type);
      await readEmulatedResource(
        type,
        properties,
        { stack, assets, metadata: resource.Metadata },
        resources,
        warn,
      );
    } else {
      const reason = ignoredReason(type);
      if (reason !== undefined) ignored.push({ logicalId, type, reason });
      else warn(unemulatedWarning(logicalId, type));
    }
  }

  checkWiring(resources, env);
  return {
    model: {
      stackName: stack.stackName,
      accountId,
      region,
      ...resources,
      outputs: resolveOutputs(template, resolver),
      stackResources: stackResources(template, resolver),
      templateFile: stack.templateFile,
      ...outputExports(template, resolver),
      ...(stack.tags === undefined ? {} : { stackTags: stack.tags }),
      ...(stack.terminationProtection === true ? { terminationProtection: true } : {}),
    },
    ignored,
    warnings,
    templateFile: stack.templateFile,
  };
}

/** Every created resource with what `Ref` gives for it locally, for CloudFormation's read calls. */
function stackResources(template: CloudFormationTemplate, resolver: TemplateResolver): LocalStackResource[] {
  const listed: LocalStackResource[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!resolver.isCreated(logicalId)) continue;
    let physicalId = logicalId;
    try {
      const resolved = resolver.resolve({ Ref: logicalId }, ["Resources", logicalId, "Ref"]);
      if (typeof resolved === "string" && resolved.length > 0) physicalId = resolved;
    } catch {
      // A type the local pipeline gives no local name (a policy, a custom resource): its logical id.
    }
    listed.push({ logicalId, type: resource.Type, physicalId });
  }
  return listed;
}

/** The export name of each exported output CloudFormation creates, resolved locally where it can be. */
function outputExports(
  template: CloudFormationTemplate,
  resolver: TemplateResolver,
): { outputExports?: Record<string, string> } {
  const exports: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs)) {
    if (output.Export === undefined || !isJsonObject(output.Export) || output.Export.Name === undefined)
      continue;
    if (
      output.Condition !== undefined &&
      !resolver.conditionHolds(output.Condition, ["Outputs", key, "Condition"])
    ) {
      continue;
    }
    try {
      const name = resolver.resolve(output.Export.Name, ["Outputs", key, "Export", "Name"]);
      if (typeof name === "string") exports[key] = name;
    } catch {
      // Only DescribeStacks shows an export name: one the reader cannot resolve is left out.
    }
  }
  return Object.keys(exports).length === 0 ? {} : { outputExports: exports };
}

/** The model's resource lists while they are being filled. */
type MutableModelResources = { -readonly [K in keyof ModelResources]: ModelResources[K][number][] };

/** Reads a resource of a type the local pipeline emulates into its list of the model. */
async function readEmulatedResource(
  type: EmulatedResourceType,
  properties: ResourceProperties,
  code: FunctionCodeSource,
  resources: MutableModelResources,
  warn: WarningSink,
): Promise<void> {
  switch (type) {
    case "AWS::Events::EventBus":
      resources.buses.push(readEventBus(properties));
      return;
    case "AWS::Events::Rule": {
      const rule = readRule(properties, warn);
      if (rule !== undefined) resources.rules.push(rule);
      return;
    }
    case "AWS::Events::Archive":
      resources.archives.push(readArchive(properties));
      return;
    case "AWS::SQS::Queue":
      resources.queues.push(readQueue(properties));
      return;
    case "AWS::Lambda::Function":
      resources.functions.push(await readFunction(properties, code, warn));
      return;
    case "AWS::Lambda::EventSourceMapping":
      resources.eventSourceMappings.push(readEventSourceMapping(properties, warn));
      return;
    case "AWS::DynamoDB::Table":
    case "AWS::DynamoDB::GlobalTable":
      resources.tables.push(readTable(properties, warn));
      return;
    case "AWS::KinesisFirehose::DeliveryStream":
      resources.deliveryStreams.push(readDeliveryStream(properties, warn));
      return;
    case "AWS::S3::Bucket":
      resources.buckets.push(readBucket(properties, warn));
      return;
    case "AWS::Pipes::Pipe":
      resources.pipes.push(readPipe(properties, warn));
      return;
  }
}

/** The warning for a resource the local pipeline neither emulates nor knows to be harmless. */
function unemulatedWarning(logicalId: string, type: string): AssemblyWarning {
  const message = isCustomResourceType(type)
    ? `custom resource ${logicalId} (${type}) runs code during deployment, which the local pipeline does not run; whatever it creates or changes is missing locally`
    : `${logicalId} is an ${type}, which the local pipeline neither emulates nor knows to be harmless; whatever depends on it will not work locally`;
  return { logicalId, type, message };
}

function checkOptions(accountId: string, region: string, endpoint: string): string {
  if (!ACCOUNT_ID.test(accountId)) {
    throw new InvalidOptionError(
      `accountId "${accountId}" is invalid; expected 12 digits such as "000000000000"`,
    );
  }
  if (!REGION.test(region)) {
    throw new InvalidOptionError(`region "${region}" is invalid; expected a region name such as "us-east-1"`);
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (cause) {
    throw new InvalidOptionError(
      `endpoint "${endpoint}" is not a URL; expected one such as "http://127.0.0.1:4010"`,
      {
        cause,
      },
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new InvalidOptionError(
      `endpoint "${endpoint}" is not http(s); expected one such as "http://127.0.0.1:4010"`,
    );
  }
  return endpoint.replace(/\/+$/, "");
}

/** Refuses what changes the template before CloudFormation reads it: transforms and `Fn::ForEach`. */
function checkTemplateFeatures(template: CloudFormationTemplate): void {
  const transforms = template.Transform === undefined ? [] : [template.Transform].flat();
  const other = transforms.find((transform) => transform !== LANGUAGE_EXTENSIONS);
  if (other !== undefined) {
    throw new UnsupportedFeatureError({
      path: ["Transform"],
      problem: `the template uses the transform ${describeValue(other)}, which CloudFormation applies at deployment and the local pipeline does not`,
      fix: "Synthesize a template without transforms (CDK renders one unless told otherwise)",
    });
  }
  const loop = Object.keys(template.Resources).find((key) => key.startsWith("Fn::ForEach"));
  if (loop !== undefined) {
    throw new UnsupportedFeatureError({
      path: ["Resources", loop],
      problem: `the template generates resources with ${loop}, which the local pipeline does not expand`,
      fix: "Declare the resources one by one (a loop in the CDK app does that)",
    });
  }
}

/** A template with a concrete environment may hold its account and region as literals. */
function environmentWarnings(stack: StackArtifact, env: LocalEnvironment): AssemblyWarning[] {
  const match = /^aws:\/\/([^/]+)\/(.+)$/.exec(stack.environment ?? "");
  if (match === null) return [];
  const [, account, region] = match;
  const warnings: AssemblyWarning[] = [];
  if (account !== "unknown-account" && account !== env.accountId) {
    warnings.push({
      message: `stack ${stack.displayName} is synthesized for account ${account} but runs locally as ${env.accountId}; values the template holds as literals (event patterns, ARNs) keep ${account}. Pass accountId: "${account}" to match them`,
    });
  }
  if (region !== "unknown-region" && region !== env.region) {
    warnings.push({
      message: `stack ${stack.displayName} is synthesized for region ${region} but runs locally in ${env.region}; values the template holds as literals keep ${region}. Pass region: "${region}" to match them`,
    });
  }
  return warnings;
}

/**
 * The functions that serve custom resources (their `ServiceToken` is the function's ARN), by
 * logical id, with the custom resource they serve: they run only during deployment.
 */
function customResourceProviders(template: CloudFormationTemplate): Map<string, string> {
  const providers = new Map<string, string>();
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!isCustomResourceType(resource.Type)) continue;
    const token = resource.Properties?.ServiceToken;
    const getAtt = isJsonObject(token) ? token["Fn::GetAtt"] : undefined;
    const target = Array.isArray(getAtt)
      ? getAtt[0]
      : typeof getAtt === "string"
        ? getAtt.split(".")[0]
        : undefined;
    if (typeof target === "string" && !providers.has(target)) providers.set(target, logicalId);
  }
  return providers;
}

function resolveOutputs(
  template: CloudFormationTemplate,
  resolver: TemplateResolver,
): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const [key, output] of Object.entries(template.Outputs)) {
    if (
      output.Condition !== undefined &&
      !resolver.conditionHolds(output.Condition, ["Outputs", key, "Condition"])
    ) {
      continue;
    }
    const path = ["Outputs", key, "Value"];
    const value = resolver.resolve(output.Value, path);
    if (typeof value === "string") outputs[key] = value;
    else if (typeof value === "number" || typeof value === "boolean") outputs[key] = String(value);
    else {
      throw new TemplateResolutionError({
        path,
        problem: `the output resolves to ${value === NO_VALUE ? "AWS::NoValue" : describeValue(value)}; CloudFormation outputs are strings`,
        fix: "Join or serialize the value (Fn::Join, Fn::ToJsonString) in the output",
      });
    }
  }
  return outputs;
}
