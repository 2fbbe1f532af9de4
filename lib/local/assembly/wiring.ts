import type { LocalPipelineModel } from "../model";
import { functionReferenceOf, type LocalEnvironment, parseArn, regionalArn } from "./arns";
import { TemplateResolutionError, UnsupportedFeatureError } from "./errors";
import type { TemplatePath } from "./template-types";

/** The resources of a model, before its outputs are added. */
export type ModelResources = Omit<
  LocalPipelineModel,
  | "stackName"
  | "accountId"
  | "region"
  | "outputs"
  | "stackResources"
  | "templateFile"
  | "outputExports"
  | "stackTags"
  | "terminationProtection"
>;

const OWN_RESOURCES_ONLY =
  "the local pipeline runs only the resources of this stack. Declare the resource in the stack, or test this path in AWS";

function propertyPath(logicalId: string, ...path: (string | number)[]): TemplatePath {
  return ["Resources", logicalId, "Properties", ...path];
}

function outside(path: TemplatePath, problem: string): never {
  throw new UnsupportedFeatureError({ path, problem, fix: capitalize(OWN_RESOURCES_ONLY) });
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The unqualified ARN of a function ARN that may carry a version or alias. */
function unqualifiedFunctionArn(arn: string): string {
  const parsed = parseArn(arn);
  const name = functionReferenceOf(arn).name;
  return parsed === undefined
    ? arn
    : `arn:${parsed.partition}:lambda:${parsed.region}:${parsed.account}:function:${name}`;
}

/**
 * Checks that every resource the model wires together is in the model: rule targets and their DLQs,
 * redrive targets, event sources, the buses of rules and archives. What deploys may point outside
 * the stack; locally nothing would be there to receive it, so the reading stops here rather than
 * drop events at run time. Also checks that no two resources of a kind share a name, which
 * CloudFormation would refuse.
 */
export function checkWiring(model: ModelResources, env: LocalEnvironment): void {
  checkUniqueNames(model);
  const queueArns = new Set(model.queues.map((queue) => queue.arn));
  const functionArns = new Set(model.functions.map((fn) => fn.arn));
  const functionNames = new Set(model.functions.map((fn) => fn.name));
  const streamArns = new Set(model.deliveryStreams.map((stream) => stream.arn));
  const busNames = new Set([...model.buses.map((bus) => bus.name), "default"]);
  const busArns = new Set([
    ...model.buses.map((bus) => bus.arn),
    regionalArn(env, "events", "event-bus/default"),
  ]);

  for (const rule of model.rules) {
    if (!busNames.has(rule.busName)) {
      outside(
        propertyPath(rule.logicalId, "EventBusName"),
        `rule ${rule.logicalId} is on the bus "${rule.busName}", which this template does not declare`,
      );
    }
    for (const target of rule.targets) {
      const known = {
        sqs: () => queueArns.has(target.arn),
        firehose: () => streamArns.has(target.arn),
        lambda: () => functionArns.has(unqualifiedFunctionArn(target.arn)),
        "event-bus": () => busArns.has(target.arn),
      }[target.kind]();
      if (!known) {
        outside(
          propertyPath(rule.logicalId, "Targets"),
          `rule ${rule.logicalId} target "${target.id}" sends to ${target.arn}, which is not a ${target.kind} resource of this template`,
        );
      }
      if (target.deadLetterArn !== undefined && !queueArns.has(target.deadLetterArn)) {
        outside(
          propertyPath(rule.logicalId, "Targets"),
          `rule ${rule.logicalId} target "${target.id}" has the dead-letter queue ${target.deadLetterArn}, which is not a queue of this template`,
        );
      }
    }
  }
  for (const queue of model.queues) {
    const deadLetter = queue.redrive?.deadLetterTargetArn;
    if (deadLetter !== undefined && !queueArns.has(deadLetter)) {
      outside(
        propertyPath(queue.logicalId, "RedrivePolicy", "deadLetterTargetArn"),
        `queue ${queue.logicalId} redrives to ${deadLetter}, which is not a queue of this template`,
      );
    }
  }
  for (const mapping of model.eventSourceMappings) {
    if (!queueArns.has(mapping.queueArn)) {
      outside(
        propertyPath(mapping.logicalId, "EventSourceArn"),
        `event source mapping ${mapping.logicalId} reads ${mapping.queueArn}, which is not a queue of this template`,
      );
    }
    if (!functionNames.has(mapping.functionName)) {
      outside(
        propertyPath(mapping.logicalId, "FunctionName"),
        `event source mapping ${mapping.logicalId} invokes "${mapping.functionName}", which is not a function of this template`,
      );
    }
  }
  const tableStreams = new Set(model.tables.flatMap((table) => (table.stream ? [table.stream.arn] : [])));
  for (const pipe of model.pipes) {
    const wired: readonly [path: string, arn: string | undefined, known: boolean, what: string][] = [
      ["Source", pipe.sourceArn, tableStreams.has(pipe.sourceArn), "the stream of a table"],
      ["Target", pipe.targetArn, busArns.has(pipe.targetArn), "an event bus"],
      [
        "Enrichment",
        pipe.enrichmentArn,
        pipe.enrichmentArn === undefined || functionArns.has(unqualifiedFunctionArn(pipe.enrichmentArn)),
        "a function",
      ],
      [
        "SourceParameters",
        pipe.source.deadLetterArn,
        pipe.source.deadLetterArn === undefined || queueArns.has(pipe.source.deadLetterArn),
        "a queue",
      ],
    ];
    for (const [path, arn, known, what] of wired) {
      if (!known) {
        outside(
          propertyPath(pipe.logicalId, path),
          `pipe ${pipe.logicalId} refers to ${arn}, which is not ${what} of this template`,
        );
      }
    }
  }
  for (const archive of model.archives) {
    if (!busArns.has(archive.sourceBusArn)) {
      outside(
        propertyPath(archive.logicalId, "SourceArn"),
        `archive ${archive.logicalId} records the bus ${archive.sourceBusArn}, which this template does not declare`,
      );
    }
  }
}

function checkUniqueNames(model: ModelResources): void {
  const kinds: readonly [label: string, resources: readonly { logicalId: string; name: string }[]][] = [
    ["queue", model.queues],
    ["event bus", model.buses],
    ["archive", model.archives],
    ["function", model.functions],
    ["table", model.tables],
    ["delivery stream", model.deliveryStreams],
    ["bucket", model.buckets],
    ["pipe", model.pipes],
    ...[...new Set(model.rules.map((rule) => rule.busName))].map(
      (bus): [string, readonly { logicalId: string; name: string }[]] => [
        `rule on bus ${bus}`,
        model.rules.filter((rule) => rule.busName === bus),
      ],
    ),
  ];
  for (const [label, resources] of kinds) {
    const byName = new Map<string, string>();
    for (const resource of resources) {
      const first = byName.get(resource.name);
      if (first !== undefined) {
        throw new TemplateResolutionError({
          path: ["Resources", resource.logicalId],
          problem: `${resource.logicalId} and ${first} are both the ${label} "${resource.name}"; CloudFormation would fail to create the second`,
          fix: "Give each resource a name of its own",
        });
      }
      byName.set(resource.name, resource.logicalId);
    }
  }
}
