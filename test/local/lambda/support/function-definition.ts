import type { LocalFunctionDefinition } from "../../../../lib/local/model";

/** A function definition as the assembly reader would produce it, with test defaults. */
export function aFunctionDefinition(
  overrides: Partial<LocalFunctionDefinition> & { readonly assetDir: string },
): LocalFunctionDefinition {
  const name = overrides.name ?? "fixture-consumer";
  return {
    logicalId: "FixtureConsumerFunction",
    name,
    arn: `arn:aws:lambda:eu-west-1:000000000000:function:${name}`,
    handler: "index.handler",
    runtime: "nodejs24.x",
    timeoutSeconds: 5,
    memorySize: 256,
    environment: {},
    ...overrides,
  };
}
