import { readdir, readFile } from "node:fs/promises";
import * as path from "node:path";

/**
 * Turns the V8 CPU profiles Node writes with `--cpu-prof` (one file per thread: the pipeline's
 * main thread and each Lambda worker) into CPU time per stage of the local pipeline.
 *
 * Each sample is charged to the stage of the nearest frame on its stack that names one: a native
 * frame (a `writev`, a `postMessage`) or a frame of Node's internals is charged to the JavaScript
 * that called it, so the time a stage spends in the kernel and in Node on its behalf counts as its
 * own. Module loading is its own stage (it is what a cold start costs), and so is garbage
 * collection, which V8 does not attribute.
 */

/** The stages, in the order the bench prints them. */
export const STAGES = [
  "edge and HTTP",
  "EventBridge matching and delivery",
  "SQS and its journal",
  "Firehose audit spool",
  "DynamoDB (dynalite, LevelDB)",
  "worker dispatch (main thread)",
  "worker runtime and messaging",
  "AWS SDK inside the worker",
  "the handler (bundle, Powertools)",
  "module loading (cold starts)",
  "garbage collection",
  "other",
] as const;

export type Stage = (typeof STAGES)[number];

/** CPU milliseconds per stage, and their sum. */
export interface StageBreakdown {
  readonly totalMs: number;
  readonly byStage: Readonly<Record<Stage, number>>;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const MODULE_LOADING =
  /node:internal\/(modules|bootstrap)|cjs-module-lexer|esm\/(hooks|loader|utils|translators|get_format|resolve)/;

/** The stage a frame names on its own, or undefined when its caller decides. */
function stageOfFrame(node: ProfileNode, inWorker: boolean): Stage | undefined {
  const { url, functionName } = node.callFrame;
  if (functionName === "(garbage collector)") return "garbage collection";
  if (url === "") return undefined;
  if (MODULE_LOADING.test(url)) return "module loading (cold starts)";
  if (/\/asset\.[0-9a-f]+\//.test(url) || url.includes("@aws-lambda-powertools")) {
    return "the handler (bundle, Powertools)";
  }
  if (/node_modules\/(@aws-sdk|@smithy|@aws-crypto|@aws\/)/.test(url)) {
    return inWorker ? "AWS SDK inside the worker" : "other";
  }
  if (
    /node_modules\/(dynalite|classic-level|abstract-level|level-|lock\/|big\.js|async\/|buffer-crc32)/.test(
      url,
    )
  ) {
    return "DynamoDB (dynalite, LevelDB)";
  }
  if (url.includes("/lib/local/dynamodb/")) return "DynamoDB (dynalite, LevelDB)";
  if (url.includes("/lib/local/sqs/")) return "SQS and its journal";
  if (url.includes("/lib/local/firehose/")) return "Firehose audit spool";
  if (url.includes("/lib/local/events/") || url.includes("/lib/local/pattern/")) {
    return "EventBridge matching and delivery";
  }
  if (url.includes("/lib/local/lambda/lambda-worker.mjs")) return "worker runtime and messaging";
  if (url.includes("/lib/local/lambda/") || url.includes("/lib/local/local-pipeline.ts")) {
    return "worker dispatch (main thread)";
  }
  if (url.includes("/lib/local/edge-server.ts") || /^node:(_http|http|net|stream)/.test(url)) {
    return "edge and HTTP";
  }
  return undefined;
}

/** Adds one profile's samples, charged to stages, into `into`. */
function addProfile(profile: CpuProfile, inWorker: boolean, into: Record<Stage, number>): void {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const stageOf = new Map<number, Stage | null>();
  const resolve = (id: number): Stage | null => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id);
    if (node === undefined) return null;
    if (node.callFrame.functionName === "(idle)") {
      stageOf.set(id, null);
      return null;
    }
    const own = stageOfFrame(node, inWorker);
    const up = parent.get(id);
    const stage = own ?? (up === undefined ? "other" : (resolve(up) ?? "other"));
    stageOf.set(id, stage);
    return stage;
  };
  profile.samples.forEach((id, index) => {
    const stage = resolve(id);
    // A sample's time is the delta to the next one; V8 stores the delta to the previous.
    const deltaUs = profile.timeDeltas[index + 1] ?? 0;
    if (stage !== null) into[stage] += deltaUs / 1000;
  });
}

/**
 * Reads every `*.cpuprofile` in `dir`. The main thread's file is the one whose thread id (the
 * number after the pid in Node's file name) is 0; the others are worker threads.
 */
export async function readStageBreakdown(dir: string): Promise<StageBreakdown> {
  const byStage = Object.fromEntries(STAGES.map((stage) => [stage, 0])) as Record<Stage, number>;
  for (const file of (await readdir(dir)).filter((f) => f.endsWith(".cpuprofile"))) {
    const threadId = file.split(".")[4];
    const profile = JSON.parse(await readFile(path.join(dir, file), "utf8")) as CpuProfile;
    addProfile(profile, threadId !== "0", byStage);
  }
  const totalMs = STAGES.reduce((sum, stage) => sum + byStage[stage], 0);
  return { totalMs, byStage };
}
