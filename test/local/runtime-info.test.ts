import { execFile, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  endpointPort,
  listRunningPipelines,
  readRuntimeInfo,
  runtimeInfoDir,
  runtimeInfoFile,
  writeRuntimeInfo,
} from "../../lib/local/runtime-info";

const run = promisify(execFile);
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "eventrail-runtime-"));
  env = { EVENTRAIL_RUNTIME_DIR: dir };
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The pid of a process that has exited. */
function exitedPid(): number {
  const child = spawnSync(process.execPath, ["-e", ""]);
  return child.pid as number;
}

describe("the local pipeline's runtime file", () => {
  it("tells where the pipeline on a port keeps its state and assembly", async () => {
    // Act
    const handle = await writeRuntimeInfo(
      { endpoint: "http://127.0.0.1:4566/", stateDir: "state", cdkOutDir: "/tmp/assembly" },
      env,
    );

    // Assess
    expect(handle.file).toBe(path.join(dir, "local-4566.json"));
    expect(readRuntimeInfo(4566, env)).toEqual({
      endpoint: "http://127.0.0.1:4566",
      port: 4566,
      pid: process.pid,
      stateDir: path.resolve("state"),
      cdkOutDir: "/tmp/assembly",
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(readRuntimeInfo(4010, env)).toBeUndefined();
    await handle.remove();
    expect(existsSync(handle.file)).toBe(false);
  });

  it("ignores a file left by a process that no longer runs", async () => {
    // Prepare
    const file = runtimeInfoFile(4010, env);
    await writeFile(
      file,
      JSON.stringify({
        endpoint: "http://127.0.0.1:4010",
        port: 4010,
        pid: exitedPid(),
        stateDir: "/tmp/x",
        startedAt: new Date().toISOString(),
      }),
    );

    // Assess
    expect(readRuntimeInfo(4010, env)).toBeUndefined();
    expect(listRunningPipelines(env)).toEqual([]);
  });

  it("ignores a file that is not a runtime file", async () => {
    await writeFile(runtimeInfoFile(4010, env), "{ not json");
    expect(readRuntimeInfo(4010, env)).toBeUndefined();
  });

  it("lists the running pipelines by port", async () => {
    // Prepare
    await writeRuntimeInfo({ endpoint: "http://127.0.0.1:4566", stateDir: "/tmp/b" }, env);
    await writeRuntimeInfo({ endpoint: "http://127.0.0.1:4010", stateDir: "/tmp/a" }, env);

    // Act
    const running = listRunningPipelines(env);

    // Assess
    expect(running.map((info) => [info.port, info.stateDir])).toEqual([
      [4010, "/tmp/a"],
      [4566, "/tmp/b"],
    ]);
  });

  it("goes away when the pipeline's process exits", async () => {
    // Act: a process that writes its file and ends.
    const module = path.resolve(import.meta.dirname, "../../lib/local/runtime-info.ts");
    const { stdout } = await run(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `const { writeRuntimeInfo } = await import(${JSON.stringify(module)}); const h = await writeRuntimeInfo({ endpoint: "http://127.0.0.1:4999", stateDir: "/tmp/s" }); console.log(h.file);`,
      ],
      { env: { ...process.env, EVENTRAIL_RUNTIME_DIR: dir } },
    );

    // Assess
    expect(stdout.trim()).toBe(runtimeInfoFile(4999, env));
    expect(existsSync(runtimeInfoFile(4999, env))).toBe(false);
  });

  it("lives in a per-user folder of the temporary directory unless EVENTRAIL_RUNTIME_DIR says otherwise", () => {
    expect(runtimeInfoDir({})).toMatch(new RegExp(`^${tmpdir()}/eventrail-`));
    expect(runtimeInfoDir(env)).toBe(dir);
  });

  it.each([
    ["http://127.0.0.1:4010", 4010],
    ["http://localhost", 80],
    ["https://events.eu-west-1.amazonaws.com", undefined],
    ["not a url", undefined],
  ])("reads the port of %s", (endpoint, port) => {
    expect(endpointPort(endpoint)).toBe(port);
  });
});
