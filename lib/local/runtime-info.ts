import { readdirSync, readFileSync, unlinkSync } from "node:fs";
import { mkdir, rename, writeFile } from "node:fs/promises";
import { tmpdir, userInfo } from "node:os";
import * as path from "node:path";
import { isRunning } from "./process-lock";

/**
 * How a running local pipeline tells the command line where it is: `eventrail local` writes a small
 * JSON file per port (endpoint, pid, state folder, cloud assembly) into a per-user runtime folder,
 * and every `--local` command reads the one of the port it talks to, so that a pipeline started with
 * `--state-dir /tmp/x` is found without repeating it. The file goes away when the pipeline's process
 * exits; one left by a killed process is recognised by its pid and ignored.
 *
 * Light on purpose (node: modules only): the CLI reads it at start-up.
 */

/** The state folder's name under the project when `--state-dir` is not given. */
export const DEFAULT_STATE_DIR_NAME = ".eventrail";

/** The state folder's default, relative to the project (what `defaultStateDir` of the pipeline returns). */
export function defaultStateDir(projectRoot: string): string {
  return path.join(projectRoot, DEFAULT_STATE_DIR_NAME);
}

/** What a running local pipeline says about itself. */
export interface LocalRuntimeInfo {
  /** The endpoint clients use, e.g. `http://127.0.0.1:4010`. */
  readonly endpoint: string;
  readonly port: number;
  /** The process running the pipeline. */
  readonly pid: number;
  /** Its state folder, absolute. */
  readonly stateDir: string;
  /** The cloud assembly it runs, absolute. */
  readonly cdkOutDir?: string;
  /** ISO 8601. */
  readonly startedAt: string;
}

/**
 * The folder holding the runtime files: `EVENTRAIL_RUNTIME_DIR` when set, else
 * `<os temp dir>/eventrail-<uid>`.
 */
export function runtimeInfoDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env.EVENTRAIL_RUNTIME_DIR;
  if (configured !== undefined && configured !== "") return path.resolve(configured);
  const user = process.getuid?.() ?? userInfo().username;
  return path.join(tmpdir(), `eventrail-${user}`);
}

/** The runtime file of the pipeline listening on `port`. */
export function runtimeInfoFile(port: number, env: NodeJS.ProcessEnv = process.env): string {
  return path.join(runtimeInfoDir(env), `local-${port}.json`);
}

/** The port of an `http://host:port` endpoint (80 when it names none), or undefined for anything else. */
export function endpointPort(endpoint: string): number | undefined {
  try {
    const url = new URL(endpoint);
    if (url.protocol !== "http:") return undefined;
    return url.port === "" ? 80 : Number(url.port);
  } catch {
    return undefined;
  }
}

/** A written runtime file; {@link RuntimeInfoHandle.remove} deletes it (process exit does too). */
export interface RuntimeInfoHandle {
  readonly file: string;
  readonly info: LocalRuntimeInfo;
  remove(): Promise<void>;
}

/** What {@link writeRuntimeInfo} records. */
export interface RuntimeInfoInput {
  readonly endpoint: string;
  readonly stateDir: string;
  readonly cdkOutDir?: string;
}

/**
 * Records that this process runs a local pipeline on `input.endpoint`, for the `--local` commands:
 * one line after the pipeline started, e.g. in `eventrail local`:
 * `await writeRuntimeInfo({ endpoint: pipeline.endpoint, stateDir, cdkOutDir });`.
 * The file is removed when the process exits (or by the handle's `remove`).
 */
export async function writeRuntimeInfo(
  input: RuntimeInfoInput,
  env: NodeJS.ProcessEnv = process.env,
): Promise<RuntimeInfoHandle> {
  const port = endpointPort(input.endpoint);
  if (port === undefined) throw new Error(`Not an http:// endpoint: ${input.endpoint}`);
  const info: LocalRuntimeInfo = {
    endpoint: input.endpoint.replace(/\/+$/, ""),
    port,
    pid: process.pid,
    stateDir: path.resolve(input.stateDir),
    ...(input.cdkOutDir === undefined ? {} : { cdkOutDir: path.resolve(input.cdkOutDir) }),
    startedAt: new Date().toISOString(),
  };
  const file = runtimeInfoFile(port, env);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
  const removeNow = () => {
    // Only our own: after a kill -9, another pipeline may have taken the port and written its file.
    if (readInfoFile(file)?.pid === process.pid) unlinkSync(file);
  };
  const onExit = () => {
    try {
      removeNow();
    } catch {
      // Leaving it is harmless: readers check the pid.
    }
  };
  process.once("exit", onExit);
  return {
    file,
    info,
    async remove() {
      process.off("exit", onExit);
      onExit();
    },
  };
}

/**
 * The running pipeline listening on `port` as its runtime file says, or undefined when there is no
 * file or its process no longer runs.
 */
export function readRuntimeInfo(
  port: number,
  env: NodeJS.ProcessEnv = process.env,
): LocalRuntimeInfo | undefined {
  const info = readInfoFile(runtimeInfoFile(port, env));
  return info !== undefined && isRunning(info.pid) ? info : undefined;
}

/** Every running local pipeline with a runtime file, by port. */
export function listRunningPipelines(env: NodeJS.ProcessEnv = process.env): LocalRuntimeInfo[] {
  const dir = runtimeInfoDir(env);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => /^local-\d+\.json$/.test(name))
    .map((name) => readInfoFile(path.join(dir, name)))
    .filter((info): info is LocalRuntimeInfo => info !== undefined && isRunning(info.pid))
    .sort((a, b) => a.port - b.port);
}

function readInfoFile(file: string): LocalRuntimeInfo | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const info = parsed as Partial<LocalRuntimeInfo>;
  const valid =
    typeof info.endpoint === "string" &&
    typeof info.port === "number" &&
    typeof info.pid === "number" &&
    Number.isInteger(info.pid) &&
    info.pid > 0 &&
    typeof info.stateDir === "string" &&
    (info.cdkOutDir === undefined || typeof info.cdkOutDir === "string") &&
    typeof info.startedAt === "string";
  return valid ? (info as LocalRuntimeInfo) : undefined;
}
