import { randomBytes, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { MessageChannel, type MessagePort, Worker } from "node:worker_threads";
import type { EdgeRequest, EdgeResponse } from "../edge-server";
import type { LocalFunctionDefinition } from "../model";
import { FunctionDefinitionError, FunctionRunnerClosedError } from "./errors";
import { buildLambdaEnvironment, defaultLogGroupName, LOCAL_FUNCTION_VERSION } from "./lambda-environment";
import type {
  CapturedLogLine,
  EdgeCallMessage,
  RuntimeErrorPayload,
  SandboxSettings,
  WorkerMessage,
} from "./worker-protocol";

/** The worker script: plain JavaScript so it runs without a TypeScript loader (see its header). */
const WORKER_URL = new URL("./lambda-worker.mjs", import.meta.url);
/** The AWS SDK the Lambda runtime provides is, locally, eventrail's own installation of it. */
const RUNTIME_MODULES_PARENT_URL = new URL("../../../package.json", import.meta.url).href;

/** Lambda's limit on a function's initialization (the INIT phase). */
const LAMBDA_INIT_TIMEOUT_MS = 10_000;
/** Lambda's range for a function's timeout. */
const MAX_TIMEOUT_SECONDS = 900;
/** Lambda's range for a function's memory. */
const MIN_MEMORY_MB = 128;
const MAX_MEMORY_MB = 10_240;

/** How many workers a runner keeps at most when the caller does not say. */
export const DEFAULT_FUNCTION_CONCURRENCY = 10;

/** A line the function wrote, tagged with its function and, once initialized, the invocation. */
export interface FunctionLogEntry {
  readonly functionName: string;
  /** The invocation that wrote it; absent for lines written at initialization (module scope). */
  readonly requestId?: string;
  readonly stream: "stdout" | "stderr";
  /** The line, without its newline. */
  readonly message: string;
}

/** Fields of every {@link InvocationResult}. */
interface InvocationResultBase {
  /** The `awsRequestId` the handler saw in its context. */
  readonly requestId: string;
  /**
   * Handler time in milliseconds (Lambda's `Duration`); for a timeout, the wall time until the worker
   * was stopped; for an initialization failure, 0.
   */
  readonly durationMs: number;
  /**
   * Present when this invocation started a new worker: milliseconds from starting the worker to the
   * handler being ready, module scope included (Lambda's `Init Duration`).
   */
  readonly initDurationMs?: number;
}

/** The handler returned (or its promise resolved). */
export interface InvocationSuccess extends InvocationResultBase {
  readonly ok: true;
  /** The returned value after a JSON round trip, as Lambda hands it to the caller; `null` for `undefined`. */
  readonly result: unknown;
}

/**
 * The invocation failed: the handler threw or rejected, the module failed to load, the invocation
 * timed out, or the runtime died (uncaught exception, unhandled rejection, out of memory, exit).
 */
export interface InvocationFailure extends InvocationResultBase {
  readonly ok: false;
  /**
   * As Lambda reports it: the error's `name` (e.g. `TypeError`), or `Sandbox.Timedout`,
   * `Runtime.ImportModuleError`, `Runtime.HandlerNotFound`, `Runtime.UnhandledPromiseRejection`,
   * `Runtime.OutOfMemory`, `Runtime.ExitError`, `Runtime.MarshalError`.
   */
  readonly errorType: string;
  readonly errorMessage: string;
  /** The error's stack, one line per entry; empty when there is none. */
  readonly trace: readonly string[];
}

/** The outcome of one invocation. */
export type InvocationResult = InvocationSuccess | InvocationFailure;

/** Something that invokes a function with an event: a {@link FunctionRunner}, or a stand-in in tests. */
export interface LambdaInvoker {
  /** The function's name, for logs. */
  readonly functionName: string;
  /**
   * How many invocations can run at once; more wait for a free execution environment.
   * @default - no limit
   */
  readonly concurrencyLimit?: number;
  /**
   * The longest an invocation can run, initialization included: the wall milliseconds after which
   * it has certainly ended. A message being processed must stay invisible at least this long.
   * @default - unknown
   */
  readonly longestInvocationMs?: number;
  /** Runs the function once with `event`; resolves with the outcome, never rejects for a function error. */
  invoke(event: unknown): Promise<InvocationResult>;
}

/** Settings of a {@link FunctionRunner}. */
export interface FunctionRunnerOptions {
  /** The function to run: its asset, handler, timeout, memory and environment. */
  readonly definition: LocalFunctionDefinition;
  /** The local edge endpoint the function's AWS SDK calls go to (`AWS_ENDPOINT_URL`), e.g. `http://127.0.0.1:4566`. */
  readonly endpointUrl: string;
  /**
   * The most workers (execution environments) running at once. Invocations beyond it wait for a
   * free worker rather than being throttled.
   * @default 10 ({@link DEFAULT_FUNCTION_CONCURRENCY})
   */
  readonly maxConcurrency?: number;
  /**
   * Divides the function's timeout, so that a time-scaled pipeline keeps Lambda's ratio between the
   * queue's visibility timeout and the function timeout (AWS advises at least 6 to 1): an
   * unscaled timeout against a scaled visibility timeout would let a slow invocation's messages
   * reappear while it still runs. `getRemainingTimeInMillis()` counts down the scaled time.
   * @default 1
   */
  readonly timeScale?: number;
  /**
   * Variables added to the function's environment, over the template's and the local overrides
   * (e.g. `POWERTOOLS_TRACE_ENABLED: "true"` to trace against a local daemon); Lambda's reserved
   * variables, `AWS_ENDPOINT_URL` and the credentials cannot be overridden.
   * @default - none
   */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
  /**
   * Receives every line the function writes to stdout or stderr.
   * @default - lines are dropped
   */
  readonly onLog?: (entry: FunctionLogEntry) => void;
  /**
   * Answers the function's AWS SDK calls to `endpointUrl` in-process (see `lambda-worker.mjs`):
   * the local edge's {@link EdgeServer.dispatch}. Calls of other protocols, or to other endpoints,
   * go over HTTP.
   * @default - every call goes over HTTP
   */
  readonly edgeDispatch?: (request: EdgeRequest) => Promise<EdgeResponse>;
  /**
   * How long a new worker may take to load the handler module before the invocation waiting for it
   * fails. Not scaled: loading code takes real time.
   * @default 10000 (Lambda's INIT limit)
   */
  readonly initTimeoutMs?: number;
}

/** How a worker's initialization ended. */
type InitOutcome =
  | { readonly ok: true; readonly initDurationMs: number }
  | { readonly ok: false; readonly initDurationMs: number; readonly error: RuntimeErrorPayload };

/** How one run on a worker ended; every kind but `result` leaves the worker unusable. */
type RunOutcome =
  | { readonly kind: "result"; readonly durationMs: number; readonly result: ResultOf }
  | { readonly kind: "timeout"; readonly durationMs: number }
  | { readonly kind: "crashed"; readonly durationMs: number; readonly error: RuntimeErrorPayload };

type ResultOf =
  | { readonly ok: true; readonly resultJson: string }
  | { readonly ok: false; readonly error: RuntimeErrorPayload };

/** The run a worker is busy with. */
interface ActiveRun {
  readonly requestId: string;
  readonly startedAt: number;
  readonly settle: (outcome: RunOutcome) => void;
}

/**
 * One worker thread acting as one Lambda execution environment: it loads the handler once and
 * then runs invocations one at a time.
 */
class Sandbox {
  /** Settles when the handler is loaded or could not be. */
  public readonly ready: Promise<InitOutcome>;
  private readonly worker: Worker;
  /** The main thread's end of the worker's in-process channel to the edge. */
  private readonly edgeChannel: MessagePort | undefined;
  private readonly spawnedAt = performance.now();
  private active: ActiveRun | undefined;
  private settleInit: ((outcome: InitOutcome) => void) | undefined;
  /** Why the worker died, when an `error` event told us before `exit`. */
  private deathCause: RuntimeErrorPayload | undefined;
  private alive = true;

  constructor(
    settings: SandboxSettings,
    env: Record<string, string>,
    private readonly onLine: (line: CapturedLogLine) => void,
    /** Called once when the worker has exited, whatever the reason. */
    private readonly onExited: () => void,
    initTimeoutMs: number,
    edgeDispatch?: (request: EdgeRequest) => Promise<EdgeResponse>,
  ) {
    let workerSettings = settings;
    const transferList: MessagePort[] = [];
    if (edgeDispatch !== undefined) {
      const endpoint = new URL(env.AWS_ENDPOINT_URL ?? "http://127.0.0.1");
      const channel = new MessageChannel();
      this.edgeChannel = channel.port1;
      this.edgeChannel.on("message", (call: EdgeCallMessage) => {
        void edgeDispatch({ target: call.target, body: call.body }).then(
          (answer) => this.edgeChannel?.postMessage({ id: call.id, ...answer }),
          (error: unknown) =>
            this.edgeChannel?.postMessage({
              id: call.id,
              status: 500,
              headers: {
                "content-type": "application/x-amz-json-1.1",
                "x-amzn-errortype": "InternalFailure",
              },
              body: JSON.stringify({
                __type: "InternalFailure",
                message: error instanceof Error ? error.message : String(error),
              }),
            }),
        );
      });
      workerSettings = {
        ...settings,
        localEdge: { channel: channel.port2, host: endpoint.hostname, port: Number(endpoint.port) },
      };
      transferList.push(channel.port2);
    }
    this.worker = new Worker(WORKER_URL, {
      workerData: workerSettings,
      transferList,
      env,
      // Lambda's memory setting bounds the whole process; a worker can only bound its V8 heap.
      resourceLimits: { maxOldGenerationSizeMb: settings.memorySize },
    });
    this.ready = new Promise<InitOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.failInit({
          errorType: "Sandbox.Timedout",
          errorMessage: `Init phase timed out after ${(initTimeoutMs / 1000).toFixed(2)} seconds while loading ${settings.handler}`,
          trace: [],
        });
      }, initTimeoutMs);
      this.settleInit = (outcome) => {
        clearTimeout(timer);
        this.settleInit = undefined;
        resolve(outcome);
      };
    });
    this.worker.on("message", (message: WorkerMessage) => this.onMessage(message));
    this.worker.on("error", (error: Error & { code?: string }) => {
      this.deathCause =
        error.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? {
              errorType: "Runtime.OutOfMemory",
              errorMessage: `Runtime exited: the function used more than its ${settings.memorySize} MB (memorySize)`,
              trace: [],
            }
          : { errorType: error.name, errorMessage: error.message, trace: (error.stack ?? "").split("\n") };
    });
    this.worker.on("exit", (code) => this.onExit(code));
  }

  /** Whether the worker can still run invocations. */
  get usable(): boolean {
    return this.alive;
  }

  /**
   * Runs one invocation. Resolves when the handler settles, the timeout passes (the worker is then
   * stopped), or the worker dies.
   */
  run(requestId: string, eventJson: string, timeoutMs: number): Promise<RunOutcome> {
    return new Promise<RunOutcome>((resolve) => {
      const startedAt = performance.now();
      if (!this.alive) {
        resolve({ kind: "crashed", durationMs: 0, error: this.deathCause ?? exitError(0) });
        return;
      }
      const timer = setTimeout(() => {
        settle({ kind: "timeout", durationMs: performance.now() - startedAt });
        this.stop();
      }, timeoutMs);
      const settle = (outcome: RunOutcome): void => {
        if (this.active?.requestId !== requestId) return;
        clearTimeout(timer);
        this.active = undefined;
        resolve(outcome);
      };
      this.active = { requestId, startedAt, settle };
      this.worker.postMessage({
        type: "invoke",
        requestId,
        eventJson,
        deadlineEpochMs: Date.now() + timeoutMs,
      });
    });
  }

  /** Stops the worker; whatever it was doing is abandoned. */
  stop(): Promise<void> {
    this.alive = false;
    return this.worker.terminate().then(() => undefined);
  }

  private failInit(error: RuntimeErrorPayload): void {
    this.settleInit?.({ ok: false, initDurationMs: performance.now() - this.spawnedAt, error });
    void this.stop();
  }

  private onMessage(message: WorkerMessage): void {
    switch (message.type) {
      case "logs":
        for (const line of message.lines) this.onLine(line);
        return;
      case "ready":
        this.settleInit?.({ ok: true, initDurationMs: performance.now() - this.spawnedAt });
        return;
      case "init-error":
        this.failInit(message.error);
        return;
      case "result":
        this.active?.settle({
          kind: "result",
          durationMs: message.durationMs,
          result: message.ok
            ? { ok: true, resultJson: message.resultJson }
            : { ok: false, error: message.error },
        });
        return;
      case "fatal":
        this.alive = false;
        this.deathCause = message.error;
        this.settleInit?.({
          ok: false,
          initDurationMs: performance.now() - this.spawnedAt,
          error: message.error,
        });
        this.crash(message.error);
        return;
    }
  }

  private onExit(code: number): void {
    this.alive = false;
    this.edgeChannel?.close();
    const error = this.deathCause ?? exitError(code);
    this.settleInit?.({ ok: false, initDurationMs: performance.now() - this.spawnedAt, error });
    this.crash(error);
    this.onExited();
  }

  private crash(error: RuntimeErrorPayload): void {
    const active = this.active;
    if (active === undefined) return;
    active.settle({ kind: "crashed", durationMs: performance.now() - active.startedAt, error });
  }
}

/** Lambda's report of a runtime process that exited on its own. */
function exitError(code: number): RuntimeErrorPayload {
  return {
    errorType: "Runtime.ExitError",
    errorMessage: `Runtime exited with error: exit status ${code}`,
    trace: [],
  };
}

/** A worker lent to one invocation. */
interface Lease {
  readonly sandbox: Sandbox;
  /** The worker was started for this invocation, which therefore waits for its initialization. */
  readonly cold: boolean;
}

/**
 * Runs one Lambda function of the synthesized assembly on this machine: its bundled asset, in a
 * pool of worker threads that each load the handler module once (a cold start) and then serve
 * invocations warm, one at a time, with the template's environment, the function's timeout and a
 * memory bound.
 *
 * A worker whose invocation timed out, or whose runtime died, is stopped; the next invocation gets
 * a new one (and pays its cold start), as Lambda replaces an execution environment.
 *
 * Handlers must be async (or return a value or a promise): Node.js 24, the runtime the project
 * deploys, no longer supports callback handlers.
 */
export class FunctionRunner implements LambdaInvoker {
  /** {@inheritDoc LambdaInvoker.functionName} */
  public readonly functionName: string;
  private readonly definition: LocalFunctionDefinition;
  private readonly region: string;
  private readonly maxConcurrency: number;
  private readonly timeoutMs: number;
  /** {@inheritDoc LambdaInvoker.longestInvocationMs} */
  public get longestInvocationMs(): number {
    return this.initTimeoutMs + this.timeoutMs;
  }
  /** {@inheritDoc LambdaInvoker.concurrencyLimit} */
  public get concurrencyLimit(): number {
    return this.maxConcurrency;
  }
  private readonly initTimeoutMs: number;
  private readonly sandboxes = new Set<Sandbox>();
  private readonly idle: Sandbox[] = [];
  private readonly waiting: { resolve: (lease: Lease) => void; reject: (error: Error) => void }[] = [];
  private readonly running = new Set<Promise<InvocationResult>>();
  private closing: Promise<void> | undefined;

  constructor(private readonly options: FunctionRunnerOptions) {
    const { definition } = options;
    this.definition = definition;
    this.functionName = definition.name;
    this.region = regionOf(definition);
    const timeScale = options.timeScale ?? 1;
    this.maxConcurrency = options.maxConcurrency ?? DEFAULT_FUNCTION_CONCURRENCY;
    this.initTimeoutMs = options.initTimeoutMs ?? LAMBDA_INIT_TIMEOUT_MS;
    validate(definition, timeScale, this.maxConcurrency);
    this.timeoutMs = (definition.timeoutSeconds * 1000) / timeScale;
  }

  /** How many workers exist now (starting, idle or busy). */
  get workerCount(): number {
    return this.sandboxes.size;
  }

  /**
   * Invokes the function once with `event` (sent as JSON, as Lambda does) and resolves with the
   * outcome; a function error is a resolved {@link InvocationFailure}, not a rejection.
   * Rejects with {@link FunctionRunnerClosedError} when the runner is closed, or closes while the
   * event waits for a worker, and with a `TypeError` when the event cannot be serialized as JSON
   * (a cycle, a BigInt); no worker runs the event then.
   */
  invoke(event: unknown): Promise<InvocationResult> {
    if (this.closing !== undefined) return Promise.reject(new FunctionRunnerClosedError(this.functionName));
    let eventJson: string;
    try {
      eventJson = JSON.stringify(event) ?? "null";
    } catch (error) {
      return Promise.reject(error);
    }
    const invocation = this.invokeOnWorker(eventJson);
    this.running.add(invocation);
    const forget = (): void => {
      this.running.delete(invocation);
    };
    invocation.then(forget, forget);
    return invocation;
  }

  /**
   * Starts workers ahead of traffic so that the first invocations are warm (like provisioned
   * concurrency), up to `count` and the runner's maximum. Resolves with how many workers are warm;
   * a worker whose initialization fails is discarded, and the next invocation reports the error.
   */
  async prewarm(count = 1): Promise<number> {
    const started: Sandbox[] = [];
    while (
      this.closing === undefined &&
      started.length < count &&
      this.sandboxes.size < this.maxConcurrency
    ) {
      started.push(this.spawn());
    }
    await Promise.all(
      started.map(async (sandbox) => {
        const init = await sandbox.ready;
        if (init.ok) this.release(sandbox);
        else this.discard(sandbox);
      }),
    );
    return this.idle.length;
  }

  /**
   * Stops taking invocations, lets the running ones finish (each is bounded by the function
   * timeout), then stops every worker. Invocations still waiting for a worker are rejected with
   * {@link FunctionRunnerClosedError}. Calling it again returns the same promise.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    for (const waiter of this.waiting.splice(0))
      waiter.reject(new FunctionRunnerClosedError(this.functionName));
    await Promise.allSettled([...this.running]);
    await Promise.all([...this.sandboxes].map((sandbox) => sandbox.stop()));
    this.sandboxes.clear();
    this.idle.length = 0;
  }

  private async invokeOnWorker(eventJson: string): Promise<InvocationResult> {
    const requestId = randomUUID();
    const { sandbox, cold } = await this.acquire();
    let initDurationMs: number | undefined;
    if (cold) {
      const init = await sandbox.ready;
      initDurationMs = init.initDurationMs;
      if (!init.ok) {
        this.discard(sandbox);
        return { ok: false, requestId, durationMs: 0, initDurationMs, ...init.error };
      }
    }
    const outcome = await sandbox.run(requestId, eventJson, this.timeoutMs);
    const timing = initDurationMs === undefined ? {} : { initDurationMs };
    switch (outcome.kind) {
      case "result":
        this.release(sandbox);
        return outcome.result.ok
          ? {
              ok: true,
              requestId,
              durationMs: outcome.durationMs,
              ...timing,
              result: JSON.parse(outcome.result.resultJson),
            }
          : { ok: false, requestId, durationMs: outcome.durationMs, ...timing, ...outcome.result.error };
      case "timeout":
      case "crashed":
        // The environment is gone either way: Lambda replaces it before the next invocation.
        this.discard(sandbox);
        return {
          ok: false,
          requestId,
          durationMs: outcome.durationMs,
          ...timing,
          ...(outcome.kind === "timeout"
            ? { errorType: "Sandbox.Timedout", errorMessage: this.timeoutMessage(), trace: [] }
            : outcome.error),
        };
    }
  }

  private timeoutMessage(): string {
    const configured = `Task timed out after ${this.definition.timeoutSeconds.toFixed(2)} seconds`;
    const configuredMs = this.definition.timeoutSeconds * 1000;
    // With a time scale the wall time differs from the configured timeout; say both.
    return this.timeoutMs === configuredMs
      ? configured
      : `${configured} (scaled: ${(this.timeoutMs / 1000).toFixed(2)} seconds of wall time)`;
  }

  private acquire(): Promise<Lease> {
    const warm = this.idle.pop();
    if (warm !== undefined) return Promise.resolve({ sandbox: warm, cold: false });
    if (this.sandboxes.size < this.maxConcurrency)
      return Promise.resolve({ sandbox: this.spawn(), cold: true });
    return new Promise<Lease>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
    });
  }

  /** Hands a worker that finished an invocation to the next waiting invocation, or keeps it idle. */
  private release(sandbox: Sandbox): void {
    if (!sandbox.usable) {
      this.discard(sandbox);
      return;
    }
    const next = this.waiting.shift();
    if (next !== undefined) next.resolve({ sandbox, cold: false });
    else this.idle.push(sandbox);
  }

  /** A worker died between invocations (e.g. a timer of the module threw): it must not be lent again. */
  private forgetIdle(sandbox: Sandbox): void {
    const index = this.idle.indexOf(sandbox);
    if (index < 0) return;
    this.idle.splice(index, 1);
    this.sandboxes.delete(sandbox);
  }

  /** Forgets a dead or broken worker; a waiting invocation gets a new one in its place. */
  private discard(sandbox: Sandbox): void {
    void sandbox.stop();
    this.sandboxes.delete(sandbox);
    const index = this.idle.indexOf(sandbox);
    if (index >= 0) this.idle.splice(index, 1);
    const next = this.waiting.shift();
    if (next !== undefined) next.resolve({ sandbox: this.spawn(), cold: true });
  }

  private spawn(): Sandbox {
    const logStreamName = newLogStreamName();
    const settings: SandboxSettings = {
      functionName: this.definition.name,
      functionVersion: LOCAL_FUNCTION_VERSION,
      invokedFunctionArn: this.definition.arn,
      memorySize: this.definition.memorySize,
      logGroupName: defaultLogGroupName(this.definition.name),
      logStreamName,
      taskRoot: this.definition.assetDir,
      handler: this.definition.handler,
      enableSourceMaps: (this.definition.environment.NODE_OPTIONS ?? "").includes("--enable-source-maps"),
      runtimeModulesParentUrl: RUNTIME_MODULES_PARENT_URL,
      captureLogs: this.options.onLog !== undefined,
    };
    const env = buildLambdaEnvironment({
      definition: this.definition,
      region: this.region,
      endpointUrl: this.options.endpointUrl,
      logStreamName,
      extraEnvironment: this.options.extraEnvironment,
    });
    const onLog = this.options.onLog;
    const sandbox = new Sandbox(
      settings,
      env,
      (line) => onLog?.({ functionName: this.functionName, ...line }),
      () => this.forgetIdle(sandbox),
      this.initTimeoutMs,
      this.options.edgeDispatch,
    );
    this.sandboxes.add(sandbox);
    return sandbox;
  }
}

/** Lambda's log stream name for an execution environment: `YYYY/MM/DD/[$LATEST]` and 32 hex digits. */
function newLogStreamName(): string {
  const day = new Date().toISOString().slice(0, 10).replaceAll("-", "/");
  return `${day}/[${LOCAL_FUNCTION_VERSION}]${randomBytes(16).toString("hex")}`;
}

/** The region in the function's ARN (`arn:aws:lambda:<region>:<account>:function:<name>`). */
function regionOf(definition: LocalFunctionDefinition): string {
  const parts = definition.arn.split(":");
  const region = parts[3];
  if (parts[2] !== "lambda" || parts[5] !== "function" || region === undefined || region === "") {
    throw new FunctionDefinitionError(
      definition.name,
      `arn must be a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>), got "${definition.arn}"`,
    );
  }
  return region;
}

function validate(definition: LocalFunctionDefinition, timeScale: number, maxConcurrency: number): void {
  const fail = (message: string): never => {
    throw new FunctionDefinitionError(definition.name, message);
  };
  if (!(definition.timeoutSeconds > 0 && definition.timeoutSeconds <= MAX_TIMEOUT_SECONDS)) {
    fail(
      `timeoutSeconds must be above 0 and at most ${MAX_TIMEOUT_SECONDS}, got ${definition.timeoutSeconds}`,
    );
  }
  if (!(definition.memorySize >= MIN_MEMORY_MB && definition.memorySize <= MAX_MEMORY_MB)) {
    fail(`memorySize must be from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB} MB, got ${definition.memorySize}`);
  }
  const lastSlash = definition.handler.lastIndexOf("/");
  const dot = definition.handler.indexOf(".", lastSlash + 1);
  if (dot <= lastSlash + 1 || dot === definition.handler.length - 1) {
    fail(`handler must be "<file>.<export>" such as "index.handler", got "${definition.handler}"`);
  }
  if (!(Number.isFinite(timeScale) && timeScale > 0)) {
    fail(`timeScale must be a positive number, got ${timeScale}`);
  }
  if (!(Number.isInteger(maxConcurrency) && maxConcurrency >= 1)) {
    fail(`maxConcurrency must be a positive integer, got ${maxConcurrency}`);
  }
}
