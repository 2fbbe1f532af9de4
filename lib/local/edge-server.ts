import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type AwsJsonService, AwsServiceError } from "./aws-error";
import {
  type AwsQueryService,
  errorAnswer,
  type QueryAnswer,
  QueryError,
} from "./cloudformation/query-protocol";
import { exceedsJsonDepth, MAX_DETAIL_NESTING_DEPTH } from "./untrusted-text";

/**
 * Requests nested deeper than this are refused before parsing, so no service's recursive code sees
 * them (the deepest AWS allows in a request is far less: DynamoDB items nest 32 levels).
 */
const MAX_REQUEST_NESTING_DEPTH = MAX_DETAIL_NESTING_DEPTH;

/** A JSON-protocol service behind the edge, keyed by its `X-Amz-Target` prefix. */
export interface EdgeRoute {
  /** e.g. `AWSEvents`, `AmazonSQS`. */
  readonly targetPrefix: string;
  /** `application/x-amz-json-1.1` or `application/x-amz-json-1.0`. */
  readonly contentType: string;
  readonly service: AwsJsonService;
}

/** A request of an AWS JSON protocol, as {@link EdgeServer.dispatch} takes it. */
export interface EdgeRequest {
  /** The `X-Amz-Target` header, e.g. `DynamoDB_20120810.PutItem`. */
  readonly target: string | undefined;
  /** The request body (JSON). */
  readonly body: string;
}

/** The answer to an {@link EdgeRequest}: what the HTTP listener writes, headers without the length. */
export interface EdgeResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** Properties of {@link EdgeServer}. */
export interface EdgeServerProps {
  readonly routes: readonly EdgeRoute[];
  /** Answers `GET /health`. */
  readonly health?: () => unknown;
  /** Receives a line per failed request. */
  readonly log?: (line: string) => void;
}

/** Requests larger than this are refused before parsing (AWS's largest JSON requests are far smaller). */
const MAX_REQUEST_BYTES = 12 * 1_048_576;

/** Answers one plain HTTP request (a route mounted with {@link EdgeServer.mountHttp}). */
export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * The local pipeline's single endpoint: one HTTP server on 127.0.0.1 speaking the AWS JSON
 * protocols, dispatching on `X-Amz-Target`, and the AWS query protocol (form-encoded, e.g.
 * CloudFormation's read calls), dispatching on `Version`, so the AWS SDK and the AWS CLI work against
 * it with `AWS_ENDPOINT_URL` and any dummy credentials. Signatures are not checked.
 */
export class EdgeServer {
  private readonly server: Server;
  private readonly routes: Map<string, EdgeRoute>;
  /** Query-protocol services by API version (`Version=`), with the name messages give them. */
  private readonly queryRoutes = new Map<
    string,
    { readonly name: string; readonly service: AwsQueryService }
  >();
  /** Plain HTTP handlers by path prefix (the console). */
  private readonly httpRoutes = new Map<string, HttpHandler>();
  /** The `Host` values requests may carry: the loopback names of the port listened on. */
  private allowedHosts = new Set<string>();

  constructor(private readonly props: EdgeServerProps) {
    this.routes = new Map(props.routes.map((r) => [r.targetPrefix, r]));
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 65_000;
  }

  /** Listens on 127.0.0.1; port 0 picks a free one. Resolves with the endpoint URL. */
  public async listen(port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    const bound = (this.server.address() as AddressInfo).port;
    this.allowedHosts = new Set([`127.0.0.1:${bound}`, `localhost:${bound}`, `[::1]:${bound}`]);
    return `http://127.0.0.1:${bound}`;
  }

  /**
   * Adds a service once it is ready. The pipeline listens first, because the endpoint URL is part
   * of the queue URLs the services are built with.
   */
  public mount(route: EdgeRoute): void {
    this.routes.set(route.targetPrefix, route);
  }

  /**
   * Adds a service of the AWS query protocol (a form-encoded POST of `Action=...&Version=...`, XML
   * answers), e.g. CloudFormation's read calls, routed by its API version.
   */
  public mountQuery(version: string, service: AwsQueryService, name = "CloudFormation"): void {
    this.queryRoutes.set(version, { name, service });
  }

  /** Serves plain HTTP requests whose path is `prefix` or starts with `prefix/`, after the Host and Origin checks. */
  public mountHttp(prefix: string, handler: HttpHandler): void {
    this.httpRoutes.set(prefix, handler);
  }

  public async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /**
   * Answers one request of an AWS JSON protocol in-process: what the HTTP listener does after
   * reading the body, so a caller inside the pipeline (a local Lambda worker's SDK) gets the same
   * answer, byte for byte, without a loopback connection.
   */
  public async dispatch(request: EdgeRequest): Promise<EdgeResponse> {
    const target = request.target;
    const [prefix, operation] = target?.split(".", 2) ?? [];
    const route = prefix === undefined ? undefined : this.routes.get(prefix);
    const contentType = route?.contentType ?? "application/x-amz-json-1.1";
    if (!route || !operation) {
      const known = [...this.routes.keys()].join(", ");
      return errorResponse(
        contentType,
        new AwsServiceError(
          "UnknownOperationException",
          `The local pipeline does not serve X-Amz-Target "${target ?? "(none)"}". It serves the JSON protocols of: ${known}.`,
        ),
      );
    }
    if (exceedsJsonDepth(request.body, MAX_REQUEST_NESTING_DEPTH)) {
      return errorResponse(
        contentType,
        new AwsServiceError(
          "SerializationException",
          `The request body nests objects and arrays more than ${MAX_REQUEST_NESTING_DEPTH} levels deep, which no AWS JSON protocol request does.`,
        ),
      );
    }
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = request.body.length === 0 ? {} : JSON.parse(request.body);
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
        throw new Error("not an object");
      input = parsed as Record<string, unknown>;
    } catch {
      return errorResponse(
        contentType,
        new AwsServiceError("SerializationException", "The request body is not a JSON object."),
      );
    }
    try {
      const output = await route.service(operation, input);
      return { status: 200, headers: { "content-type": contentType }, body: JSON.stringify(output ?? {}) };
    } catch (error) {
      if (error instanceof AwsServiceError) return errorResponse(contentType, error);
      const message = error instanceof Error ? error.message : String(error);
      this.props.log?.(`edge: ${target} failed: ${message}`);
      return errorResponse(contentType, new AwsServiceError("InternalFailure", message, 500));
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // DNS rebinding: a web page whose domain resolves to 127.0.0.1 is same-origin to the browser,
    // but its requests still name that domain in Host. Only the loopback names of this port pass.
    const host = (req.headers.host ?? "").toLowerCase();
    if (!this.allowedHosts.has(host)) {
      req.resume();
      return send(
        res,
        403,
        { "content-type": "text/plain; charset=utf-8" },
        `Forbidden: Host "${host}" is not this endpoint. The local pipeline answers only requests to ${[...this.allowedHosts].join(", ")} (a page of another site must not reach it).\n`,
      );
    }
    // A browser names the page's origin in every cross-origin request (and in same-origin POSTs);
    // the AWS SDK and CLI send none. Another site's page is refused before anything runs, even a
    // "simple" request that needs no CORS preflight.
    const origin = header(req, "origin");
    if (origin !== undefined && !this.allowedHosts.has(origin.replace(/^https?:\/\//, "").toLowerCase())) {
      req.resume();
      return send(
        res,
        403,
        { "content-type": "text/plain; charset=utf-8" },
        `Forbidden: requests from the web page at ${origin} are refused; the local pipeline serves the AWS SDK and CLI, and pages it serves itself.\n`,
      );
    }
    const pathname = (req.url ?? "/").split("?")[0] ?? "/";
    for (const [prefix, handler] of this.httpRoutes) {
      if (pathname === prefix || pathname.startsWith(`${prefix}/`)) {
        try {
          await handler(req, res);
        } catch (error) {
          this.props.log?.(
            `edge: ${req.method} ${pathname} failed: ${error instanceof Error ? error.message : String(error)}`,
          );
          if (!res.headersSent)
            send(res, 500, { "content-type": "text/plain; charset=utf-8" }, "Internal error\n");
          else res.end();
        }
        return;
      }
    }
    const target = header(req, "x-amz-target");
    if (req.method === "GET" && (req.url === "/health" || req.url === "/")) {
      return send(
        res,
        200,
        { "content-type": "application/json" },
        JSON.stringify(this.props.health?.() ?? { status: "ok" }),
      );
    }
    const body = await readBody(req).catch((error: Error) => error);
    if (body instanceof Error) {
      const prefix = target?.split(".", 1)[0];
      const contentType =
        (prefix === undefined ? undefined : this.routes.get(prefix)?.contentType) ??
        "application/x-amz-json-1.1";
      const answer = errorResponse(contentType, new AwsServiceError("SerializationException", body.message));
      return send(res, answer.status, answer.headers, answer.body);
    }
    const contentType = (header(req, "content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase();
    if (target === undefined && contentType === "application/x-www-form-urlencoded") {
      const answer = await this.dispatchQuery(new URLSearchParams(body.toString("utf8")));
      return send(
        res,
        answer.status,
        { "content-type": "text/xml", "x-amzn-requestid": answer.requestId },
        answer.body,
      );
    }
    const answer = await this.dispatch({ target, body: body.toString("utf8") });
    send(res, answer.status, answer.headers, answer.body);
  }

  /** A request of the AWS query protocol (`Action=...&Version=...`), routed by its API version. */
  private async dispatchQuery(parameters: URLSearchParams): Promise<QueryAnswer> {
    const version = parameters.get("Version") ?? "";
    const route = this.queryRoutes.get(version);
    if (route === undefined) {
      const action = parameters.get("Action");
      const served = [...this.queryRoutes].map(([v, r]) => `Version=${v} (${r.name})`).join(", ") || "none";
      return errorAnswer(
        new QueryError(
          "InvalidAction",
          `The local pipeline does not serve the query-protocol request${action === null ? "" : ` Action=${action}`} with Version=${version === "" ? "(none)" : version}. It serves, form-encoded: ${served}; and, by X-Amz-Target, the JSON protocols of: ${[...this.routes.keys()].join(", ")}.`,
        ),
      );
    }
    try {
      return await route.service(parameters.get("Action") ?? "", parameters);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.props.log?.(`edge: query ${parameters.get("Action")} failed: ${message}`);
      return errorAnswer(new QueryError("InternalFailure", message, 500));
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new Error(`The request is larger than ${MAX_REQUEST_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...headers, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** The JSON protocols' error shape; SQS also reads its legacy code from `x-amzn-query-error`. */
function errorResponse(contentType: string, error: AwsServiceError): EdgeResponse {
  const body = JSON.stringify({ ...error.details, __type: error.code, message: error.message });
  const headers: Record<string, string> = {
    "content-type": contentType,
    "x-amzn-errortype": error.code,
  };
  if (error.queryErrorCode !== undefined) {
    headers["x-amzn-query-error"] =
      `${error.queryErrorCode};${error.statusCode >= 500 ? "Receiver" : "Sender"}`;
  }
  return { status: error.statusCode, headers, body };
}
