import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

/** The handlers under `test/local/lambda/fixtures`, by file name. */
export type FixtureName =
  | "echo"
  | "throws"
  | "misbehaves"
  | "batch-failures"
  | "scripted-response"
  | "fails-at-init"
  | "powertools";

const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));
/**
 * Inside the repository (and git-ignored) rather than the system temp dir: the bundles leave
 * `@aws-sdk/*` external, as the project's NodejsFunction does, so like the assets in `cdk.out` they
 * must resolve it from the repository's node_modules.
 */
const SCRATCH_ROOT = fileURLToPath(new URL("../../../.tmp/", import.meta.url));

/** Fixture handlers bundled as Lambda assets: one `asset.<name>/index.mjs` folder each. */
export interface FixtureAssets {
  /** The asset folder of a fixture, for `LocalFunctionDefinition.assetDir`. */
  assetDir(name: FixtureName): string;
  /** Deletes the bundles. */
  remove(): Promise<void>;
}

/**
 * Bundles the fixtures the way the project's NodejsFunction bundles consumers: ESM, one `index.mjs`
 * per asset, the `createRequire` banner, `@aws-sdk/*` external, source maps.
 */
export async function bundleFixtures(names: readonly FixtureName[]): Promise<FixtureAssets> {
  await mkdir(SCRATCH_ROOT, { recursive: true });
  const root = await mkdtemp(join(SCRATCH_ROOT, "lambda-fixtures-"));
  await build({
    entryPoints: Object.fromEntries(
      names.map((name) => [`asset.${name}/index`, join(FIXTURES_DIR, `${name}.ts`)]),
    ),
    outdir: root,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    mainFields: ["module", "main"],
    external: ["@aws-sdk/*"],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    sourcemap: true,
    logLevel: "silent",
  });
  return {
    assetDir: (name) => join(root, `asset.${name}`),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}
