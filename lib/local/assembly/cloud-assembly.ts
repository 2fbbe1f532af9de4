import { readFile } from "node:fs/promises";
import * as path from "node:path";
import { CloudAssemblyError } from "./errors";
import {
  type CloudFormationTemplate,
  isJsonObject,
  type JsonObject,
  type JsonValue,
  type TemplateOutput,
  type TemplateParameter,
  type TemplateResource,
} from "./template-types";

const STACK_ARTIFACT = "aws:cloudformation:stack";
const NESTED_ASSEMBLY_ARTIFACT = "cdk:cloud-assembly";
const ASSET_MANIFEST_ARTIFACT = "cdk:asset-manifest";
const SYNTH_HINT = "Run `npm run synth` to synthesize the app into cdk.out";

/** A stack of the cloud assembly, as `manifest.json` declares it. */
export interface StackArtifact {
  /** The artifact id, e.g. `Eventrail` (or `Stage/Eventrail`'s id inside a nested assembly). */
  readonly artifactId: string;
  /** The CloudFormation stack name: the manifest's `stackName`, else the artifact id. */
  readonly stackName: string;
  /** The construct path people know the stack by, e.g. `Stage/Eventrail`. */
  readonly displayName: string;
  /** The folder of the (possibly nested) assembly that holds the template and the assets. */
  readonly assemblyDir: string;
  /** Absolute path of the template. */
  readonly templateFile: string;
  /** `aws://<account>/<region>`, `unknown-account` and `unknown-region` when environment-agnostic. */
  readonly environment?: string;
  /** Absolute paths of the asset manifests the stack depends on. */
  readonly assetManifestFiles: readonly string[];
  /** The stack tags `cdk deploy` passes to CloudFormation (the manifest's `tags`). @default - none */
  readonly tags?: Readonly<Record<string, string>>;
  /** Whether the stack is deployed with termination protection. @default false */
  readonly terminationProtection?: boolean;
}

/** A file asset of the assembly: where `cdk synth` put it and the S3 keys it is published under. */
export interface FileAsset {
  /** Absolute path of the asset (a folder for zipped code). */
  readonly sourcePath: string;
  /** `zip` (a folder zipped when published) or `file`. */
  readonly packaging: string;
  readonly objectKeys: readonly string[];
}

async function readJson(file: string, what: string, missingHint: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    throw new CloudAssemblyError(`${what} ${file} cannot be read. ${missingHint}.`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new CloudAssemblyError(`${what} ${file} is not valid JSON. ${SYNTH_HINT} again.`, { cause });
  }
}

function stringField(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  return typeof value === "string" ? value : undefined;
}

/**
 * Every stack of the cloud assembly in `cdkOutDir`, nested assemblies (CDK stages) included, in
 * manifest order.
 */
export async function listStacks(cdkOutDir: string): Promise<StackArtifact[]> {
  return listStacksIn(path.resolve(cdkOutDir), true);
}

async function listStacksIn(assemblyDir: string, isRoot: boolean): Promise<StackArtifact[]> {
  const manifestFile = path.join(assemblyDir, "manifest.json");
  const manifest = await readJson(
    manifestFile,
    "The cloud assembly manifest",
    isRoot ? `Is ${assemblyDir} a cdk.out folder? ${SYNTH_HINT}` : SYNTH_HINT,
  );
  const artifacts = isJsonObject(manifest) ? manifest.artifacts : undefined;
  if (!isJsonObject(artifacts)) {
    throw new CloudAssemblyError(
      `The cloud assembly manifest ${manifestFile} has no "artifacts" object. ${SYNTH_HINT} again.`,
    );
  }
  const stacks: StackArtifact[] = [];
  for (const [artifactId, artifact] of Object.entries(artifacts)) {
    if (!isJsonObject(artifact)) continue;
    const properties = isJsonObject(artifact.properties) ? artifact.properties : {};
    if (artifact.type === NESTED_ASSEMBLY_ARTIFACT) {
      const directoryName = stringField(properties, "directoryName");
      if (directoryName !== undefined)
        stacks.push(...(await listStacksIn(path.join(assemblyDir, directoryName), false)));
      continue;
    }
    if (artifact.type !== STACK_ARTIFACT) continue;
    const templateFile = stringField(properties, "templateFile");
    if (templateFile === undefined) {
      throw new CloudAssemblyError(
        `Stack ${artifactId} in ${manifestFile} names no templateFile. ${SYNTH_HINT} again.`,
      );
    }
    const dependencies = Array.isArray(artifact.dependencies) ? artifact.dependencies : [];
    stacks.push({
      artifactId,
      stackName: stringField(properties, "stackName") ?? artifactId,
      displayName: stringField(artifact, "displayName") ?? artifactId,
      assemblyDir,
      templateFile: path.join(assemblyDir, templateFile),
      environment: stringField(artifact, "environment"),
      assetManifestFiles: assetManifestsOf(artifacts, dependencies, assemblyDir),
      ...stackTagsOf(properties),
      ...(properties.terminationProtection === true ? { terminationProtection: true } : {}),
    });
  }
  return stacks;
}

/** The manifest's stack tags (`{ key: value }`), when it has any. */
function stackTagsOf(properties: JsonObject): { tags?: Record<string, string> } {
  const tags = properties.tags;
  if (!isJsonObject(tags)) return {};
  const strings = Object.entries(tags).filter(
    (entry): entry is [string, string] => typeof entry[1] === "string",
  );
  return strings.length === 0 ? {} : { tags: Object.fromEntries(strings) };
}

function assetManifestsOf(
  artifacts: JsonObject,
  dependencies: readonly JsonValue[],
  assemblyDir: string,
): string[] {
  const files: string[] = [];
  for (const dependency of dependencies) {
    const artifact = typeof dependency === "string" ? artifacts[dependency] : undefined;
    if (!isJsonObject(artifact) || artifact.type !== ASSET_MANIFEST_ARTIFACT) continue;
    const file = isJsonObject(artifact.properties) ? stringField(artifact.properties, "file") : undefined;
    if (file !== undefined) files.push(path.join(assemblyDir, file));
  }
  return files;
}

/**
 * The stack to run: the one named `stackName` (artifact id, stack name or display name), or the only
 * stack of the assembly when no name is given.
 */
export function selectStack(
  stacks: readonly StackArtifact[],
  cdkOutDir: string,
  stackName?: string,
): StackArtifact {
  const names = stacks.map((stack) => stack.displayName).join(", ");
  if (stackName !== undefined) {
    const found = stacks.find((stack) =>
      [stack.artifactId, stack.stackName, stack.displayName].includes(stackName),
    );
    if (found === undefined) {
      throw new CloudAssemblyError(
        `The cloud assembly in ${cdkOutDir} has no stack "${stackName}"; its stacks are: ${names || "none"}. Pass one of those as stackName.`,
      );
    }
    return found;
  }
  const [only, ...others] = stacks;
  if (only === undefined) {
    throw new CloudAssemblyError(`The cloud assembly in ${cdkOutDir} holds no stack. ${SYNTH_HINT}.`);
  }
  if (others.length > 0) {
    throw new CloudAssemblyError(
      `The cloud assembly in ${cdkOutDir} holds ${stacks.length} stacks (${names}); pass stackName to choose one.`,
    );
  }
  return only;
}

/** Reads and checks the template of `stack`: a JSON object whose `Resources` each have a `Type`. */
export async function readTemplate(stack: StackArtifact): Promise<CloudFormationTemplate> {
  const file = stack.templateFile;
  const template = await readJson(file, `The template of stack ${stack.displayName}`, SYNTH_HINT);
  if (!isJsonObject(template) || !isJsonObject(template.Resources)) {
    throw new CloudAssemblyError(`The template ${file} has no Resources object. ${SYNTH_HINT} again.`);
  }
  const resources: Record<string, TemplateResource> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    if (!isJsonObject(resource) || typeof resource.Type !== "string") {
      throw new CloudAssemblyError(
        `The template ${file}: resource ${logicalId} has no Type. ${SYNTH_HINT} again.`,
      );
    }
    resources[logicalId] = {
      Type: resource.Type,
      Properties: isJsonObject(resource.Properties) ? resource.Properties : undefined,
      Condition: typeof resource.Condition === "string" ? resource.Condition : undefined,
      Metadata: isJsonObject(resource.Metadata) ? resource.Metadata : undefined,
    };
  }
  return {
    Transform: template.Transform,
    Parameters: sectionOf(template.Parameters, toParameter),
    Mappings: sectionOf(template.Mappings, (value) => value),
    Conditions: sectionOf(template.Conditions, (value) => value),
    Resources: resources,
    Outputs: sectionOf(template.Outputs, toOutput),
  };
}

function sectionOf<T>(
  section: JsonValue | undefined,
  convert: (value: JsonValue) => T | undefined,
): Record<string, T> {
  const entries: [string, T][] = [];
  if (isJsonObject(section)) {
    for (const [key, value] of Object.entries(section)) {
      const converted = convert(value);
      if (converted !== undefined) entries.push([key, converted]);
    }
  }
  return Object.fromEntries(entries);
}

function toParameter(value: JsonValue): TemplateParameter | undefined {
  if (!isJsonObject(value)) return undefined;
  return { Type: typeof value.Type === "string" ? value.Type : "String", Default: value.Default };
}

function toOutput(value: JsonValue): TemplateOutput | undefined {
  if (!isJsonObject(value) || value.Value === undefined) return undefined;
  return {
    Value: value.Value,
    Condition: typeof value.Condition === "string" ? value.Condition : undefined,
    ...(value.Export === undefined ? {} : { Export: value.Export }),
  };
}

/** The file assets declared by the asset manifests of `stack`. */
export async function readFileAssets(stack: StackArtifact): Promise<FileAsset[]> {
  const assets: FileAsset[] = [];
  for (const file of stack.assetManifestFiles) {
    const manifest = await readJson(file, "The asset manifest", SYNTH_HINT);
    const files = isJsonObject(manifest) && isJsonObject(manifest.files) ? manifest.files : {};
    for (const asset of Object.values(files)) {
      if (!isJsonObject(asset) || !isJsonObject(asset.source)) continue;
      const sourcePath = stringField(asset.source, "path");
      if (sourcePath === undefined) continue;
      const destinations = isJsonObject(asset.destinations) ? Object.values(asset.destinations) : [];
      assets.push({
        sourcePath: path.resolve(path.dirname(file), sourcePath),
        packaging: stringField(asset.source, "packaging") ?? "file",
        objectKeys: destinations.flatMap((destination) => {
          const key = isJsonObject(destination) ? stringField(destination, "objectKey") : undefined;
          return key === undefined ? [] : [key];
        }),
      });
    }
  }
  return assets;
}
