import { readFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import * as path from "node:path";
import { buildApp } from "../app";

/** Folders and files whose change makes a cloud assembly stale. */
const SOURCES = ["bin", "lib", "lambdas", "cdk.json", "package-lock.json"];

async function newestModification(target: string): Promise<number> {
  const info = await stat(target).catch(() => undefined);
  if (!info) return 0;
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(target, { withFileTypes: true, recursive: true })) {
    if (entry.isFile())
      newest = Math.max(newest, (await stat(path.join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

/** Whether `cdkOutDir` is missing or older than any source of the app. */
export async function isAssemblyStale(projectRoot: string, cdkOutDir: string): Promise<boolean> {
  const manifest = await stat(path.join(cdkOutDir, "manifest.json")).catch(() => undefined);
  if (!manifest) return true;
  for (const source of SOURCES) {
    if ((await newestModification(path.join(projectRoot, source))) > manifest.mtimeMs) return true;
  }
  return false;
}

/**
 * Synthesizes the app into `cdkOutDir` as `cdk synth` does: the context of cdk.json, cdk-nag and
 * CloudFormation validation as synth-time plugins. Runs in-process, which saves the CLI's start-up.
 */
export function synthesizeAssembly(projectRoot: string, cdkOutDir: string): void {
  const cdkJson = JSON.parse(readFileSync(path.join(projectRoot, "cdk.json"), "utf8")) as {
    context?: Record<string, unknown>;
  };
  const { app } = buildApp({ appProps: { outdir: cdkOutDir, context: cdkJson.context ?? {} } });
  app.synth();
}
