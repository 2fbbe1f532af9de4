import { createHash, type Hash } from "node:crypto";

/**
 * One message attribute in the SQS wire shape. `BinaryValue` is base64, as in the JSON protocol,
 * so the same value travels through the protocol, the engine and the journal unchanged.
 */
export interface MessageAttributeValue {
  /** `String`, `Number` or `Binary`, optionally followed by `.` and a custom label (`Number.float`). */
  readonly DataType: string;
  /** The value of a `String` or `Number` attribute. */
  readonly StringValue?: string;
  /** The base64-encoded value of a `Binary` attribute. */
  readonly BinaryValue?: string;
}

/** A map of attribute name to value, as `MessageAttributes` and `MessageSystemAttributes` carry. */
export type MessageAttributeMap = Readonly<Record<string, MessageAttributeValue>>;

// The transport-type byte SQS puts before each value: 1 for string-typed, 2 for binary-typed values.
const STRING_TRANSPORT = 1;
const BINARY_TRANSPORT = 2;

/** `MD5OfMessageBody`: the hex MD5 of the body's UTF-8 bytes. */
export function md5OfMessageBody(body: string): string {
  return createHash("md5").update(body, "utf8").digest("hex");
}

/**
 * `MD5OfMessageAttributes` (and `MD5OfMessageSystemAttributes`), computed the way SQS does: for each
 * attribute in name order, the name, the data type and the value, each as a 4-byte big-endian length
 * followed by the bytes, with the transport-type byte between the data type and the value.
 * Returns `undefined` for an empty map, because SQS omits the digest when there is nothing to hash.
 */
export function md5OfMessageAttributes(attributes: MessageAttributeMap): string | undefined {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return undefined;
  const hash = createHash("md5");
  for (const name of names) {
    const attribute = attributes[name];
    if (attribute === undefined) continue;
    updateLengthPrefixed(hash, Buffer.from(name, "utf8"));
    updateLengthPrefixed(hash, Buffer.from(attribute.DataType, "utf8"));
    if (attribute.BinaryValue !== undefined) {
      hash.update(Uint8Array.of(BINARY_TRANSPORT));
      updateLengthPrefixed(hash, Buffer.from(attribute.BinaryValue, "base64"));
    } else {
      hash.update(Uint8Array.of(STRING_TRANSPORT));
      updateLengthPrefixed(hash, Buffer.from(attribute.StringValue ?? "", "utf8"));
    }
  }
  return hash.digest("hex");
}

function updateLengthPrefixed(hash: Hash, bytes: Buffer): void {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  hash.update(length);
  hash.update(bytes);
}
