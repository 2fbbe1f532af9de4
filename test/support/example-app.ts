import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import type { CloudAssembly } from "aws-cdk-lib/cx-api";
import { buildApp } from "../../lib/app";
import type { PipelineStack, PipelineStackProps } from "../../lib/pipeline-stack";

/** The repository root. */
export const projectRoot = path.resolve(import.meta.dirname, "..", "..");

/** The context the CDK CLI passes from cdk.json, so tests synthesize what `cdk synth` does. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(projectRoot, "cdk.json"), "utf8")) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** A synthesized app: its stack, its template and the cloud assembly on disk. */
export interface SynthesizedApp {
  readonly stack: PipelineStack;
  readonly template: Template;
  readonly assembly: CloudAssembly;
  readonly outdir: string;
}

/**
 * Synthesizes the app as `cdk synth` does (cdk.json context, cdk-nag and CloudFormation validation
 * as synth-time plugins) into a fresh temporary folder. Throws when any validation fails.
 */
export function synthesizeApp(stackProps?: PipelineStackProps): SynthesizedApp {
  const outdir = mkdtempSync(path.join(tmpdir(), "eventrail-synth-"));
  const { app, stack } = buildApp({ appProps: { context: cdkJsonContext(), outdir }, stackProps });
  const assembly = app.synth();
  return { stack, template: Template.fromStack(stack), assembly, outdir };
}
