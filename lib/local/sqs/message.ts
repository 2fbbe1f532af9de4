import { AWS_LIMITS } from "../../aws-limits";
import { sqsError } from "./errors";
import type { MessageAttributeMap, MessageAttributeValue } from "./md5";

/** At most this many message attributes per message (SQS quota). */
export const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * SQS's hard ceiling on a message's size, body and attributes together: 1 MiB since AWS raised it
 * from 256 KiB (the SendMessage reference: "The maximum size is 1 MiB or 1,048,576 bytes"; the
 * developer guide: "All components of a message attribute are included in the 1 MiB message size
 * restriction"). A queue's `MaximumMessageSize` can lower it down to 1,024 bytes.
 */
export const MAX_MESSAGE_SIZE_BYTES = AWS_LIMITS.sqsMaximumMessageSizeBytes.max;

/**
 * A message as the engine keeps it and the journal stores it. Times are epoch milliseconds from the
 * engine's clock. Mutable on purpose: receive and visibility changes update it in place.
 */
export interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5OfBody: string;
  readonly messageAttributes: MessageAttributeMap;
  readonly md5OfMessageAttributes?: string;
  /** Only `AWSTraceHeader` is accepted, as on standard queues. */
  readonly systemAttributes: MessageAttributeMap;
  readonly md5OfMessageSystemAttributes?: string;
  readonly senderId: string;
  /** `SentTimestamp`: the enqueue time, which retention counts from (kept when moved to a DLQ). */
  sentAt: number;
  /** When the message may next be received (delay, then visibility timeout). */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** The token of the current receipt handle; a handle carrying another token is stale. */
  receipt?: string;
  /** `DeadLetterQueueSourceArn`: the queue a DLQ message was moved from. */
  deadLetterSourceArn?: string;
}

// XML 1.0's Char production, which SQS applies to bodies and string attribute values. With the `u`
// flag a lone surrogate is its own code point, so it is rejected too.
const FORBIDDEN_CHARACTER = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ALLOWED_CHARACTERS = "#x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF";

const ATTRIBUTE_NAME = /^[A-Za-z0-9_.-]{1,256}$/;
const DATA_TYPE = /^(String|Number|Binary)(\..+)?$/;
// SQS numbers: up to 38 significant digits, exponent from -128 to +126. The grammar is checked
// here; the digit and exponent bounds are left to the consumer, as they rarely matter locally.
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Throws `InvalidMessageContents` when `text` holds a character SQS does not accept. */
export function assertAllowedCharacters(text: string, where: string): void {
  const match = FORBIDDEN_CHARACTER.exec(text);
  if (match === null) return;
  const codePoint = match[0].codePointAt(0) ?? 0;
  throw sqsError(
    "InvalidMessageContents",
    `Invalid binary character '#x${codePoint.toString(16).toUpperCase()}' was found in ${where} at index ${match.index}, ` +
      `the set of allowed characters is ${ALLOWED_CHARACTERS}. Remove the character or base64-encode the content.`,
  );
}

/**
 * Validates the message attributes of a send: names, data types and values as SQS checks them.
 * Throws `InvalidParameterValue` (or `InvalidMessageContents`) naming the attribute at fault.
 */
export function assertValidMessageAttributes(attributes: MessageAttributeMap): void {
  const names = Object.keys(attributes);
  if (names.length > MAX_MESSAGE_ATTRIBUTES) {
    throw sqsError(
      "InvalidParameterValue",
      `Number of message attributes [${names.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}]. ` +
        "Move the extra metadata into the message body.",
    );
  }
  for (const name of names) {
    assertValidAttributeName(name);
    const value = attributes[name];
    if (value !== undefined) assertValidAttributeValue(name, value);
  }
}

function assertValidAttributeName(name: string): void {
  const problem = !ATTRIBUTE_NAME.test(name)
    ? "it may contain only A-Z, a-z, 0-9, underscore, hyphen and period, up to 256 characters"
    : /^(aws\.|amazon\.)/i.test(name)
      ? "names starting with 'AWS.' or 'Amazon.' are reserved"
      : name.startsWith(".") || name.endsWith(".")
        ? "it must not start or end with a period"
        : name.includes("..")
          ? "it must not contain two periods in a row"
          : undefined;
  if (problem !== undefined) {
    throw sqsError("InvalidParameterValue", `Message attribute name '${name}' is invalid: ${problem}.`);
  }
}

function assertValidAttributeValue(name: string, value: MessageAttributeValue): void {
  const dataType = value.DataType;
  if (typeof dataType !== "string" || dataType === "") {
    throw sqsError(
      "InvalidParameterValue",
      `The message attribute '${name}' must contain a non-empty message attribute type (String, Number or Binary).`,
    );
  }
  const kind = DATA_TYPE.exec(dataType)?.[1];
  if (kind === undefined || dataType.length > 256) {
    throw sqsError(
      "InvalidParameterValue",
      `The type of message attribute '${name}' is invalid: '${dataType}'. ` +
        "Use String, Number or Binary, optionally followed by '.' and a custom label (up to 256 characters).",
    );
  }
  assertAllowedCharacters(dataType, `the data type of message attribute '${name}'`);
  if (kind === "Binary") {
    if (value.BinaryValue === undefined || value.StringValue !== undefined) {
      throw sqsError(
        "InvalidParameterValue",
        `The message attribute '${name}' with type '${dataType}' must use field 'BinaryValue' (and only it).`,
      );
    }
    if (Buffer.from(value.BinaryValue, "base64").length === 0) {
      throw sqsError(
        "InvalidParameterValue",
        `The message attribute '${name}' must contain a non-empty message attribute value.`,
      );
    }
    return;
  }
  if (value.StringValue === undefined || value.BinaryValue !== undefined) {
    throw sqsError(
      "InvalidParameterValue",
      `The message attribute '${name}' with type '${dataType}' must use field 'StringValue' (and only it).`,
    );
  }
  if (value.StringValue === "") {
    throw sqsError(
      "InvalidParameterValue",
      `The message attribute '${name}' must contain a non-empty message attribute value.`,
    );
  }
  assertAllowedCharacters(value.StringValue, `the value of message attribute '${name}'`);
  if (kind === "Number" && !NUMBER.test(value.StringValue)) {
    throw sqsError(
      "InvalidParameterValue",
      `Value '${value.StringValue}' of message attribute '${name}' is not a valid number for type '${dataType}'. ` +
        "Send a decimal number such as 42, -1.5 or 6.02e23, or use type String.",
    );
  }
}

/**
 * The size SQS charges against `MaximumMessageSize`: the body's UTF-8 bytes plus, for each message
 * attribute, its name, data type and value.
 */
export function messageSize(body: string, attributes: MessageAttributeMap): number {
  let size = Buffer.byteLength(body, "utf8");
  for (const [name, value] of Object.entries(attributes)) {
    size += Buffer.byteLength(name, "utf8") + Buffer.byteLength(value.DataType, "utf8");
    size +=
      value.BinaryValue !== undefined
        ? Buffer.from(value.BinaryValue, "base64").length
        : Buffer.byteLength(value.StringValue ?? "", "utf8");
  }
  return size;
}
