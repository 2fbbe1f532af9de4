import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type AwsJsonService, AwsServiceError } from "./aws-error";

/** A JSON-protocol service behind the edge, keyed by its `X-Amz-Target` prefix. */
export interface EdgeRoute {
  /** e.g. `AWSEvents`, `AmazonSQS`. */
  readonly targetPrefix: string;
  /** `application/x-amz-json-1.1` or `application/x-amz-json-1.0`. */
  readonly contentType: string;
  readonly service: AwsJsonService;
}

/** Properties of {@link EdgeServer}. */
export interface EdgeServerProps {
  readonly routes: readonly EdgeRoute[];
  /** Requests whose target starts with this prefix are forwarded verbatim (DynamoDB to dynalite). */
  readonly forward?: { readonly targetPrefix: string; readonly port: number };
  /** Answers `GET /health`. */
  readonly health?: () => unknown;
  /** Receives a line per failed request. */
  readonly log?: (line: string) => void;
}

/** Requests larger than this are refused before parsing (AWS's largest JSON requests are far smaller). */
const MAX_REQUEST_BYTES = 12 * 1_048_576;

/**
 * The local pipeline's single endpoint: one HTTP server on 127.0.0.1 speaking the AWS JSON
 * protocols, dispatching on `X-Amz-Target`, so the AWS SDK and the AWS CLI work against it with
 * `AWS_ENDPOINT_URL` and any dummy credentials. Signatures are not checked.
 */
export class EdgeServer {
  private readonly server: Server;
  private readonly routes: Map<string, EdgeRoute>;

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
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Adds a service once it is ready. The pipeline listens first, because the endpoint URL is part
   * of the queue URLs the services are built with.
   */
  public mount(route: EdgeRoute): void {
    this.routes.set(route.targetPrefix, route);
  }

  public async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = header(req, "x-amz-target");
    if (req.method === "GET" && (req.url === "/health" || req.url === "/")) {
      return send(res, 200, "application/json", JSON.stringify(this.props.health?.() ?? { status: "ok" }));
    }
    if (this.props.forward && target?.startsWith(`${this.props.forward.targetPrefix}.`)) {
      return this.forward(req, res, this.props.forward.port);
    }
    const body = await readBody(req).catch((error: Error) => error);
    const [prefix, operation] = target?.split(".", 2) ?? [];
    const route = prefix === undefined ? undefined : this.routes.get(prefix);
    const contentType = route?.contentType ?? "application/x-amz-json-1.1";
    if (body instanceof Error) {
      return sendError(res, contentType, new AwsServiceError("SerializationException", body.message));
    }
    if (!route || !operation) {
      const known = [...this.routes.keys(), this.props.forward?.targetPrefix].filter(Boolean).join(", ");
      return sendError(
        res,
        contentType,
        new AwsServiceError(
          "UnknownOperationException",
          `The local pipeline does not serve X-Amz-Target "${target ?? "(none)"}". It serves the JSON protocols of: ${known}.`,
        ),
      );
    }
    let input: Record<string, unknown>;
    try {
      const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString("utf8"));
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed))
        throw new Error("not an object");
      input = parsed as Record<string, unknown>;
    } catch {
      return sendError(
        res,
        contentType,
        new AwsServiceError("SerializationException", "The request body is not a JSON object."),
      );
    }
    try {
      const output = await route.service(operation, input);
      send(res, 200, contentType, JSON.stringify(output ?? {}));
    } catch (error) {
      if (error instanceof AwsServiceError) return sendError(res, contentType, error);
      const message = error instanceof Error ? error.message : String(error);
      this.props.log?.(`edge: ${target} failed: ${message}`);
      sendError(res, contentType, new AwsServiceError("InternalFailure", message, 500));
    }
  }

  private forward(req: IncomingMessage, res: ServerResponse, port: number): void {
    const upstream = request(
      { host: "127.0.0.1", port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (error) =>
      sendError(
        res,
        "application/x-amz-json-1.0",
        new AwsServiceError("InternalFailure", `DynamoDB is not available: ${error.message}`, 500),
      ),
    );
    req.pipe(upstream);
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

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** The JSON protocols' error shape; SQS also reads its legacy code from `x-amzn-query-error`. */
function sendError(res: ServerResponse, contentType: string, error: AwsServiceError): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ ...error.details, __type: error.code, message: error.message });
  const headers: Record<string, string | number> = {
    "content-type": contentType,
    "content-length": Buffer.byteLength(body),
    "x-amzn-errortype": error.code,
  };
  if (error.queryErrorCode !== undefined) {
    headers["x-amzn-query-error"] =
      `${error.queryErrorCode};${error.statusCode >= 500 ? "Receiver" : "Sender"}`;
  }
  res.writeHead(error.statusCode, headers);
  res.end(body);
}
