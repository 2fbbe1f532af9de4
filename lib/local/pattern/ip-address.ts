/** An IPv4 or IPv6 address as an unsigned integer of 32 or 128 bits. */
export interface IpAddress {
  readonly bits: 32 | 128;
  readonly value: bigint;
}

/** An inclusive range of addresses of one family, as a CIDR block describes it. */
export interface IpRange {
  readonly bits: 32 | 128;
  readonly low: bigint;
  readonly high: bigint;
}

// The shapes Event Ruler treats as IP literals; anything else is an ordinary string.
const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;
const IPV4_MAPPED_PREFIX = 0xffffn << 32n;
const IPV4_MAPPED_MASK = ~((1n << 32n) - 1n) & ((1n << 128n) - 1n);

/**
 * Parses an IPv4 dotted quad or an IPv6 literal (with `::` compression), or returns `undefined`.
 * Octets are read as decimal even with leading zeros, and an IPv4-mapped IPv6 address
 * (`::ffff:a00:1`) is the IPv4 address it maps, as Java's `InetAddress` (and so EventBridge) reads them.
 */
export function parseIpAddress(text: string): IpAddress | undefined {
  if (IPV4_SHAPE.test(text)) return parseIpv4(text);
  if (IPV6_SHAPE.test(text)) {
    const v6 = parseIpv6(text);
    if (v6 === undefined) return undefined;
    if ((v6 & IPV4_MAPPED_MASK) === IPV4_MAPPED_PREFIX) return { bits: 32, value: v6 & 0xffffffffn };
    return { bits: 128, value: v6 };
  }
  return undefined;
}

function parseIpv4(text: string): IpAddress | undefined {
  let value = 0n;
  for (const part of text.split(".")) {
    const octet = Number.parseInt(part, 10);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return { bits: 32, value };
}

function parseIpv6(text: string): bigint | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head = halves[0] === "" ? [] : (halves[0] ?? "").split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : (halves[1] ?? "").split(":")) : [];
  const groups = halves.length === 2 ? head.length + tail.length : head.length;
  if (halves.length === 2 ? groups > 7 : groups !== 8) return undefined;
  const all = [...head, ...Array<string>(8 - groups).fill("0"), ...tail];
  let value = 0n;
  for (const group of all) {
    if (!HEX_GROUP.test(group)) return undefined;
    value = (value << 16n) | BigInt(Number.parseInt(group, 16));
  }
  return value;
}

/** Why a CIDR block was refused, worded for {@link InvalidEventPatternError}. */
export interface CidrProblem {
  readonly problem: string;
  readonly fix: string;
}

/**
 * Parses `address/maskBits`. Host bits below the mask are ignored (`10.0.0.7/24` is `10.0.0.0/24`).
 * EventBridge refuses full-length masks (`/32`, `/128`); so does this, pointing at the exact-value form.
 */
export function parseCidr(text: string): IpRange | CidrProblem {
  const parts = text.split("/");
  if (parts.length !== 2) {
    return {
      problem: `"cidr" value "${text}" is not a CIDR block (exactly one "/" is required)`,
      fix: 'write an address and a prefix length, e.g. { "cidr": "10.0.0.0/24" }',
    };
  }
  const [addressText = "", maskText = ""] = parts;
  if (!/^[0-9]+$/.test(maskText)) {
    return {
      problem: `"cidr" value "${text}" has prefix length "${maskText}", which is not a non-negative integer`,
      fix: 'write the prefix length as digits, e.g. "10.0.0.0/24"',
    };
  }
  const address = parseIpAddress(addressText);
  if (address === undefined) {
    return {
      problem: `"cidr" value "${text}" has "${addressText}", which is not an IPv4 or IPv6 address`,
      fix: 'use a dotted quad such as "10.0.0.0/24" or an IPv6 literal such as "2001:db8::/32"',
    };
  }
  const mask = Number.parseInt(maskText, 10);
  if (mask >= address.bits) {
    const family = address.bits === 32 ? "IPv4" : "IPv6";
    return {
      problem: `"cidr" value "${text}" has prefix length ${mask}; EventBridge requires ${family} prefix lengths below ${address.bits}`,
      fix: `to match a single address, list it as an exact value: ["${addressText}"]`,
    };
  }
  const hostBits = BigInt(address.bits - mask);
  const hostMask = (1n << hostBits) - 1n;
  const low = address.value & ~hostMask;
  return { bits: address.bits, low, high: low | hostMask };
}

/** Whether {@link parseCidr} returned a problem rather than a range. */
export function isCidrProblem(result: IpRange | CidrProblem): result is CidrProblem {
  return "problem" in result;
}

/** Whether `text` is an IP address inside `range` (same family only). */
export function ipInRange(text: string, range: IpRange): boolean {
  const address = parseIpAddress(text);
  return (
    address !== undefined &&
    address.bits === range.bits &&
    address.value >= range.low &&
    address.value <= range.high
  );
}
