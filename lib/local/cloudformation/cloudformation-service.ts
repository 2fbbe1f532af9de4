import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LocalPipelineModel, LocalStackResource } from "../model";
import {
  type AwsQueryService,
  element,
  errorAnswer,
  memberList,
  newRequestId,
  optionalElement,
  QueryError,
  queryResult,
} from "./query-protocol";

/** The CloudFormation API version of the query protocol (`Version=2010-05-15`). */
export const CLOUDFORMATION_API_VERSION = "2010-05-15";

/** The XML namespace of CloudFormation's answers. */
export const CLOUDFORMATION_NAMESPACE = `https://cloudformation.amazonaws.com/doc/${CLOUDFORMATION_API_VERSION}/`;

/** The read calls served, in the order messages name them. */
export const CLOUDFORMATION_READ_ACTIONS = [
  "DescribeStacks",
  "ListStacks",
  "DescribeStackResources",
  "DescribeStackResource",
  "ListStackResources",
  "GetTemplate",
] as const;

/** Actions that change a stack, a change set or a stack set: refused with how to change the local stack. */
const CHANGING_ACTION =
  /^(Create|Update|Delete|Execute|Cancel|Continue|Rollback|Set|Signal|Import|Register|Deregister|Activate|Deactivate|Publish|Start|Stop|Record|Detect|Tag|Untag)/;

/** What `cdk deploy` passes, so a stack the CDK deployed lists these. */
const CDK_DEPLOY_CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"];

/** DescribeStackResources answers at most this many resources; ListStackResources lists them all. */
const DESCRIBE_STACK_RESOURCES_LIMIT = 100;

/** What the service reads of the template itself (descriptions and metadata are literal in it). */
interface TemplateText {
  readonly body: string;
  readonly description?: string;
  readonly outputDescriptions: Readonly<Record<string, string>>;
  readonly resourceMetadata: Readonly<Record<string, string>>;
}

/**
 * CloudFormation's read calls for the running assembly's stack, in the query protocol the AWS SDK
 * and the AWS CLI speak, so `eventrail status`, `aws cloudformation describe-stacks` and anything
 * else that reads a stack's outputs and resources work against the local endpoint unchanged.
 *
 * The stack is `CREATE_COMPLETE` since `startedAt` (the pipeline's start); its id is the same at every
 * start, as a stack keeps its id until it is deleted. Outputs and physical ids are the local ones
 * the assembly reader resolved (queue URLs on this endpoint, the local account and region). The
 * template is read once, here, so GetTemplate answers the template that runs even after the app is
 * synthesized again. Nothing can be changed through this API: the CDK app is the configuration.
 */
export function createCloudFormationService(model: LocalPipelineModel, startedAt: Date): AwsQueryService {
  const stackName = model.stackName;
  const stackId = `arn:aws:cloudformation:${model.region}:${model.accountId}:stack/${stackName}/${stableUuid(`${model.accountId}:${model.region}:${stackName}`)}`;
  const creationTime = startedAt.toISOString();
  const resources = model.stackResources ?? [];
  const template = readTemplateText(model.templateFile);

  /** The stack `StackName` names (its name or its id); a ValidationError as AWS words it otherwise. */
  const requireStack = (parameters: URLSearchParams, required: boolean): void => {
    const name = parameters.get("StackName");
    if (name === null || name === "") {
      if (required) throw missingParameter("stackName");
      return;
    }
    if (name !== stackName && name !== stackId) {
      throw new QueryError("ValidationError", `Stack with id ${name} does not exist`);
    }
  };

  const stackIdentity = element("StackName", stackName) + element("StackId", stackId);
  const notChecked = (member: string) =>
    `<DriftInformation>${element(member, "NOT_CHECKED")}</DriftInformation>`;
  const resourceDescription = (resource: LocalStackResource, timestampName: string): string =>
    element("LogicalResourceId", resource.logicalId) +
    element("PhysicalResourceId", resource.physicalId) +
    element("ResourceType", resource.type) +
    element(timestampName, creationTime) +
    element("ResourceStatus", "CREATE_COMPLETE");

  const actions: Record<
    (typeof CLOUDFORMATION_READ_ACTIONS)[number],
    (parameters: URLSearchParams) => string
  > = {
    DescribeStacks(parameters) {
      requireStack(parameters, false);
      const outputs = Object.entries(model.outputs).map(
        ([key, value]) =>
          element("OutputKey", key) +
          element("OutputValue", value) +
          optionalElement("Description", template?.outputDescriptions[key]) +
          optionalElement("ExportName", model.outputExports?.[key]),
      );
      const tags = Object.entries(model.stackTags ?? {}).map(
        ([key, value]) => element("Key", key) + element("Value", value),
      );
      const stack =
        element("StackId", stackId) +
        element("StackName", stackName) +
        optionalElement("Description", template?.description) +
        memberList("Parameters", []) +
        element("CreationTime", creationTime) +
        "<RollbackConfiguration/>" +
        element("StackStatus", "CREATE_COMPLETE") +
        element("DisableRollback", "false") +
        memberList("NotificationARNs", []) +
        memberList("Capabilities", CDK_DEPLOY_CAPABILITIES) +
        memberList("Outputs", outputs) +
        memberList("Tags", tags) +
        element("EnableTerminationProtection", String(model.terminationProtection === true)) +
        notChecked("StackDriftStatus");
      return memberList("Stacks", [stack]);
    },
    ListStacks(parameters) {
      const statuses = listParameter(parameters, "StackStatusFilter");
      if (statuses.length > 0 && !statuses.includes("CREATE_COMPLETE"))
        return memberList("StackSummaries", []);
      const summary =
        stackIdentity +
        optionalElement("TemplateDescription", template?.description) +
        element("CreationTime", creationTime) +
        element("StackStatus", "CREATE_COMPLETE") +
        notChecked("StackDriftStatus");
      return memberList("StackSummaries", [summary]);
    },
    DescribeStackResources(parameters) {
      const physicalId = parameters.get("PhysicalResourceId");
      if (physicalId !== null && physicalId !== "" && !parameters.get("StackName")) {
        if (!resources.some((resource) => resource.physicalId === physicalId)) {
          throw new QueryError("ValidationError", `Stack for ${physicalId} does not exist`);
        }
      } else if (!parameters.get("StackName")) {
        throw new QueryError("ValidationError", "Either StackName or PhysicalResourceId must be specified.");
      } else {
        requireStack(parameters, true);
      }
      const logicalId = parameters.get("LogicalResourceId");
      const listed = resources
        .filter((resource) => logicalId === null || logicalId === "" || resource.logicalId === logicalId)
        .slice(0, DESCRIBE_STACK_RESOURCES_LIMIT)
        .map(
          (resource) =>
            stackIdentity +
            resourceDescription(resource, "Timestamp") +
            notChecked("StackResourceDriftStatus"),
        );
      return memberList("StackResources", listed);
    },
    DescribeStackResource(parameters) {
      requireStack(parameters, true);
      const logicalId = parameters.get("LogicalResourceId");
      if (logicalId === null || logicalId === "") throw missingParameter("logicalResourceId");
      const resource = resources.find((candidate) => candidate.logicalId === logicalId);
      if (resource === undefined) {
        throw new QueryError(
          "ValidationError",
          `Resource ${logicalId} does not exist for stack ${stackName}`,
        );
      }
      const detail =
        stackIdentity +
        resourceDescription(resource, "LastUpdatedTimestamp") +
        optionalElement("Metadata", template?.resourceMetadata[logicalId]) +
        notChecked("StackResourceDriftStatus");
      return `<StackResourceDetail>${detail}</StackResourceDetail>`;
    },
    ListStackResources(parameters) {
      requireStack(parameters, true);
      const listed = resources.map(
        (resource) =>
          resourceDescription(resource, "LastUpdatedTimestamp") + notChecked("StackResourceDriftStatus"),
      );
      return memberList("StackResourceSummaries", listed);
    },
    GetTemplate(parameters) {
      const changeSet = parameters.get("ChangeSetName");
      if (changeSet !== null && changeSet !== "") {
        throw new QueryError("ChangeSetNotFound", `ChangeSet [${changeSet}] does not exist`, 404);
      }
      if (!parameters.get("StackName")) {
        throw new QueryError("ValidationError", "Either StackName or ChangeSetName must be specified.");
      }
      requireStack(parameters, true);
      if (template === undefined) {
        throw new QueryError(
          "ValidationError",
          `The template of stack ${stackName} could not be read when the local pipeline started (${model.templateFile ?? "no template file known"}); restart it (npm start).`,
        );
      }
      return (
        element("TemplateBody", template.body) + memberList("StagesAvailable", ["Original", "Processed"])
      );
    },
  };

  return async (action, parameters) => {
    const requestId = newRequestId();
    try {
      if (!isServed(action)) throw refusal(action, stackName);
      return queryResult(action, CLOUDFORMATION_NAMESPACE, actions[action](parameters), requestId);
    } catch (error) {
      if (error instanceof QueryError) return errorAnswer(error, CLOUDFORMATION_NAMESPACE, requestId);
      throw error;
    }
  };
}

function isServed(action: string): action is (typeof CLOUDFORMATION_READ_ACTIONS)[number] {
  return (CLOUDFORMATION_READ_ACTIONS as readonly string[]).includes(action);
}

/** The 400 for an action not served: a write says how to change the local stack, any other what is served. */
function refusal(action: string, stackName: string): QueryError {
  const served = `The local pipeline serves only CloudFormation's read calls for the running assembly's stack "${stackName}" (${CLOUDFORMATION_READ_ACTIONS.join(", ")})`;
  if (action === "") return new QueryError("MissingAction", `The request names no Action. ${served}.`);
  if (CHANGING_ACTION.test(action)) {
    return new QueryError(
      "InvalidAction",
      `${served}; ${action} would change it. The local stack is the synthesized CDK app: edit the app, then restart the local pipeline (npm start synthesizes the app again when its sources changed).`,
    );
  }
  return new QueryError("InvalidAction", `${served}; ${action} is not one of them.`);
}

/** AWS's wording for a required parameter that is missing. */
function missingParameter(name: string): QueryError {
  return new QueryError(
    "ValidationError",
    `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
  );
}

/** A list parameter of the query protocol: `Name.member.1`, `Name.member.2`, ... */
function listParameter(parameters: URLSearchParams, name: string): string[] {
  const values: string[] = [];
  for (let index = 1; ; index++) {
    const value = parameters.get(`${name}.member.${index}`);
    if (value === null) return values;
    values.push(value);
  }
}

/** The template as the file holds it, and the literal texts answers carry; undefined if unreadable. */
function readTemplateText(file: string | undefined): TemplateText | undefined {
  if (file === undefined) return undefined;
  let body: string;
  let parsed: unknown;
  try {
    body = readFileSync(file, "utf8");
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  const section = (value: unknown, key: string): Record<string, unknown> => {
    const inner = isObject(value) ? value[key] : undefined;
    return isObject(inner) ? inner : {};
  };
  const outputDescriptions: Record<string, string> = {};
  for (const [key, output] of Object.entries(section(parsed, "Outputs"))) {
    const description = isObject(output) ? output.Description : undefined;
    if (typeof description === "string") outputDescriptions[key] = description;
  }
  const resourceMetadata: Record<string, string> = {};
  for (const [logicalId, resource] of Object.entries(section(parsed, "Resources"))) {
    const metadata = isObject(resource) ? resource.Metadata : undefined;
    if (metadata !== undefined) resourceMetadata[logicalId] = JSON.stringify(metadata);
  }
  const description = isObject(parsed) ? parsed.Description : undefined;
  return {
    body,
    ...(typeof description === "string" ? { description } : {}),
    outputDescriptions,
    resourceMetadata,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A UUID-shaped id derived from `seed`: the same stack id at every start. */
function stableUuid(seed: string): string {
  const hex = createHash("sha256").update(`eventrail-local:${seed}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
