import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { LocalPipelineModel } from "../model";

/** The CloudFormation API version of the query protocol (`Version=2010-05-15`). */
export const CLOUDFORMATION_API_VERSION = "2010-05-15";

const NAMESPACE = `https://cloudformation.amazonaws.com/doc/${CLOUDFORMATION_API_VERSION}/`;

/** What a query-protocol service answers: an HTTP status and an XML body. */
export interface QueryAnswer {
  readonly status: number;
  readonly body: string;
}

/** A service of the AWS query protocol: the action and the form parameters in, XML out. */
export type AwsQueryService = (action: string, parameters: URLSearchParams) => Promise<QueryAnswer>;

/** The read calls served; the others are refused with the way to change the stack. */
const READ_ACTIONS = [
  "DescribeStacks",
  "ListStacks",
  "DescribeStackResources",
  "ListStackResources",
  "GetTemplate",
];

/**
 * CloudFormation's read calls for the running assembly's stack, in the query protocol the AWS SDK
 * and the AWS CLI speak, so `eventrail status`, `aws cloudformation describe-stacks` and anything
 * else that reads a stack's outputs and resources work against the local endpoint unchanged. The
 * stack is CREATE_COMPLETE since the pipeline started; it cannot be changed through this API: the
 * CDK app is the configuration.
 */
export function createCloudFormationService(model: LocalPipelineModel, startedAt: Date): AwsQueryService {
  const stackId = `arn:aws:cloudformation:${model.region}:${model.accountId}:stack/${model.stackName}/${stableUuid(model.stackName)}`;
  const creationTime = startedAt.toISOString();
  const resources = model.stackResources ?? [];

  const requireStack = (parameters: URLSearchParams): void => {
    const name = parameters.get("StackName");
    if (name !== null && name !== model.stackName && name !== stackId) {
      throw new QueryError("ValidationError", `Stack with id ${name} does not exist`);
    }
  };

  const actions: Record<string, (parameters: URLSearchParams) => Promise<string>> = {
    async DescribeStacks(parameters) {
      requireStack(parameters);
      const outputs = Object.entries(model.outputs)
        .map(([key, value]) => member(element("OutputKey", key) + element("OutputValue", value)))
        .join("");
      const stack =
        element("StackName", model.stackName) +
        element("StackId", stackId) +
        element("CreationTime", creationTime) +
        element("StackStatus", "CREATE_COMPLETE") +
        element("Description", `${model.stackName}, run locally by eventrail local`) +
        `<Parameters/><Tags/><Capabilities/><Outputs>${outputs}</Outputs>` +
        element("DisableRollback", "false");
      return `<Stacks>${member(stack)}</Stacks>`;
    },
    async ListStacks() {
      const summary =
        element("StackName", model.stackName) +
        element("StackId", stackId) +
        element("CreationTime", creationTime) +
        element("StackStatus", "CREATE_COMPLETE");
      return `<StackSummaries>${member(summary)}</StackSummaries>`;
    },
    async DescribeStackResources(parameters) {
      requireStack(parameters);
      const logicalId = parameters.get("LogicalResourceId");
      const listed = resources
        .filter((resource) => logicalId === null || resource.logicalId === logicalId)
        .map((resource) =>
          member(
            element("StackName", model.stackName) +
              element("StackId", stackId) +
              element("LogicalResourceId", resource.logicalId) +
              element("PhysicalResourceId", resource.physicalId) +
              element("ResourceType", resource.type) +
              element("Timestamp", creationTime) +
              element("ResourceStatus", "CREATE_COMPLETE"),
          ),
        )
        .join("");
      return `<StackResources>${listed}</StackResources>`;
    },
    async ListStackResources(parameters) {
      requireStack(parameters);
      const listed = resources
        .map((resource) =>
          member(
            element("LogicalResourceId", resource.logicalId) +
              element("PhysicalResourceId", resource.physicalId) +
              element("ResourceType", resource.type) +
              element("LastUpdatedTimestamp", creationTime) +
              element("ResourceStatus", "CREATE_COMPLETE"),
          ),
        )
        .join("");
      return `<StackResourceSummaries>${listed}</StackResourceSummaries>`;
    },
    async GetTemplate(parameters) {
      requireStack(parameters);
      if (model.templateFile === undefined) {
        throw new QueryError(
          "ValidationError",
          `The template of stack ${model.stackName} is not known locally`,
        );
      }
      const body = await readFile(model.templateFile, "utf8");
      return (
        element("TemplateBody", body) +
        "<StagesAvailable><member>Original</member><member>Processed</member></StagesAvailable>"
      );
    },
  };

  return async (action, parameters) => {
    const requestId = randomRequestId();
    const run = Object.hasOwn(actions, action) ? actions[action] : undefined;
    if (run === undefined) {
      return errorAnswer(
        new QueryError(
          READ_ACTIONS.includes(action) || action === "" ? "ValidationError" : "InvalidAction",
          action === ""
            ? "The request names no Action."
            : `The local pipeline serves only CloudFormation's read calls for the running stack (${READ_ACTIONS.join(", ")}); ${action} is not one of them. The stack is the synthesized CDK app: change the app, synthesize, and restart the local pipeline (npm start).`,
        ),
        requestId,
      );
    }
    try {
      const result = await run(parameters);
      return {
        status: 200,
        body: `<${action}Response xmlns="${NAMESPACE}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`,
      };
    } catch (error) {
      if (error instanceof QueryError) return errorAnswer(error, requestId);
      throw error;
    }
  };
}

/** An error CloudFormation answers in the query protocol's shape. */
export class QueryError extends Error {
  public override readonly name = "QueryError";

  constructor(
    public readonly code: string,
    message: string,
    public readonly status = 400,
  ) {
    super(message);
  }
}

/** The query protocol's error document. */
export function errorAnswer(error: QueryError, requestId = randomRequestId()): QueryAnswer {
  return {
    status: error.status,
    body: `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>${error.status >= 500 ? "Receiver" : "Sender"}</Type>${element("Code", error.code)}${element("Message", error.message)}</Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function member(inner: string): string {
  return `<member>${inner}</member>`;
}

function element(name: string, text: string): string {
  return `<${name}>${escapeXml(text)}</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** The same stack id at every start, as a stack keeps its id until it is deleted. */
function stableUuid(name: string): string {
  const hex = createHash("sha256").update(`eventrail-local:${name}`).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

function randomRequestId(): string {
  return crypto.randomUUID();
}
