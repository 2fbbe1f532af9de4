import type { MessagePort } from "node:worker_threads";

/**
 * The messages between a {@link FunctionRunner} and its workers (`lambda-worker.mjs`). Both sides
 * are ours, so the main thread trusts these shapes; they are declared once here and the worker
 * refers to them through JSDoc.
 */

/** What a worker needs to act as one Lambda execution environment, passed as `workerData`. */
export interface SandboxSettings {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memorySize: number;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** The asset folder: Lambda's `LAMBDA_TASK_ROOT`, where the handler module is looked up. */
  readonly taskRoot: string;
  /** `file.export`, e.g. `index.handler`; the export may be a dotted path. */
  readonly handler: string;
  /**
   * `NODE_OPTIONS` of the template asks for `--enable-source-maps`. Workers do not read
   * `NODE_OPTIONS`, so the worker turns source maps on itself.
   */
  readonly enableSourceMaps: boolean;
  /**
   * A file URL inside the installation whose `node_modules` stand in for the Lambda runtime's copy
   * of the AWS SDK (bundles leave `@aws-sdk/*` external). @default - nothing stands in
   */
  readonly runtimeModulesParentUrl?: string;
  /**
   * Whether the worker sends what the function writes to stdout and stderr; when nobody reads the
   * lines, they are dropped in the worker, before they cost a message each. @default true
   */
  readonly captureLogs?: boolean;
  /** The local edge, reached in-process. @default - the SDK reaches the edge over HTTP */
  readonly localEdge?: LocalEdgeSettings;
}

/**
 * The local edge as a worker reaches it without a socket: the SDK's HTTP handler sends AWS JSON
 * protocol requests for `host:port` over `channel` as {@link EdgeCallMessage}s and gets
 * {@link EdgeAnswerMessage}s back; everything else still goes over HTTP.
 */
export interface LocalEdgeSettings {
  readonly channel: MessagePort;
  /** The endpoint's host and port, as in `AWS_ENDPOINT_URL`. */
  readonly host: string;
  readonly port: number;
}

/** A worker's SDK call to the local edge: what the SDK would have sent over HTTP. */
export interface EdgeCallMessage {
  readonly id: number;
  /** The `X-Amz-Target` header. */
  readonly target: string;
  readonly body: string;
}

/** The edge's answer to an {@link EdgeCallMessage}: status, headers and body, as HTTP would carry them. */
export interface EdgeAnswerMessage {
  readonly id: number;
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** An error as the Lambda Node.js runtime reports it. */
export interface RuntimeErrorPayload {
  readonly errorType: string;
  readonly errorMessage: string;
  /** The stack, one line per entry; empty when the thrown value was not an Error. */
  readonly trace: readonly string[];
}

/** The main thread asks the worker to run the handler once. */
export interface InvokeMessage {
  readonly type: "invoke";
  readonly requestId: string;
  /** The event as JSON: the handler gets what Lambda would give it, a freshly parsed copy. */
  readonly eventJson: string;
  /** When the invocation times out, in epoch milliseconds: `getRemainingTimeInMillis()` counts down to it. */
  readonly deadlineEpochMs: number;
}

/** A line the function wrote to stdout or stderr. */
export interface CapturedLogLine {
  readonly stream: "stdout" | "stderr";
  /** The invocation running when the line was written; absent during initialization. */
  readonly requestId?: string;
  readonly message: string;
}

/** The handler module loaded and its export is a function: the worker takes invocations. */
export interface ReadyMessage {
  readonly type: "ready";
}

/** The handler module failed to load, or its export is not a function. */
export interface InitErrorMessage {
  readonly type: "init-error";
  readonly error: RuntimeErrorPayload;
}

/** Lines written since the last such message; sent before the result of the invocation that wrote them. */
export interface LogsMessage {
  readonly type: "logs";
  readonly lines: readonly CapturedLogLine[];
}

/** The handler's promise settled. */
export type ResultMessage =
  | {
      readonly type: "result";
      readonly requestId: string;
      readonly durationMs: number;
      readonly ok: true;
      /** The handler's return value as JSON (`null` for `undefined`), as Lambda serializes it. */
      readonly resultJson: string;
    }
  | {
      readonly type: "result";
      readonly requestId: string;
      readonly durationMs: number;
      readonly ok: false;
      readonly error: RuntimeErrorPayload;
    };

/** An uncaught exception or unhandled rejection: the worker reports it, then exits, as Lambda's runtime does. */
export interface FatalMessage {
  readonly type: "fatal";
  readonly requestId?: string;
  readonly error: RuntimeErrorPayload;
}

/** Everything a worker posts to the main thread. */
export type WorkerMessage = ReadyMessage | InitErrorMessage | LogsMessage | ResultMessage | FatalMessage;
