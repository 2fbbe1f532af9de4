import type { LocalEnvironment } from "../../../../lib/local/assembly/arns";
import { TemplateResolver } from "../../../../lib/local/assembly/template-resolver";
import type { CloudFormationTemplate } from "../../../../lib/local/assembly/template-types";

/** The environment of resolver tests: values unlike the defaults, so a test sees they are used. */
export const TEST_ENV: LocalEnvironment = {
  stackName: "Shop",
  accountId: "111122223333",
  region: "eu-west-1",
  partition: "aws",
  urlSuffix: "amazonaws.com",
  endpoint: "http://127.0.0.1:4010",
};

/** A resolver over a template made of the sections given. */
export function resolverFor(
  sections: Partial<CloudFormationTemplate>,
  parameters?: Readonly<Record<string, string>>,
): TemplateResolver {
  const template: CloudFormationTemplate = {
    Parameters: {},
    Mappings: {},
    Conditions: {},
    Resources: {},
    Outputs: {},
    ...sections,
  };
  return new TemplateResolver(template, TEST_ENV, parameters);
}
