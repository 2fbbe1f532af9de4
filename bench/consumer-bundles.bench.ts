import { spawnSync } from "node:child_process";
import { mkdir, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type Metafile } from "esbuild";
import { type SubscriptionDefinition, subscriptions } from "../lib/subscriptions";
import type { Bench, BenchRow } from "./table";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Inside the repository (and git-ignored), so the bundles resolve `@aws-sdk/*` from node_modules as Lambda's runtime would. */
const OUT_DIR = join(ROOT, "bench", ".tmp", "consumer-bundles");
const MAX_BUNDLE_KB = 400;
const MAX_INIT_MS = 100;
/** Fresh `node` processes per measurement; the median is reported. */
const RUNS = 7;

/**
 * The environment the infrastructure gives every consumer, so module init runs its real path
 * (the kit reads these at cold start and throws without them).
 */
function consumerEnvironment(subscription: SubscriptionDefinition): NodeJS.ProcessEnv {
  const name = subscription.name;
  return {
    PATH: process.env.PATH,
    AWS_REGION: "eu-west-1",
    POWERTOOLS_SERVICE_NAME: name,
    POWERTOOLS_METRICS_NAMESPACE: "eventrail",
    POWERTOOLS_LOG_LEVEL: "INFO",
    EVENTRAIL_PRODUCER: name,
    IDEMPOTENCY_TABLE_NAME: "bench-idempotency",
    EVENT_BUS_NAME: "bench-bus",
    STATE_TABLE_NAME: `bench-${name}-state`,
    EVENTRAIL_CONSUMES: subscription.eventTypes.join(","),
  };
}

/**
 * Bundles one consumer as the pipeline's NodejsFunction does (lib/constructs/event-subscription.ts):
 * ESM for Node 24, minified, external source map, `@aws-sdk/*` left to the Lambda runtime, and the
 * `require` shim banner.
 */
async function bundle(name: string, entry: string): Promise<{ file: string; metafile: Metafile }> {
  const file = join(OUT_DIR, name, "index.mjs");
  const result = await build({
    entryPoints: [join(ROOT, entry)],
    outfile: file,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node24",
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ["module", "main"],
    external: ["@aws-sdk/*"],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    metafile: true,
    logLevel: "error",
  });
  return { file, metafile: result.metafile };
}

/**
 * Milliseconds a fresh Node process spends importing the bundle (module init), `nodeOptions`
 * applied. The `preloaded` modules are imported before the clock starts, to tell the bundle's own
 * init from that of the runtime-provided SDK it loads.
 */
function measureInit(
  file: string,
  subscription: SubscriptionDefinition,
  nodeOptions: readonly string[],
  preloaded: readonly string[] = [],
): number {
  const script = [
    `await Promise.all(${JSON.stringify(preloaded)}.map((module) => import(module)));`,
    "const started = performance.now();",
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    "process.stdout.write(String(performance.now() - started));",
  ].join("\n");
  const run = spawnSync(process.execPath, [...nodeOptions, "--input-type=module", "-e", script], {
    cwd: dirname(file),
    env: consumerEnvironment(subscription),
    encoding: "utf8",
  });
  if (run.status !== 0) {
    throw new Error(`Loading the ${subscription.name} bundle failed (exit ${run.status}): ${run.stderr}`);
  }
  return Number(run.stdout);
}

function medianInit(...args: Parameters<typeof measureInit>): number {
  return median(Array.from({ length: RUNS }, () => measureInit(...args)));
}

/** The `@aws-sdk/*` packages a bundle leaves to the Lambda runtime. */
function externalSdkModules(metafile: Metafile): string[] {
  const imports = Object.values(metafile.outputs).flatMap((output) => output.imports);
  return [
    ...new Set(
      imports
        .filter((entry) => entry.external && entry.path.startsWith("@aws-sdk/"))
        .map((entry) => entry.path),
    ),
  ];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

/** Bytes of the output that came from one package (e.g. `zod`), to show what a bundle is made of. */
function bytesFrom(metafile: Metafile, packageName: string): number {
  const marker = `node_modules/${packageName}/`;
  return Object.values(metafile.outputs)
    .flatMap((output) => Object.entries(output.inputs))
    .filter(([path]) => path.includes(marker))
    .reduce((sum, [, input]) => sum + input.bytesInOutput, 0);
}

/**
 * Per consumer bundle: the minified size of the `.mjs` (without its map) and the module-init time,
 * the median over {@link RUNS} fresh processes: with `--enable-source-maps` as the function runs
 * (its NODE_OPTIONS), without it, and without the time spent loading the external AWS SDK (which
 * the Lambda runtime provides, so only the bundle's own share is in the code's hands). KB = 1,024 bytes.
 */
const consumerBundles: Bench = async () => {
  await rm(OUT_DIR, { recursive: true, force: true });
  await mkdir(OUT_DIR, { recursive: true });
  const rows: BenchRow[] = [];
  for (const subscription of subscriptions) {
    const group = `consumer ${subscription.name}`;
    const { file, metafile } = await bundle(subscription.name, subscription.entry);
    const sizeKb = (await stat(file)).size / 1024;
    const deployed = medianInit(file, subscription, ["--enable-source-maps"]);
    const plain = medianInit(file, subscription, []);
    const own = medianInit(file, subscription, ["--enable-source-maps"], externalSdkModules(metafile));
    rows.push(
      {
        group,
        metric: "bundle size (minified .mjs)",
        value: Math.round(sizeKb * 10) / 10,
        unit: "KB",
        target: `<= ${MAX_BUNDLE_KB} KB`,
        met: sizeKb <= MAX_BUNDLE_KB,
      },
      {
        group,
        metric: "  of which zod",
        value: Math.round((bytesFrom(metafile, "zod") / 1024) * 10) / 10,
        unit: "KB",
      },
      {
        group,
        metric: `module init, as deployed (source maps on; median of ${RUNS})`,
        value: deployed,
        unit: "ms",
        target: `<= ${MAX_INIT_MS} ms`,
        met: deployed <= MAX_INIT_MS,
      },
      { group, metric: "  module init, source maps off", value: plain, unit: "ms" },
      { group, metric: "  module init, AWS SDK already loaded", value: own, unit: "ms" },
    );
  }
  return rows;
};

export default consumerBundles;
