// @ts-check
/**
 * One local Lambda execution environment, run as a worker thread by `FunctionRunner`: it imports the
 * bundled handler once (the cold start), then runs one invocation at a time with a Lambda-like
 * context, reporting results, errors and the lines the function writes in the shapes of
 * `worker-protocol.ts`.
 *
 * Plain JavaScript on purpose: the bundle must load under plain Node, as Lambda's runtime loads it.
 * A TypeScript loader would have to be registered in every worker (tsx's module hooks do not reach
 * worker threads on Node 20) and would then also sit between Node and the handler's own imports.
 * The file is type-checked through JSDoc (`// @ts-check`) against the protocol types.
 */
import { existsSync } from "node:fs";
import { createRequire, register } from "node:module";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { types } from "node:util";
import { parentPort, workerData } from "node:worker_threads";

/** @typedef {import("./worker-protocol").SandboxSettings} SandboxSettings */
/** @typedef {import("./worker-protocol").RuntimeErrorPayload} RuntimeErrorPayload */
/** @typedef {import("./worker-protocol").InvokeMessage} InvokeMessage */
/** @typedef {import("./worker-protocol").CapturedLogLine} CapturedLogLine */
/** @typedef {import("./worker-protocol").WorkerMessage} WorkerMessage */
/** @typedef {import("./worker-protocol").LocalEdgeSettings} LocalEdgeSettings */
/** @typedef {import("./worker-protocol").EdgeAnswerMessage} EdgeAnswerMessage */
/** @typedef {(event: unknown, context: object) => unknown} Handler */

/** The extensions Lambda's Node.js runtime tries for the handler's module, in its order. */
const MODULE_EXTENSIONS = [".js", ".mjs", ".cjs"];

if (parentPort === null) {
  throw new Error("lambda-worker.mjs runs only as a worker thread started by FunctionRunner");
}
const port = parentPort;
const settings = /** @type {SandboxSettings} */ (workerData);
if (settings.runtimeModulesParentUrl !== undefined) {
  register("./runtime-modules-hook.mjs", import.meta.url, {
    data: { parentUrl: settings.runtimeModulesParentUrl },
  });
}

// ---- Calls to the local edge without a socket -------------------------------------------------
// The function's AWS SDK is the runtime's copy (eventrail's installation), so its HTTP handler can
// be taught to hand AWS JSON protocol requests for the local edge to the main thread, which answers
// them with the same code the HTTP listener runs. Everything the SDK does before and after the
// transport (serialization, signing, retries, deserialization, errors) is unchanged; a loopback
// connection per call, and its kernel round trips, are not paid.

if (settings.localEdge !== undefined && settings.runtimeModulesParentUrl !== undefined) {
  installLocalEdgeTransport(settings.localEdge, settings.runtimeModulesParentUrl);
}

/**
 * @param {LocalEdgeSettings} edge
 * @param {string} parentUrl
 */
function installLocalEdgeTransport(edge, parentUrl) {
  const require = createRequire(parentUrl);
  /** @type {any} */
  let httpHandlerModule;
  /** @type {any} */
  let protocolModule;
  try {
    httpHandlerModule = require("@smithy/node-http-handler");
    // The HttpResponse class the handler itself builds its answers with.
    protocolModule = createRequire(require.resolve("@smithy/node-http-handler"))("@smithy/core/protocols");
  } catch {
    return; // Not installed: the SDK's calls go over HTTP, as before.
  }
  const { NodeHttpHandler } = httpHandlerModule;
  const { HttpResponse } = protocolModule;
  /** @type {Map<number, (answer: EdgeAnswerMessage) => void>} */
  const pending = new Map();
  let nextId = 0;
  edge.channel.on("message", (/** @type {EdgeAnswerMessage} */ answer) => {
    const settle = pending.get(answer.id);
    pending.delete(answer.id);
    settle?.(answer);
  });
  const overHttp = NodeHttpHandler.prototype.handle;
  /**
   * @param {any} request the SDK's HttpRequest
   * @param {{ abortSignal?: AbortSignal }} [options]
   */
  NodeHttpHandler.prototype.handle = function handle(request, options) {
    const target = request.headers["x-amz-target"] ?? request.headers["X-Amz-Target"];
    const body = request.body;
    if (
      request.method !== "POST" ||
      typeof target !== "string" ||
      request.hostname !== edge.host ||
      Number(request.port) !== edge.port ||
      (body !== undefined && typeof body !== "string" && !(body instanceof Uint8Array))
    ) {
      return overHttp.call(this, request, options);
    }
    const signal = options?.abortSignal;
    if (signal?.aborted) {
      const aborted = new Error("Request aborted");
      aborted.name = "AbortError";
      return Promise.reject(aborted);
    }
    return new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, (answer) => {
        const payload = Buffer.from(answer.body, "utf8");
        resolve({
          response: new HttpResponse({
            statusCode: answer.status,
            headers: { ...answer.headers, "content-length": String(payload.length) },
            body: payload,
          }),
        });
      });
      edge.channel.postMessage({
        id,
        target,
        // The bytes as they are: `Buffer.from(body)` would call the body's `valueOf`, which the SDK
        // traps on its Uint8Array bodies (a string-method deprecation warning).
        body:
          body === undefined
            ? ""
            : typeof body === "string"
              ? body
              : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"),
      });
    });
  };
}

/** @param {WorkerMessage} message */
function post(message) {
  port.postMessage(message);
}

// ---- Captured output -------------------------------------------------------------------------
// stdout and stderr are replaced rather than piped (`Worker({ stdout: true })`): piped output
// travels on another channel than the result, so its lines could arrive after the result and be
// credited to the wrong invocation. Here every line is tagged with the running request and sent
// before that request's result.

/** @type {string | undefined} */
let currentRequestId;
/** @type {CapturedLogLine[]} */
let pendingLines = [];
let flushScheduled = false;
/** @type {Record<"stdout" | "stderr", string>} */
const partialLines = { stdout: "", stderr: "" };

/** @param {boolean} includePartial also send text not yet ended by a newline (end of an invocation) */
function flushLines(includePartial) {
  if (includePartial) {
    for (const stream of /** @type {const} */ (["stdout", "stderr"])) {
      if (partialLines[stream] !== "") {
        pendingLines.push(line(stream, partialLines[stream]));
        partialLines[stream] = "";
      }
    }
  }
  if (pendingLines.length === 0) return;
  const lines = pendingLines;
  pendingLines = [];
  post({ type: "logs", lines });
}

/**
 * @param {"stdout" | "stderr"} stream
 * @param {string} message
 * @returns {CapturedLogLine}
 */
function line(stream, message) {
  return currentRequestId === undefined
    ? { stream, message }
    : { stream, requestId: currentRequestId, message };
}

/** @param {"stdout" | "stderr"} stream */
function captureStream(stream) {
  /**
   * @param {string | Uint8Array} chunk
   * @param {BufferEncoding | ((error?: Error | null) => void)} [encodingOrCallback]
   * @param {(error?: Error | null) => void} [callback]
   */
  const write = (chunk, encodingOrCallback, callback) => {
    const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
    if (settings.captureLogs === false) {
      if (done !== undefined) process.nextTick(done);
      return true;
    }
    const encoding = typeof encodingOrCallback === "string" ? encodingOrCallback : "utf8";
    const text =
      typeof chunk === "string"
        ? Buffer.from(chunk, encoding).toString("utf8")
        : Buffer.from(chunk).toString("utf8");
    const pieces = (partialLines[stream] + text).split("\n");
    partialLines[stream] = pieces.pop() ?? "";
    for (const piece of pieces) pendingLines.push(line(stream, piece));
    if (!flushScheduled && pendingLines.length > 0) {
      // One message per turn of the event loop rather than per line: a Powertools logger writes
      // several lines per record, and each message costs a structured clone.
      flushScheduled = true;
      setImmediate(() => {
        flushScheduled = false;
        flushLines(false);
      });
    }
    if (done !== undefined) process.nextTick(done);
    return true;
  };
  Object.defineProperty(process[stream], "write", { value: write, configurable: true, writable: true });
}

captureStream("stdout");
captureStream("stderr");

// ---- Errors as Lambda reports them ------------------------------------------------------------

/**
 * The Node.js runtime's error shape: an Error gives its name, message and stack; anything else
 * thrown gives its `typeof` and its string form.
 * @param {unknown} error
 * @returns {RuntimeErrorPayload}
 */
function toErrorPayload(error) {
  if (types.isNativeError(error) || error instanceof Error) {
    return {
      errorType: error.name,
      errorMessage: error.message,
      trace: (error.stack ?? "").split("\n"),
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

/**
 * @param {string} errorType
 * @param {string} errorMessage
 * @param {unknown} [cause]
 * @returns {RuntimeErrorPayload}
 */
function runtimeError(errorType, errorMessage, cause) {
  const trace = cause instanceof Error && cause.stack !== undefined ? cause.stack.split("\n") : [];
  return { errorType, errorMessage, trace };
}

// Lambda's runtime fails the running invocation and restarts the environment on an uncaught
// exception or an unhandled rejection; here the worker reports it and exits, and the runner
// replaces it.
process.on("uncaughtException", (error) => {
  fatal(toErrorPayload(error));
});
process.on("unhandledRejection", (reason) => {
  const described = toErrorPayload(reason);
  fatal(
    runtimeError(
      "Runtime.UnhandledPromiseRejection",
      `${described.errorType}: ${described.errorMessage}`,
      reason,
    ),
  );
});

/** @param {RuntimeErrorPayload} error */
function fatal(error) {
  flushLines(true);
  post(
    currentRequestId === undefined
      ? { type: "fatal", error }
      : { type: "fatal", requestId: currentRequestId, error },
  );
  process.exit(1);
}

// ---- Initialization (the cold start) ----------------------------------------------------------

/**
 * Splits `dir/file.export.path` the way Lambda does: the module is everything up to the first dot
 * after the last slash, the export path is the rest.
 * @param {string} handler
 */
function splitHandler(handler) {
  const lastSlash = handler.lastIndexOf("/");
  const dot = handler.indexOf(".", lastSlash + 1);
  return { modulePath: handler.slice(0, dot), exportPath: handler.slice(dot + 1).split(".") };
}

/**
 * @param {unknown} container
 * @param {readonly string[]} path
 * @returns {unknown}
 */
function lookUp(container, path) {
  let value = container;
  for (const key of path) {
    if (value === null || (typeof value !== "object" && typeof value !== "function")) return undefined;
    value = /** @type {Record<string, unknown>} */ (value)[key];
  }
  return value;
}

/** @returns {Promise<Handler | RuntimeErrorPayload>} */
async function loadHandler() {
  const { modulePath, exportPath } = splitHandler(settings.handler);
  const base = join(settings.taskRoot, modulePath);
  const file = MODULE_EXTENSIONS.map((extension) => base + extension).find((candidate) =>
    existsSync(candidate),
  );
  if (file === undefined) {
    return runtimeError(
      "Runtime.ImportModuleError",
      `Error: Cannot find module '${modulePath}' in ${settings.taskRoot} (tried ${MODULE_EXTENSIONS.join(", ")})`,
    );
  }
  /** @type {unknown} */
  let loaded;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    const thrown = toErrorPayload(error);
    const code = /** @type {{ code?: unknown }} */ (error)?.code;
    // A dependency the bundle left external (an `@aws-sdk/*` package) that does not resolve.
    if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
      return runtimeError("Runtime.ImportModuleError", `${thrown.errorType}: ${thrown.errorMessage}`, error);
    }
    // Module scope threw (e.g. a required variable is missing): reported as the error itself.
    return thrown;
  }
  // A CommonJS module imported from ESM exposes `module.exports` as `default`.
  const handler = lookUp(loaded, exportPath) ?? lookUp(lookUp(loaded, ["default"]), exportPath);
  if (typeof handler !== "function") {
    return runtimeError("Runtime.HandlerNotFound", `${settings.handler} is undefined or not exported`);
  }
  return /** @type {Handler} */ (handler);
}

// ---- Invocations ------------------------------------------------------------------------------

/** @param {InvokeMessage} message */
function createContext(message) {
  return {
    awsRequestId: message.requestId,
    functionName: settings.functionName,
    functionVersion: settings.functionVersion,
    invokedFunctionArn: settings.invokedFunctionArn,
    memoryLimitInMB: String(settings.memorySize),
    logGroupName: settings.logGroupName,
    logStreamName: settings.logStreamName,
    // Kept for handlers that set it; with promise-based handlers Lambda returns as soon as the
    // promise settles, and so does this runtime.
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineEpochMs - Date.now()),
  };
}

/**
 * @param {Handler} handler
 * @param {InvokeMessage} message
 */
async function invoke(handler, message) {
  currentRequestId = message.requestId;
  const started = performance.now();
  /** @type {{ ok: true, resultJson: string } | { ok: false, error: RuntimeErrorPayload }} */
  let outcome;
  try {
    const result = await handler(JSON.parse(message.eventJson), createContext(message));
    try {
      outcome = { ok: true, resultJson: JSON.stringify(result) ?? "null" };
    } catch (error) {
      outcome = {
        ok: false,
        error: runtimeError(
          "Runtime.MarshalError",
          `Unable to stringify response body: ${toErrorPayload(error).errorMessage}`,
          error,
        ),
      };
    }
  } catch (error) {
    outcome = { ok: false, error: toErrorPayload(error) };
  }
  const durationMs = performance.now() - started;
  flushLines(true);
  currentRequestId = undefined;
  post({ type: "result", requestId: message.requestId, durationMs, ...outcome });
}

if (settings.enableSourceMaps) process.setSourceMapsEnabled(true);

const loaded = await loadHandler();
flushLines(true);
if (typeof loaded !== "function") {
  post({ type: "init-error", error: loaded });
} else {
  const handler = loaded;
  port.on("message", (/** @type {InvokeMessage} */ message) => {
    void invoke(handler, message);
  });
  post({ type: "ready" });
}
