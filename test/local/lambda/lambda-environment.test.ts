import { describe, expect, it } from "vitest";
import {
  buildLambdaEnvironment,
  type LambdaEnvironmentInput,
  LOCAL_CREDENTIALS,
} from "../../../lib/local/lambda/lambda-environment";
import { aFunctionDefinition } from "./support/function-definition";

function environmentOf(overrides: Partial<LambdaEnvironmentInput> = {}): Record<string, string> {
  return buildLambdaEnvironment({
    definition: aFunctionDefinition({ assetDir: "/cdk.out/asset.abc", environment: { TABLE: "orders" } }),
    region: "eu-west-1",
    endpointUrl: "http://127.0.0.1:4566",
    logStreamName: "2026/01/01/[$LATEST]00000000000000000000000000000000",
    ...overrides,
  });
}

describe("buildLambdaEnvironment", () => {
  it("turns the Powertools tracer off by default, since there is no X-Ray daemon locally", () => {
    // Act
    const env = environmentOf({
      definition: aFunctionDefinition({ assetDir: "/a", environment: { POWERTOOLS_TRACE_ENABLED: "true" } }),
    });

    // Assess
    expect(env.POWERTOOLS_TRACE_ENABLED).toBe("false");
    expect(env.AWS_XRAY_CONTEXT_MISSING).toBe("IGNORE_ERROR");
  });

  it("lets the caller's extra variables override the template and the local overrides", () => {
    // Act
    const env = environmentOf({
      extraEnvironment: { TABLE: "orders-test", POWERTOOLS_TRACE_ENABLED: "true" },
    });

    // Assess
    expect(env).toMatchObject({ TABLE: "orders-test", POWERTOOLS_TRACE_ENABLED: "true" });
  });

  it("keeps Lambda's reserved variables, the edge endpoint and the local credentials whatever the template or caller set", () => {
    // Prepare
    const attempted = {
      AWS_REGION: "us-east-1",
      AWS_LAMBDA_FUNCTION_NAME: "someone-else",
      LAMBDA_TASK_ROOT: "/var/task",
      AWS_ENDPOINT_URL: "https://sqs.us-east-1.amazonaws.com",
      AWS_ACCESS_KEY_ID: "AKIAREALKEY",
    };

    // Act
    const env = environmentOf({
      definition: aFunctionDefinition({ assetDir: "/cdk.out/asset.abc", environment: attempted }),
      extraEnvironment: attempted,
    });

    // Assess
    expect(env).toMatchObject({
      AWS_REGION: "eu-west-1",
      AWS_LAMBDA_FUNCTION_NAME: "fixture-consumer",
      LAMBDA_TASK_ROOT: "/cdk.out/asset.abc",
      AWS_ENDPOINT_URL: "http://127.0.0.1:4566",
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID,
    });
  });
});
