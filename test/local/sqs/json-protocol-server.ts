import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type AwsJsonService, AwsServiceError } from "../../../lib/local/aws-error";
import { serializeAwsJsonError } from "../../../lib/local/sqs/json-protocol-error";

/** A test-only HTTP front for one JSON 1.0 service (the real edge lives in lib/local/edge-server.ts). */
export interface JsonProtocolServer {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Sets the service that answers; requests before that get a 503. */
  serve(service: AwsJsonService): void;
  close(): Promise<void>;
}

/**
 * Serves `AmazonSQS.<Operation>` requests on 127.0.0.1 with a free port: reads X-Amz-Target and
 * the JSON body, calls the service, writes its output or the serialized error.
 */
export async function startJsonProtocolServer(targetPrefix = "AmazonSQS"): Promise<JsonProtocolServer> {
  let service: AwsJsonService | undefined;
  const server = createServer((request, response) => void answer(request, response));

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers["x-amz-target"] ?? "");
    const operation = target.startsWith(`${targetPrefix}.`) ? target.slice(targetPrefix.length + 1) : target;
    try {
      if (service === undefined) throw new AwsServiceError("ServiceUnavailable", "not serving yet", 503);
      const text = Buffer.concat(chunks).toString("utf8");
      const input = (text === "" ? {} : JSON.parse(text)) as Record<string, unknown>;
      const output = await service(operation, input);
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify(output));
    } catch (error) {
      const serviceError =
        error instanceof AwsServiceError ? error : new AwsServiceError("InternalFailure", String(error), 500);
      const { statusCode, headers, body } = serializeAwsJsonError(serviceError, {
        jsonVersion: "1.0",
        namespace: "com.amazonaws.sqs",
      });
      response.writeHead(statusCode, headers);
      response.end(body);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    serve(next) {
      service = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
