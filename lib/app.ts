import { App, type AppProps, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";
import { PipelineStack, type PipelineStackProps } from "./pipeline-stack";

/** Options for {@link buildApp}. */
export interface BuildAppOptions {
  /** Passed to the CDK App (outdir, context). @default - the CLI's */
  readonly appProps?: AppProps;
  /** Passed to the pipeline stack. @default - the example app */
  readonly stackProps?: PipelineStackProps;
  /** Name of the stack. @default "Eventrail" */
  readonly stackName?: string;
}

/**
 * The CDK app: the pipeline stack, checked at synth by cdk-nag's AWS Solutions and Serverless
 * packs (any unacknowledged finding fails synth).
 */
export function buildApp(options: BuildAppOptions = {}): { app: App; stack: PipelineStack } {
  const app = new App(options.appProps);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  // `cdk deploy -c alarmEmail=oncall@example.com` subscribes on-call to the alarm topic.
  const alarmEmail: unknown = app.node.tryGetContext("alarmEmail");
  const stack = new PipelineStack(app, options.stackName ?? "Eventrail", {
    description:
      "eventrail: event bus, schema registry, routed queues with DLQs and Lambda consumers, archive",
    ...(typeof alarmEmail === "string" && alarmEmail.length > 0 ? { alarmEmail } : {}),
    ...options.stackProps,
  });
  return { app, stack };
}
