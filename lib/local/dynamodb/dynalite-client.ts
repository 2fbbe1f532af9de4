import { Agent, request } from "node:http";
import { AwsServiceError } from "../aws-error";
import { type DynamoDbCall, isJsonObject, type JsonObject } from "./wire";

/** The DynamoDB API version dynalite serves on `X-Amz-Target`. */
export const DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810";

/**
 * dynalite refuses unsigned requests (`MissingAuthenticationTokenException`) but checks only the
 * shape of the signature, so a fixed, well-formed one is enough on the loopback.
 */
const PLACEHOLDER_SIGNATURE_HEADERS = {
  "x-amz-date": "20240101T000000Z",
  authorization:
    "AWS4-HMAC-SHA256 Credential=local/20240101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
} as const;

/** How much of an unexpected answer an error message quotes. */
const QUOTED_BODY_CHARS = 200;

/**
 * Speaks DynamoDB's JSON 1.0 protocol to a dynalite server on 127.0.0.1, over kept-alive
 * connections, and turns its error answers into {@link AwsServiceError}s with the short code AWS
 * SDKs match on (`ConditionalCheckFailedException`, not `com.amazonaws.dynamodb.v20120810#...`).
 */
export class DynaliteClient {
  private readonly agent = new Agent({ keepAlive: true });

  /**
   * @param port the port dynalite listens on (127.0.0.1).
   */
  constructor(private readonly port: number) {}

  /** Sends one operation; see {@link DynamoDbCall}. */
  public readonly call: DynamoDbCall = (operation, input) => this.send(operation, JSON.stringify(input));

  /** Drops the kept-alive connections, so that dynalite can close. */
  public close(): void {
    this.agent.destroy();
  }

  private send(operation: string, body: string): Promise<JsonObject> {
    return new Promise<JsonObject>((resolve, reject) => {
      const outgoing = request(
        {
          host: "127.0.0.1",
          port: this.port,
          method: "POST",
          path: "/",
          agent: this.agent,
          headers: {
            "content-type": "application/x-amz-json-1.0",
            "content-length": Buffer.byteLength(body),
            "x-amz-target": `${DYNAMODB_TARGET_PREFIX}.${operation}`,
            ...PLACEHOLDER_SIGNATURE_HEADERS,
          },
        },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on("data", (chunk: Buffer) => chunks.push(chunk));
          answer.on("error", (error) => reject(unavailable(this.port, error)));
          answer.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            const status = answer.statusCode ?? 500;
            if (status === 200) {
              const output = parseJson(text);
              if (isJsonObject(output)) resolve(output);
              else reject(unexpectedAnswer(operation, status, text));
            } else {
              reject(toServiceError(operation, status, text));
            }
          });
        },
      );
      outgoing.on("error", (error) => reject(unavailable(this.port, error)));
      outgoing.end(body);
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

function unavailable(port: number, error: Error): AwsServiceError {
  return new AwsServiceError(
    "InternalFailure",
    `The local DynamoDB (dynalite on 127.0.0.1:${port}) is not available: ${error.message}`,
    500,
  );
}
