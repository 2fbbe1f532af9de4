import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { App, type AppProps, type Stack, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks, ServerlessChecks } from "cdk-nag";

const REPOSITORY_ROOT = path.resolve(import.meta.dirname, "../..");
const REPORT_FILE = "validation-report.json";

/** One unacknowledged finding of a validation plugin (cdk-nag packs, aws-cdk-lib's CloudFormation validation). */
export interface ValidationFinding {
  /** e.g. `AwsSolutions`, `Serverless`, `CloudFormation Validate`. */
  readonly plugin: string;
  /** e.g. `AwsSolutions-IAM5[Action::s3:*]`, `F3034`. */
  readonly rule: string;
  readonly description: string;
  readonly severity: string;
  /** Construct paths of the resources in violation. */
  readonly constructPaths: readonly string[];
}

interface ValidationReport {
  readonly pluginReports: readonly {
    readonly pluginName: string;
    readonly violations: readonly {
      readonly ruleName: string;
      readonly description: string;
      readonly severity: string;
      readonly violatingConstructs: readonly { readonly constructPath: string }[];
    }[];
  }[];
}

/** The context of the project's cdk.json, so tests synthesize with the same feature flags as `cdk synth`. */
export function projectContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPOSITORY_ROOT, "cdk.json"), "utf8")) as {
    context?: Record<string, unknown>;
  };
  return { ...cdkJson.context };
}

/**
 * An app checked the way the project's app is: cdk.json's context (with
 * `@aws-cdk/core:validateAgainstDefaultRules` on, so aws-cdk-lib's CloudFormation validation
 * reports errors) and cdk-nag's AwsSolutions and Serverless packs, synthesized into a temporary
 * folder.
 */
export function createCheckedApp(props: AppProps = {}): App {
  const app = new App({
    outdir: mkdtempSync(path.join(tmpdir(), "eventrail-cdk-")),
    ...props,
    context: {
      ...projectContext(),
      "@aws-cdk/core:validateAgainstDefaultRules": true,
      ...props.context,
    },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  return app;
}

/** What {@link synthesizeChecked} returns. */
export interface CheckedSynthesis {
  /** Every unacknowledged finding; empty when the app is clean. */
  readonly findings: readonly ValidationFinding[];
  /** The synthesized template of a stack of the app. */
  templateOf(stack: Stack): Record<string, unknown>;
}

/**
 * Synthesizes the app once and collects the validation plugins' findings from the report CDK
 * writes, instead of letting the first failing plugin abort synthesis. The templates are written
 * either way, so tests assert on them and on the findings from one synthesis.
 */
export function synthesizeChecked(app: App): CheckedSynthesis {
  const outdir = app.outdir;
  try {
    app.synth();
  } catch (error) {
    // CDK throws after writing the assembly and the report when a plugin finds violations.
    if (!(error instanceof Error) || !error.message.includes("Validation failed")) throw error;
  }
  const reportPath = path.join(outdir, REPORT_FILE);
  const report: ValidationReport = existsSync(reportPath)
    ? (JSON.parse(readFileSync(reportPath, "utf8")) as ValidationReport)
    : { pluginReports: [] };
  const findings = report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((violation) => ({
      plugin: plugin.pluginName,
      rule: violation.ruleName,
      description: violation.description,
      severity: violation.severity,
      constructPaths: violation.violatingConstructs.map((c) => c.constructPath),
    })),
  );
  return {
    findings,
    templateOf: (stack) =>
      JSON.parse(readFileSync(path.join(outdir, stack.templateFile), "utf8")) as Record<string, unknown>,
  };
}

/** Findings as readable lines, for assertion messages. */
export function formatFindings(findings: readonly ValidationFinding[]): string {
  return findings
    .map((f) => `${f.plugin} ${f.rule} (${f.severity}) at ${f.constructPaths.join(", ")}: ${f.description}`)
    .join("\n");
}
