import { stat } from "node:fs/promises";
import * as path from "node:path";
import type { FileAsset, StackArtifact } from "./cloud-assembly";
import { FunctionAssetError } from "./errors";
import type { ResourceProperties } from "./resource-properties";
import type { JsonObject } from "./template-types";

/** The extensions Lambda's Node.js runtime tries for the handler's module, in its order. */
const HANDLER_EXTENSIONS = [".js", ".mjs", ".cjs"];

async function isDirectory(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isDirectory();
  } catch {
    return false;
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/**
 * The folder holding a function's bundled code. The template's `aws:asset:path` metadata names it
 * when `cdk synth` ran from the CLI; an app synthesized in-process has no such metadata, and the
 * code's S3 key is then looked up in the stack's asset manifests.
 */
export async function locateFunctionAsset(
  properties: ResourceProperties,
  metadata: JsonObject | undefined,
  stack: StackArtifact,
  assets: readonly FileAsset[],
): Promise<string> {
  const { logicalId } = properties;
  if (properties.get(["Code", "ZipFile"]) !== undefined) {
    return properties.unsupported(
      ["Code", "ZipFile"],
      `function ${logicalId} has inline code; the local pipeline runs only code bundled as an asset`,
      "Bundle the handler as an asset (NodejsFunction or lambda.Code.fromAsset)",
    );
  }
  const isImage = properties.string(["PackageType"]) === "Image";
  if (isImage || properties.get(["Code", "ImageUri"]) !== undefined) {
    return properties.unsupported(
      isImage ? ["PackageType"] : ["Code", "ImageUri"],
      `function ${logicalId} is a container image; the local pipeline runs zip functions only (there is no Docker)`,
      "Bundle the handler as a zip asset (NodejsFunction or lambda.Code.fromAsset)",
    );
  }
  const assetPath = metadata?.["aws:asset:path"];
  const assetProperty = metadata?.["aws:asset:property"];
  let directory: string;
  if (typeof assetPath === "string" && (assetProperty === undefined || assetProperty === "Code")) {
    directory = path.resolve(stack.assemblyDir, assetPath);
  } else {
    const key = properties.requiredString(["Code", "S3Key"]);
    const asset = assets.find((candidate) => candidate.objectKeys.includes(key));
    if (asset === undefined) {
      return properties.unsupported(
        ["Code", "S3Key"],
        `function ${logicalId} runs the S3 object ${key}, which is not an asset of this cloud assembly; the local pipeline runs only code that cdk synth bundled`,
        "Build the function from an asset (NodejsFunction or lambda.Code.fromAsset)",
      );
    }
    if (asset.packaging !== "zip") {
      return properties.unsupported(
        ["Code", "S3Key"],
        `function ${logicalId} runs the prebuilt archive ${asset.sourcePath}; the local pipeline runs code from an unpacked folder`,
        "Point lambda.Code.fromAsset at the folder instead of the zip file",
      );
    }
    directory = asset.sourcePath;
  }
  if (!(await isDirectory(directory))) {
    throw new FunctionAssetError(logicalId, `its code folder ${directory} does not exist`);
  }
  return directory;
}

/**
 * Checks that the handler's module is in the asset folder: `src/app.handler` needs `src/app.js`,
 * `.mjs` or `.cjs`, as Lambda's Node.js runtime looks for it.
 */
export async function checkHandlerFile(
  properties: ResourceProperties,
  assetDir: string,
  handler: string,
): Promise<void> {
  const lastSlash = handler.lastIndexOf("/");
  const dot = handler.indexOf(".", lastSlash + 1);
  if (dot <= lastSlash + 1 || dot === handler.length - 1) {
    return properties.invalid(
      ["Handler"],
      `"${handler}" is not a handler; expected "<file>.<export>" such as "index.handler"`,
    );
  }
  const base = path.join(assetDir, handler.slice(0, dot));
  for (const extension of HANDLER_EXTENSIONS) {
    if (await isFile(base + extension)) return;
  }
  throw new FunctionAssetError(
    properties.logicalId,
    `its handler "${handler}" needs ${handler.slice(0, dot)}.js, .mjs or .cjs in ${assetDir}, which holds none of them`,
  );
}
