import type { ServerResponse } from "node:http";
import { functionReferenceOf } from "../assembly/arns";
import type { HttpHandler } from "../edge-server";
import type { LambdaInvoker } from "./function-runner";

/** The path of Lambda's Invoke API: `POST /2015-03-31/functions/{FunctionName}/invocations`. */
export const LAMBDA_FUNCTIONS_PATH = "/2015-03-31/functions";

/** Lambda's limit on a synchronous invocation's payload. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;

/**
 * Lambda's Invoke API for the local functions, so `aws lambda invoke` and the SDK's InvokeCommand
 * run a function of the template (a producer such as the example checkout) against the local
 * pipeline: `RequestResponse` answers with the function's result (or its error, flagged with
 * `X-Amz-Function-Error: Unhandled` as Lambda does), `Event` answers 202 at once and runs it,
 * `DryRun` answers 204. The function is named by its name, its ARN or `name:$LATEST`.
 */
export function lambdaInvokeHandler(invokers: readonly LambdaInvoker[]): HttpHandler {
  return async (req, res) => {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/.exec((req.url ?? "").split("?")[0] ?? "");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk);
    }
    if (req.method !== "POST" || match?.[1] === undefined) {
      return error(
        res,
        404,
        "ResourceNotFoundException",
        `The local pipeline serves Lambda's Invoke only (POST ${LAMBDA_FUNCTIONS_PATH}/{FunctionName}/invocations)`,
      );
    }
    const name = functionReferenceOf(decodeURIComponent(match[1])).name;
    const invoker = invokers.find((candidate) => candidate.functionName === name);
    if (invoker === undefined) {
      return error(
        res,
        404,
        "ResourceNotFoundException",
        `Function not found: ${name}. The local functions are: ${invokers.map((i) => i.functionName).join(", ")}`,
      );
    }
    if (size > MAX_PAYLOAD_BYTES) {
      return error(
        res,
        413,
        "RequestTooLargeException",
        `Request payload is ${size} bytes; Lambda takes ${MAX_PAYLOAD_BYTES} at most`,
      );
    }
    const text = Buffer.concat(chunks).toString("utf8");
    let event: unknown;
    try {
      event = text === "" ? {} : JSON.parse(text);
    } catch {
      return error(
        res,
        400,
        "InvalidRequestContentException",
        "Could not parse request body into json: the payload must be JSON",
      );
    }
    const type = String(req.headers["x-amz-invocation-type"] ?? "RequestResponse");
    if (type === "DryRun") {
      res.writeHead(204).end();
      return;
    }
    if (type === "Event") {
      void invoker.invoke(event);
      res.writeHead(202).end();
      return;
    }
    if (type !== "RequestResponse") {
      return error(
        res,
        400,
        "InvalidParameterValueException",
        `X-Amz-Invocation-Type ${type} is not RequestResponse, Event or DryRun`,
      );
    }
    const result = await invoker.invoke(event);
    if (result.ok) {
      res.writeHead(200, { "content-type": "application/json", "x-amz-executed-version": "$LATEST" });
      res.end(JSON.stringify(result.result));
      return;
    }
    res.writeHead(200, {
      "content-type": "application/json",
      "x-amz-executed-version": "$LATEST",
      "x-amz-function-error": "Unhandled",
    });
    res.end(
      JSON.stringify({ errorType: result.errorType, errorMessage: result.errorMessage, trace: result.trace }),
    );
  };
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": code });
  res.end(JSON.stringify({ Type: "User", message }));
}
