import { EventEmitter } from "node:events";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { AwsServiceError } from "../aws-error";
import { type DynamoDbCall, isJsonObject, type JsonObject } from "./wire";

/** The DynamoDB API version dynalite serves on `X-Amz-Target`. */
export const DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810";

/**
 * dynalite refuses unsigned requests (`MissingAuthenticationTokenException`) but checks only the
 * shape of the signature, so a fixed, well-formed one is enough.
 */
const PLACEHOLDER_SIGNATURE_HEADERS = {
  "x-amz-date": "20240101T000000Z",
  authorization:
    "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
} as const;

/** How much of an unexpected answer an error message quotes. */
const QUOTED_BODY_CHARS = 200;

/** dynalite's HTTP request listener: what its server runs for every request. */
type DynaliteListener = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Calls dynalite in-process: each operation is handed to dynalite's own request listener as the
 * request it would have read from a socket (method, target, placeholder signature, JSON body), so
 * dynalite validates and answers it exactly as over HTTP, without a loopback connection, an HTTP
 * parser or a kernel round trip per call. Error answers become {@link AwsServiceError}s with the
 * short code AWS SDKs match on (`ConditionalCheckFailedException`, not
 * `com.amazonaws.dynamodb.v20120810#...`).
 */
export class DynaliteClient {
  private readonly listener: DynaliteListener;

  /**
   * @param server the dynalite server (from `dynalite(options)`); its request listener answers.
   */
  constructor(server: Server) {
    const [listener] = server.listeners("request") as DynaliteListener[];
    if (listener === undefined) throw new Error("The dynalite server has no request listener");
    this.listener = listener;
  }

  /** Sends one operation; see {@link DynamoDbCall}. */
  public readonly call: DynamoDbCall = (operation, input) => this.send(operation, JSON.stringify(input));

  private send(operation: string, body: string): Promise<JsonObject> {
    return new Promise<JsonObject>((resolve, reject) => {
      const request = Object.assign(new EventEmitter(), {
        method: "POST",
        url: "/",
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "content-length": String(Buffer.byteLength(body)),
          "x-amz-target": `${DYNAMODB_TARGET_PREFIX}.${operation}`,
          ...PLACEHOLDER_SIGNATURE_HEADERS,
        },
      });
      const response = {
        statusCode: 200,
        contentType: "",
        setHeader: () => response,
        end: (text?: string) => {
          const status = response.statusCode;
          const answer = text ?? "";
          if (status === 200) {
            const output = parseJson(answer);
            if (isJsonObject(output)) resolve(output);
            else reject(unexpectedAnswer(operation, status, answer));
          } else {
            reject(toServiceError(operation, status, answer));
          }
        },
      };
      try {
        this.listener(request as unknown as IncomingMessage, response as unknown as ServerResponse);
        request.emit("data", Buffer.from(body, "utf8"));
        request.emit("end");
      } catch (error) {
        reject(unavailable(error instanceof Error ? error : new Error(String(error))));
      }
    });
  }
}

/**
 * Turns a dynalite error answer into the error AWS would return: the code after the `#` of
 * `__type`, the message (dynalite writes `message`, or `Message` for serialization errors), the
 * status, and every other body member (`Item`, `CancellationReasons`) kept as details.
 */
export function toServiceError(operation: string, status: number, body: string): AwsServiceError {
  const parsed = parseJson(body);
  if (!isJsonObject(parsed) || typeof parsed.__type !== "string") {
    return unexpectedAnswer(operation, status, body);
  }
  const { __type: type, message, Message, ...details } = parsed;
  const code = type.slice(type.lastIndexOf("#") + 1);
  const text =
    typeof message === "string" && message !== ""
      ? message
      : typeof Message === "string"
        ? Message
        : defaultMessage(code, operation);
  return new AwsServiceError(
    code,
    text,
    status,
    undefined,
    Object.keys(details).length > 0 ? details : undefined,
  );
}

/** dynalite answers some errors without a message; these are the ones worth explaining. */
function defaultMessage(code: string, operation: string): string {
  return code === "UnknownOperationException"
    ? `The local DynamoDB (dynalite) does not implement ${operation}. Run it against real DynamoDB, or use an operation the local pipeline emulates.`
    : "";
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function unexpectedAnswer(operation: string, status: number, body: string): AwsServiceError {
  return new AwsServiceError(
    "InternalFailure",
    `The local DynamoDB (dynalite) answered ${operation} with HTTP ${status} and a body that is not a DynamoDB JSON answer: ${JSON.stringify(body.slice(0, QUOTED_BODY_CHARS))}`,
    500,
  );
}

function unavailable(error: Error): AwsServiceError {
  return new AwsServiceError(
    "InternalFailure",
    `The local DynamoDB (dynalite) failed: ${error.message}`,
    500,
  );
}
