import { createHash } from "node:crypto";

/** What a service accepts as a name, so generated names are valid and explicit ones are checked. */
export interface NamingRule {
  /** What the name is, for messages: `SQS queue name`. */
  readonly label: string;
  readonly minLength: number;
  readonly maxLength: number;
  /** Every character allowed (`^[...]+$`), and any other rule the service enforces. */
  readonly pattern: RegExp;
  /** The rule in words, for messages. */
  readonly description: string;
  /** The service accepts lower case only (S3 buckets). */
  readonly lowerCase?: boolean;
}

/** Rules of the names the local pipeline emulates, from each service's documented limits. */
export const namingRules = {
  queue: {
    label: "SQS queue name",
    minLength: 1,
    maxLength: 80,
    pattern: /^[A-Za-z0-9_-]+$/,
    description: "1-80 letters, digits, '-' and '_'",
  },
  eventBus: {
    label: "event bus name",
    minLength: 1,
    maxLength: 256,
    pattern: /^[/.\-_A-Za-z0-9]+$/,
    description: "1-256 letters, digits, '.', '-', '_' and '/'",
  },
  rule: {
    label: "rule name",
    minLength: 1,
    maxLength: 64,
    pattern: /^[.\-_A-Za-z0-9]+$/,
    description: "1-64 letters, digits, '.', '-' and '_'",
  },
  archive: {
    label: "archive name",
    minLength: 1,
    maxLength: 48,
    pattern: /^[.\-_A-Za-z0-9]+$/,
    description: "1-48 letters, digits, '.', '-' and '_'",
  },
  function: {
    label: "function name",
    minLength: 1,
    maxLength: 64,
    pattern: /^[A-Za-z0-9_-]+$/,
    description: "1-64 letters, digits, '-' and '_'",
  },
  table: {
    label: "DynamoDB table name",
    minLength: 3,
    maxLength: 255,
    pattern: /^[A-Za-z0-9_.-]+$/,
    description: "3-255 letters, digits, '.', '-' and '_'",
  },
  deliveryStream: {
    label: "delivery stream name",
    minLength: 1,
    maxLength: 64,
    pattern: /^[A-Za-z0-9_.-]+$/,
    description: "1-64 letters, digits, '.', '-' and '_'",
  },
  pipe: {
    label: "pipe name",
    minLength: 1,
    maxLength: 64,
    pattern: /^[.\-_A-Za-z0-9]+$/,
    description: "1-64 letters, digits, '.', '-' and '_'",
  },
  bucket: {
    label: "S3 bucket name",
    minLength: 3,
    maxLength: 63,
    pattern: /^[a-z0-9][a-z0-9.-]*[a-z0-9]$/,
    description: "3-63 lower-case letters, digits, '.' and '-', starting and ending with a letter or digit",
    lowerCase: true,
  },
} as const satisfies Record<string, NamingRule>;

/** A name CloudFormation would accept for a resource whose service the reader does not check. */
export const lenientNaming: NamingRule = {
  label: "name",
  minLength: 1,
  maxLength: 255,
  pattern: /^.+$/,
  description: "1-255 characters",
};

const HASH_LENGTH = 8;

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/**
 * The name CloudFormation would give a resource whose template names none: `<stackName>-<logicalId>`
 * (CloudFormation adds a random suffix; the local name stays stable across runs instead). Characters
 * the service refuses become `-`; a name over the service's limit is cut and ends with a hash of the
 * whole, so two long logical ids that share a prefix still get different names.
 */
export function generatedName(stackName: string, logicalId: string, rule: NamingRule): string {
  const full = `${stackName}-${logicalId}`;
  const cased = rule.lowerCase ? full.toLowerCase() : full;
  const allowed = rule.lowerCase ? /[^a-z0-9.-]/g : /[^A-Za-z0-9_-]/g;
  const cleaned = cased.replace(allowed, "-");
  if (cleaned.length <= rule.maxLength) return cleaned;
  const hash = digest(full).slice(0, HASH_LENGTH);
  return `${cleaned.slice(0, rule.maxLength - HASH_LENGTH - 1)}-${hash}`;
}

/**
 * A UUID that stays the same for the same stack and logical id, for the resources whose identifier
 * AWS makes up (event source mappings, KMS keys, saved queries).
 */
export function deterministicUuid(stackName: string, logicalId: string): string {
  const hex = digest(`${stackName}/${logicalId}`);
  // Version 4 and RFC 4122 variant bits, so the value parses as the UUIDs AWS returns.
  const variant = ((Number.parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Whether `name` satisfies `rule`; if not, what is wrong with it. */
export function checkName(name: string, rule: NamingRule): string | undefined {
  if (name.length < rule.minLength || name.length > rule.maxLength || !rule.pattern.test(name)) {
    return `${rule.label} "${name}" is invalid; the service accepts ${rule.description}`;
  }
  return undefined;
}
