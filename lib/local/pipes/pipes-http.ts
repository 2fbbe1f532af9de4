import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpHandler } from "../edge-server";
import type { StreamPipe } from "./stream-pipe";

/** The path EventBridge Pipes' REST API serves its pipes under. */
export const PIPES_PATH = "/v1/pipes";

/**
 * EventBridge Pipes' REST-JSON API for the local pipes, on the edge's port: ListPipes
 * (`GET /v1/pipes`, with `NamePrefix`, `DesiredState`, `CurrentState`, `SourcePrefix`,
 * `TargetPrefix` and `Limit`), DescribePipe (`GET /v1/pipes/{Name}`), StartPipe and StopPipe
 * (`POST /v1/pipes/{Name}/start|stop`). An unknown pipe is `NotFoundException` (404), as in AWS;
 * the pipes are the template's, so CreatePipe, UpdatePipe and DeletePipe are refused with the fix.
 */
export function pipesHttpHandler(pipes: readonly StreamPipe[], createdAt: Date): HttpHandler {
  const seconds = createdAt.getTime() / 1000;
  return async (req, res) => {
    req.resume();
    const url = new URL(req.url ?? "/", "http://local");
    const [name, action, extra] = url.pathname
      .slice(PIPES_PATH.length)
      .split("/")
      .filter(Boolean)
      .map(decodeURIComponent);
    if (name === undefined) {
      if (req.method !== "GET") return refuse(res, req, "CreatePipe");
      return json(res, 200, listPipes(pipes, url.searchParams, seconds));
    }
    const pipe = pipes.find((candidate) => candidate.name === name);
    if (extra !== undefined || (action !== undefined && action !== "start" && action !== "stop")) {
      return error(res, 404, "NotFoundException", `No route for ${req.method} ${url.pathname}`);
    }
    if (req.method === "PUT" || req.method === "DELETE" || (req.method === "POST" && action === undefined)) {
      return refuse(
        res,
        req,
        req.method === "PUT" ? "UpdatePipe" : req.method === "DELETE" ? "DeletePipe" : "CreatePipe",
      );
    }
    if (pipe === undefined) return error(res, 404, "NotFoundException", `Pipe ${name} does not exist.`);
    if (action === undefined) return json(res, 200, describePipe(pipe, seconds));
    if (req.method !== "POST")
      return error(res, 404, "NotFoundException", `No route for ${req.method} ${url.pathname}`);
    if (action === "start") await pipe.start();
    else await pipe.stop();
    const status = pipe.status();
    return json(res, 200, {
      Arn: status.arn,
      Name: status.name,
      DesiredState: status.desiredState,
      CurrentState: status.currentState,
      CreationTime: seconds,
      LastModifiedTime: seconds,
    });
  };
}

function listPipes(pipes: readonly StreamPipe[], query: URLSearchParams, seconds: number): unknown {
  const limit = Number(query.get("Limit") ?? "100");
  const listed = pipes
    .map((pipe) => ({ pipe, status: pipe.status() }))
    .filter(
      ({ pipe, status }) =>
        pipe.name.startsWith(query.get("NamePrefix") ?? "") &&
        pipe.settings.sourceArn.startsWith(query.get("SourcePrefix") ?? "") &&
        pipe.settings.targetArn.startsWith(query.get("TargetPrefix") ?? "") &&
        (query.get("DesiredState") ?? status.desiredState) === status.desiredState &&
        (query.get("CurrentState") ?? status.currentState) === status.currentState,
    )
    .slice(0, Number.isInteger(limit) && limit > 0 ? limit : 100);
  return {
    Pipes: listed.map(({ pipe, status }) => ({
      Name: pipe.name,
      Arn: pipe.arn,
      DesiredState: status.desiredState,
      CurrentState: status.currentState,
      CreationTime: seconds,
      LastModifiedTime: seconds,
      Source: pipe.settings.sourceArn,
      Target: pipe.settings.targetArn,
      ...(pipe.settings.enrichmentArn === undefined ? {} : { Enrichment: pipe.settings.enrichmentArn }),
    })),
  };
}

function describePipe(pipe: StreamPipe, seconds: number): unknown {
  const { source, target, filterPatterns, enrichmentArn } = pipe.settings;
  const status = pipe.status();
  return {
    Arn: pipe.arn,
    Name: pipe.name,
    DesiredState: status.desiredState,
    CurrentState: status.currentState,
    StateReason: "",
    Source: pipe.settings.sourceArn,
    SourceParameters: {
      ...(filterPatterns.length === 0
        ? {}
        : {
            FilterCriteria: {
              Filters: filterPatterns.map((pattern) => ({ Pattern: JSON.stringify(pattern) })),
            },
          }),
      DynamoDBStreamParameters: {
        StartingPosition: source.startingPosition,
        BatchSize: source.batchSize,
        MaximumBatchingWindowInSeconds: source.maximumBatchingWindowSeconds,
        MaximumRetryAttempts: source.maximumRetryAttempts,
        MaximumRecordAgeInSeconds: source.maximumRecordAgeSeconds,
        ...(source.bisectOnError ? { OnPartialBatchItemFailure: "AUTOMATIC_BISECT" } : {}),
        ParallelizationFactor: 1,
        ...(source.deadLetterArn === undefined ? {} : { DeadLetterConfig: { Arn: source.deadLetterArn } }),
      },
    },
    ...(enrichmentArn === undefined ? {} : { Enrichment: enrichmentArn }),
    Target: pipe.settings.targetArn,
    TargetParameters: {
      ...(target.inputTemplate === undefined ? {} : { InputTemplate: target.inputTemplate }),
      EventBridgeEventBusParameters: {
        ...(target.source === undefined ? {} : { Source: target.source }),
        ...(target.detailType === undefined ? {} : { DetailType: target.detailType }),
        ...(target.time === undefined ? {} : { Time: target.time }),
        ...(target.resources === undefined ? {} : { Resources: target.resources }),
      },
    },
    CreationTime: seconds,
    LastModifiedTime: seconds,
  };
}

function refuse(res: ServerResponse, req: IncomingMessage, operation: string): void {
  error(
    res,
    400,
    "ValidationException",
    `The local pipeline runs the pipes of its template and does not serve ${operation} (${req.method} ${req.url}); change the pipe in the CDK app and restart \`eventrail local\``,
  );
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, code: string, message: string): void {
  res.writeHead(status, { "content-type": "application/json", "x-amzn-errortype": code });
  res.end(JSON.stringify({ message }));
}
