import { afterEach, describe, expect, it } from "vitest";
import { EdgeServer } from "../../../lib/local/edge-server";
import type { InvocationResult, LambdaInvoker } from "../../../lib/local/lambda/function-runner";
import { LAMBDA_FUNCTIONS_PATH, lambdaInvokeHandler } from "../../../lib/local/lambda/invoke-http";

/** Lambda's Invoke API at the edge, over a stand-in function that echoes its event or fails on `fail`. */

let edge: EdgeServer | undefined;
afterEach(async () => {
  await edge?.close();
  edge = undefined;
});

async function start(): Promise<{ endpoint: string; invoked: unknown[] }> {
  const invoked: unknown[] = [];
  const echo: LambdaInvoker = {
    functionName: "echo",
    async invoke(event): Promise<InvocationResult> {
      invoked.push(event);
      if ((event as { fail?: boolean }).fail) {
        return {
          ok: false,
          errorType: "Boom",
          errorMessage: "it failed",
          trace: [],
          requestId: "r",
          durationMs: 1,
        };
      }
      return { ok: true, result: { echoed: event }, requestId: "r", durationMs: 1 };
    },
  };
  edge = new EdgeServer({ routes: [] });
  edge.mountHttp(LAMBDA_FUNCTIONS_PATH, lambdaInvokeHandler([echo]));
  return { endpoint: await edge.listen(0), invoked };
}

function invoke(endpoint: string, name: string, body: string, type?: string) {
  return fetch(`${endpoint}${LAMBDA_FUNCTIONS_PATH}/${encodeURIComponent(name)}/invocations`, {
    method: "POST",
    body,
    headers: type === undefined ? {} : { "X-Amz-Invocation-Type": type },
  });
}

describe("Lambda Invoke at the edge", () => {
  it("answers a RequestResponse with the result, the function named by name or ARN", async () => {
    const { endpoint } = await start();
    for (const name of ["echo", "arn:aws:lambda:us-east-1:000000000000:function:echo", "echo:$LATEST"]) {
      const response = await invoke(endpoint, name, '{"a":1}');
      expect(response.status).toBe(200);
      expect(response.headers.get("x-amz-function-error")).toBeNull();
      expect(await response.json()).toEqual({ echoed: { a: 1 } });
    }
  });

  it("flags a function error as Lambda does: 200, X-Amz-Function-Error, the error in the body", async () => {
    const { endpoint } = await start();
    const response = await invoke(endpoint, "echo", '{"fail":true}');
    expect(response.status).toBe(200);
    expect(response.headers.get("x-amz-function-error")).toBe("Unhandled");
    expect(await response.json()).toEqual({ errorType: "Boom", errorMessage: "it failed", trace: [] });
  });

  it("runs an Event invocation after answering 202, and a DryRun not at all", async () => {
    const { endpoint, invoked } = await start();
    expect((await invoke(endpoint, "echo", '{"n":1}', "Event")).status).toBe(202);
    expect((await invoke(endpoint, "echo", '{"n":2}', "DryRun")).status).toBe(204);
    expect(invoked).toEqual([{ n: 1 }]);
  });

  it("refuses an unknown function, a payload that is not JSON and an unknown invocation type, invoking nothing", async () => {
    const { endpoint, invoked } = await start();
    const unknown = await invoke(endpoint, "nope", "{}");
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get("x-amzn-errortype")).toBe("ResourceNotFoundException");
    expect(((await unknown.json()) as { message: string }).message).toMatch(
      /Function not found: nope\. The local functions are: echo/,
    );
    const notJson = await invoke(endpoint, "echo", "{not json");
    expect(notJson.status).toBe(400);
    expect(notJson.headers.get("x-amzn-errortype")).toBe("InvalidRequestContentException");
    const badType = await invoke(endpoint, "echo", "{}", "Later");
    expect(badType.status).toBe(400);
    expect(badType.headers.get("x-amzn-errortype")).toBe("InvalidParameterValueException");
    expect(invoked).toEqual([]);
  });
});
