import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** A resource of a hand-written template. */
export interface FixtureResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Condition?: string;
  readonly Metadata?: Record<string, unknown>;
}

/** A hand-written template: only `Resources` is required. */
export interface FixtureTemplate {
  readonly Resources: Record<string, FixtureResource>;
  readonly [section: string]: unknown;
}

/** One stack of a fixture assembly. */
export interface FixtureStack {
  /** Artifact id. @default "Test" */
  readonly id?: string;
  /** The manifest's `stackName`, when it differs from the id. */
  readonly stackName?: string;
  readonly displayName?: string;
  /** @default "aws://unknown-account/unknown-region" */
  readonly environment?: string;
  readonly template: FixtureTemplate;
  /** The asset manifest's `files`, when the stack has one. */
  readonly assetManifestFiles?: Record<string, unknown>;
  /** The manifest's stack tags. @default - none */
  readonly tags?: Record<string, string>;
  /** The manifest's `terminationProtection`. @default - not written */
  readonly terminationProtection?: boolean;
}

/** What to write: the stacks, and files by path relative to the assembly (asset folders). */
export interface FixtureAssembly {
  readonly stacks: readonly FixtureStack[];
  readonly files?: Readonly<Record<string, string>>;
  /** Nested assemblies (CDK stages), by folder name. */
  readonly nested?: Readonly<Record<string, FixtureAssembly>>;
}

/** A Node.js handler module, enough for the reader's check that the handler file exists. */
export const HANDLER_SOURCE = "export const handler = async () => ({ batchItemFailures: [] });\n";

async function writeAssemblyTo(directory: string, assembly: FixtureAssembly): Promise<void> {
  await mkdir(directory, { recursive: true });
  const artifacts: Record<string, unknown> = {};
  for (const stack of assembly.stacks) {
    const id = stack.id ?? "Test";
    const templateFile = `${id}.template.json`;
    await writeFile(path.join(directory, templateFile), JSON.stringify(stack.template));
    const dependencies: string[] = [];
    if (stack.assetManifestFiles !== undefined) {
      const assetsId = `${id}.assets`;
      await writeFile(
        path.join(directory, `${assetsId}.json`),
        JSON.stringify({ version: "55.0.0", files: stack.assetManifestFiles, dockerImages: {} }),
      );
      artifacts[assetsId] = { type: "cdk:asset-manifest", properties: { file: `${assetsId}.json` } };
      dependencies.push(assetsId);
    }
    artifacts[id] = {
      type: "aws:cloudformation:stack",
      environment: stack.environment ?? "aws://unknown-account/unknown-region",
      properties: {
        templateFile,
        ...(stack.stackName === undefined ? {} : { stackName: stack.stackName }),
        ...(stack.tags === undefined ? {} : { tags: stack.tags }),
        ...(stack.terminationProtection === undefined
          ? {}
          : { terminationProtection: stack.terminationProtection }),
      },
      dependencies,
      ...(stack.displayName === undefined ? {} : { displayName: stack.displayName }),
    };
  }
  for (const [name, nested] of Object.entries(assembly.nested ?? {})) {
    await writeAssemblyTo(path.join(directory, name), nested);
    artifacts[name] = { type: "cdk:cloud-assembly", properties: { directoryName: name } };
  }
  await writeFile(path.join(directory, "manifest.json"), JSON.stringify({ version: "55.0.0", artifacts }));
  for (const [file, content] of Object.entries(assembly.files ?? {})) {
    await mkdir(path.dirname(path.join(directory, file)), { recursive: true });
    await writeFile(path.join(directory, file), content);
  }
}

/**
 * Writes fixture cloud assemblies into temporary folders and removes them all in {@link cleanUp}
 * (call it from `afterAll`).
 */
export class CloudAssemblyFixtures {
  private readonly directories: string[] = [];

  /** Writes `assembly` into a fresh folder and returns the folder. */
  async write(assembly: FixtureAssembly): Promise<string> {
    const directory = await mkdtemp(path.join(tmpdir(), "eventrail-assembly-"));
    this.directories.push(directory);
    await writeAssemblyTo(directory, assembly);
    return directory;
  }

  /** Writes a one-stack assembly (id `Test`) holding `template`, and the `files` given. */
  async writeTemplate(template: FixtureTemplate, files?: Readonly<Record<string, string>>): Promise<string> {
    return this.write({ stacks: [{ template }], files });
  }

  /** Removes every folder written. */
  async cleanUp(): Promise<void> {
    await Promise.all(this.directories.map((directory) => rm(directory, { recursive: true, force: true })));
  }
}

/** An `AWS::Lambda::Function` whose code is the folder `assetPath` of the assembly, as the CLI records it. */
export function aFunction(properties: Record<string, unknown> = {}, assetPath = "asset.fn"): FixtureResource {
  return {
    Type: "AWS::Lambda::Function",
    Properties: {
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JavaScript template
      Code: { S3Bucket: { "Fn::Sub": "cdk-assets-${AWS::AccountId}-${AWS::Region}" }, S3Key: "fn.zip" },
      Handler: "index.handler",
      Runtime: "nodejs24.x",
      Role: { "Fn::GetAtt": ["Role", "Arn"] },
      ...properties,
    },
    Metadata: { "aws:asset:path": assetPath, "aws:asset:property": "Code" },
  };
}

/** The files of the asset folder `aFunction` points at by default. */
export const FUNCTION_ASSET_FILES = { "asset.fn/index.js": HANDLER_SOURCE } as const;
