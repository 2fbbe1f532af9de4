import { z } from "zod";
import { EventValidationError, type PublishInput, parsePublishRequest } from "../producer";

/** A line that could not become an event, with why. */
export interface RejectedLine {
  readonly kind: "rejected";
  /** 1-based line number in the input. */
  readonly line: number;
  readonly detailType: string;
  readonly errorCode: string;
  readonly errorMessage: string;
}

/** A line that became something to publish. */
export interface AcceptedLine {
  readonly kind: "accepted";
  readonly line: number;
  readonly input: PublishInput;
}

/** What one non-blank line of the input becomes. */
export type ParsedLine = AcceptedLine | RejectedLine;

/** `{"detail-type": ..., "data": {...}}`: the publisher fills in the metadata. */
const requestLine = z.strictObject({
  "detail-type": z.string(),
  data: z.unknown(),
  correlationId: z.string().optional(),
  causationId: z.string().optional(),
  resources: z.array(z.string()).optional(),
});

/** A full PutEvents entry, as `aws events put-events --entries` takes it. */
const entryLine = z.strictObject({
  Source: z.string(),
  DetailType: z.string(),
  Detail: z.union([z.string(), z.record(z.string(), z.unknown())]),
  EventBusName: z.string().optional(),
  Resources: z.array(z.string()).optional(),
  /** ISO 8601, or seconds since the epoch as the AWS CLI accepts. */
  Time: z.union([z.iso.datetime({ offset: true }), z.number()]).optional(),
  TraceHeader: z.string().optional(),
});

const SHAPES =
  'expected {"detail-type": "OrderPlaced", "data": {...}} or a PutEvents entry {"Source", "DetailType", "Detail", ...}';

/**
 * Parses one line of NDJSON publish input. Two shapes are accepted: a request
 * `{"detail-type", "data", "correlationId"?, "causationId"?, "resources"?}` (validated against the
 * catalog here) or a full PutEvents entry (validated by the publisher, which keeps its metadata).
 * Blank lines give `undefined`.
 */
export function parsePublishLine(text: string, line: number): ParsedLine | undefined {
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return rejected(
      line,
      "unknown",
      "InvalidJson",
      `not valid JSON (${(error as Error).message}); ${SHAPES}.`,
    );
  }
  if (typeof value === "object" && value !== null && "DetailType" in value) return parseEntry(value, line);
  if (typeof value === "object" && value !== null && "detail-type" in value) return parseRequest(value, line);
  return rejected(line, "unknown", "UnrecognizedLine", `neither shape matches; ${SHAPES}.`);
}

function parseRequest(value: object, line: number): ParsedLine {
  const shape = requestLine.safeParse(value);
  if (!shape.success) return shapeError(line, value, shape.error);
  const { "detail-type": detailType, data, correlationId, causationId, resources } = shape.data;
  try {
    const input = parsePublishRequest({ detailType, data, correlationId, causationId, resources });
    return { kind: "accepted", line, input };
  } catch (error) {
    if (!(error instanceof EventValidationError)) throw error;
    return rejected(line, detailType, error.name, error.message);
  }
}

function parseEntry(value: object, line: number): ParsedLine {
  const shape = entryLine.safeParse(value);
  if (!shape.success) return shapeError(line, value, shape.error);
  const { Detail, Time, ...rest } = shape.data;
  const input = {
    ...rest,
    Detail: typeof Detail === "string" ? Detail : JSON.stringify(Detail),
    ...(Time === undefined
      ? {}
      : { Time: typeof Time === "number" ? new Date(Time * 1000) : new Date(Time) }),
  };
  return { kind: "accepted", line, input };
}

function shapeError(line: number, value: object, error: z.ZodError): RejectedLine {
  const detailType = value as { DetailType?: unknown; "detail-type"?: unknown };
  const name = detailType.DetailType ?? detailType["detail-type"];
  const problems = error.issues.map((issue) => {
    const where = issue.path.map(String).join(".") || "(line)";
    return `${where}: ${issue.message}`;
  });
  return rejected(
    line,
    typeof name === "string" ? name : "unknown",
    "InvalidLine",
    `${problems.join("; ")}; ${SHAPES}.`,
  );
}

function rejected(line: number, detailType: string, errorCode: string, errorMessage: string): RejectedLine {
  return { kind: "rejected", line, detailType, errorCode, errorMessage };
}
