import { Validations } from "aws-cdk-lib";
import type * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";

/**
 * What every eventrail function shares, whoever declares it (a subscription's consumer, the outbox
 * relay, an outbox producer): Node 24 on arm64, active tracing, JSON logs, and an ESM bundle built
 * locally by esbuild (never in Docker), with the runtime's AWS SDK left out.
 */
export const FUNCTION_DEFAULTS = {
  runtime: lambda.Runtime.NODEJS_24_X,
  architecture: lambda.Architecture.ARM_64,
  tracing: lambda.Tracing.ACTIVE,
  loggingFormat: lambda.LoggingFormat.JSON,
  bundling: {
    format: nodejs.OutputFormat.ESM,
    target: "node24",
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    mainFields: ["module", "main"],
    externalModules: ["@aws-sdk/*"],
    // Some dependencies still call require(); ESM bundles need it defined.
    banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
    forceDockerBundling: false,
  },
} as const satisfies Partial<nodejs.NodejsFunctionProps>;

/**
 * Acknowledges the one wildcard of a function's own role: X-Ray's two write actions, which take
 * no resource-level permission.
 */
export function acknowledgeTracingWildcard(role: iam.IRole): void {
  Validations.of(role).acknowledge({
    id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
    reason:
      "Only X-Ray's xray:PutTraceSegments and xray:PutTelemetryRecords use Resource *: they support no resource-level permissions.",
  });
}
