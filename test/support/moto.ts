import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** The region tests use against moto_server. */
export const MOTO_REGION = "us-east-1";

/** Dummy credentials: moto accepts any, but the SDK refuses to sign without some. */
export const MOTO_CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test" } as const;

/** How long moto_server may take to answer its first request. */
const READY_TIMEOUT_MS = 20_000;
/** Attempts to start, each on a fresh free port (another process may grab the port first). */
const START_ATTEMPTS = 3;
/** How much of moto's output is kept for error messages. */
const LOG_TAIL_CHARS = 2_000;

/**
 * Python run at moto_server's start-up (as `sitecustomize`) to remove two hot spots of moto 5 that
 * make the event → rule → SQS path quadratic; both replacements return exactly what they replace.
 *
 * 1. Each event delivered to a rule target goes through `jsonpath_ng.ext.parse` eight times, and
 *    jsonpath_ng rebuilds its PLY parser tables on every call (~130 ms per delivered event):
 *    the pure `parse` is memoized.
 * 2. SQS scans every message of a queue, several times, on each send and receive, computing
 *    `unix_time` through two datetime constructions per message: the same seconds since the epoch
 *    come from `time.time()` / `calendar.timegm` in a fraction of the time.
 *
 * Measured: 1,000 events into one queue took ~17 s to publish and ~0.8 s per ReceiveMessage;
 * with these, ~3 s and ~50 ms. Each patch is skipped if moto or jsonpath_ng change shape.
 */
const SITE_CUSTOMIZE = `
try:
    import functools
    import jsonpath_ng.ext as _jsonpath_ext
    _jsonpath_ext.parse = functools.lru_cache(maxsize=1024)(_jsonpath_ext.parse)
except Exception:
    pass

try:
    import calendar
    import time
    import moto.core.utils as _moto_utils

    def _unix_time(dt=None):
        # moto's datetimes are naive UTC; timegm reads them as UTC, as moto's own version does.
        if dt is None:
            return time.time()
        return calendar.timegm(dt.timetuple()) + dt.microsecond / 1e6

    if callable(getattr(_moto_utils, "unix_time", None)):
        _moto_utils.unix_time = _unix_time
except Exception:
    pass
`;

/** A running moto_server on 127.0.0.1. */
export interface MotoServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Settings for any AWS SDK v3 client: endpoint, region and dummy credentials. */
  readonly clientConfig: {
    readonly endpoint: string;
    readonly region: string;
    readonly credentials: typeof MOTO_CREDENTIALS;
  };
  /** Forgets every resource (moto's `/moto-api/reset`). */
  reset(): Promise<void>;
  /** Stops the server and waits until it has exited. */
  stop(): Promise<void>;
}

/**
 * Why moto_server cannot be used here, or `undefined` when it is on the PATH. Synchronous, so a
 * test file can decide `it.skipIf(...)` when it is collected.
 */
export function motoUnavailableReason(): string | undefined {
  const directories = (process.env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const directory of directories) {
    try {
      accessSync(join(directory, "moto_server"), constants.X_OK);
      return undefined;
    } catch {
      // Not in this directory: keep looking.
    }
  }
  return "moto_server is not on the PATH (install it with `pip install 'moto[server]'`)";
}

/**
 * Starts moto_server on a free port of 127.0.0.1 and resolves once it answers. Resolves
 * `undefined` (and warns with the reason) when moto_server is not installed; rejects, with the
 * tail of its output, when it is installed but does not start.
 */
export async function startMoto(): Promise<MotoServer | undefined> {
  const reason = motoUnavailableReason();
  if (reason !== undefined) {
    console.warn(`moto_server unavailable: ${reason}`);
    return undefined;
  }
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    try {
      return await startOnce(await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`moto_server did not start after ${START_ATTEMPTS} attempts: ${String(lastError)}`, {
    cause: lastError,
  });
}

async function startOnce(port: number): Promise<MotoServer> {
  const endpoint = `http://127.0.0.1:${port}`;
  const siteDirectory = await mkdtemp(join(tmpdir(), "eventrail-moto-"));
  await writeFile(join(siteDirectory, "sitecustomize.py"), SITE_CUSTOMIZE);
  const pythonPath = [siteDirectory, process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  // Its own process group, so that stop() also ends anything a wrapper (pyenv shim) started.
  const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, PYTHONPATH: pythonPath },
  });
  const cleanUp = async () => {
    await terminate(child, exited);
    await rm(siteDirectory, { recursive: true, force: true });
  };
  let log = "";
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString("utf8")).slice(-LOG_TAIL_CHARS);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError !== undefined) {
      await cleanUp();
      throw new Error(`moto_server could not be started: ${spawnError.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      await cleanUp();
      throw new Error(
        `moto_server exited (code ${child.exitCode}) before it was ready on ${endpoint}:\n${log}`,
      );
    }
    if (await answers(`${endpoint}/moto-api/`)) break;
    if (Date.now() > deadline) {
      await cleanUp();
      throw new Error(`moto_server did not answer on ${endpoint} within ${READY_TIMEOUT_MS} ms:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    endpoint,
    clientConfig: { endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS },
    async reset() {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!response.ok) throw new Error(`moto_server reset failed with HTTP ${response.status}`);
    },
    stop: cleanUp,
  };
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

async function terminate(child: ChildProcess, exited: Promise<number | null>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const group = -child.pid;
  process.kill(group, "SIGTERM");
  const killer = setTimeout(() => {
    try {
      process.kill(group, "SIGKILL");
    } catch {
      // Already gone between the timeout and now.
    }
  }, 5_000);
  await exited;
  clearTimeout(killer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}
