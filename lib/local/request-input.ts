import { type AwsJsonService, AwsServiceError } from "./aws-error";
import { escapeForLog } from "./untrusted-text";

/**
 * How one service answers a request member that is missing or not of the type its API declares.
 * Each service keeps its own codes and wording (SQS: `MissingParameter` and
 * `InvalidParameterValue`; EventBridge: `ValidationException` and `SerializationException`).
 */
export interface RequestErrors {
  /** A required member is absent or null. */
  missing(member: string): AwsServiceError;
  /** A member is present with a value the API does not accept; `expected` says what it accepts. */
  invalid(member: string, value: unknown, expected: string): AwsServiceError;
}

/**
 * The answers of the services that validate with Coral's wording (EventBridge, Firehose): a missing
 * member is `ValidationException` ("Member must not be null"), one of the wrong type the JSON
 * protocol's `SerializationException`, naming the member and what it must be.
 */
export const CORAL_REQUEST_ERRORS: RequestErrors = {
  missing: (member) =>
    new AwsServiceError(
      "ValidationException",
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
    ),
  invalid: (member, value, expected) =>
    new AwsServiceError(
      "SerializationException",
      `Cannot read member ${member}: expected ${expected}, got ${escapeForLog((JSON.stringify(value) ?? String(value)).slice(0, 80))}.`,
    ),
};

/**
 * The members of one JSON-protocol request, read with the types the API declares. Every service at
 * the edge reads its input through this, so a member of the wrong type is always the service's own
 * 4xx error naming the member (its dotted path in a nested structure), never a cast that fails later
 * as a 500.
 */
export class RequestInput {
  constructor(
    private readonly members: Readonly<Record<string, unknown>>,
    private readonly errors: RequestErrors,
    private readonly path = "",
  ) {}

  /** The member as sent, unchecked: for members a service validates itself (e.g. PutEvents' Entries). */
  raw(member: string): unknown {
    return this.members[member];
  }

  /** A required string member. */
  string(member: string): string {
    return this.required(member, this.optionalString(member));
  }

  /** A string member, `undefined` when absent or null. */
  optionalString(member: string): string | undefined {
    const value = this.present(member);
    if (value === undefined || typeof value === "string") return value;
    throw this.errors.invalid(this.pathOf(member), value, "a string");
  }

  /** A required whole-number member. */
  integer(member: string): number {
    return this.required(member, this.optionalInteger(member));
  }

  /** A whole-number member, `undefined` when absent or null. */
  optionalInteger(member: string): number | undefined {
    const value = this.present(member);
    if (value === undefined || (typeof value === "number" && Number.isInteger(value))) return value;
    throw this.errors.invalid(this.pathOf(member), value, "an integer");
  }

  /** A list-of-strings member, `undefined` when absent or null. */
  optionalStringList(member: string): string[] | undefined {
    const value = this.present(member);
    if (value === undefined) return undefined;
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value;
    throw this.errors.invalid(this.pathOf(member), value, "a list of strings");
  }

  /** A required timestamp member: epoch seconds (the JSON protocols' form) or an ISO 8601 string. */
  timestamp(member: string): Date {
    return this.required(member, this.optionalTimestamp(member));
  }

  /** A timestamp member, `undefined` when absent or null. */
  optionalTimestamp(member: string): Date | undefined {
    const value = this.present(member);
    if (value === undefined) return undefined;
    const date =
      typeof value === "number"
        ? new Date(value * 1000)
        : typeof value === "string"
          ? new Date(value)
          : undefined;
    if (date !== undefined && !Number.isNaN(date.getTime())) return date;
    throw this.errors.invalid(this.pathOf(member), value, "a timestamp (epoch seconds or ISO 8601)");
  }

  /** A structure member, read the same way, `undefined` when absent or null. */
  optionalStructure(member: string): RequestInput | undefined {
    const value = this.present(member);
    if (value === undefined) return undefined;
    if (typeof value === "object" && !Array.isArray(value)) {
      return new RequestInput(value as Record<string, unknown>, this.errors, `${this.pathOf(member)}.`);
    }
    throw this.errors.invalid(this.pathOf(member), value, "a structure (a JSON object)");
  }

  private present(member: string): unknown {
    const value = this.members[member];
    return value === null ? undefined : value;
  }

  private required<T>(member: string, value: T | undefined): T {
    if (value === undefined) throw this.errors.missing(this.pathOf(member));
    return value;
  }

  private pathOf(member: string): string {
    return `${this.path}${member}`;
  }
}

/** One operation of a {@link jsonService}. */
export type JsonOperation = (input: RequestInput) => unknown;

/** How a {@link jsonService} reads its requests and answers what it does not serve. */
export interface JsonServiceOptions {
  readonly errors: RequestErrors;
  /** The error for an operation not in the table; `supported` lists the table's operations. */
  readonly unsupported: (operation: string, supported: readonly string[]) => AwsServiceError;
  /** Maps an error an operation threw (e.g. a storage error to the service's internal error). */
  readonly mapError?: (error: unknown) => unknown;
}

/**
 * An AWS JSON-protocol service from a table of operations: each reads its request through
 * {@link RequestInput}, and the list of supported operations in every "not supported" answer is
 * the table's own keys, never a list kept by hand.
 */
export function jsonService(
  operations: Readonly<Record<string, JsonOperation>>,
  options: JsonServiceOptions,
): AwsJsonService {
  const supported = Object.keys(operations);
  return async (operation, members) => {
    const handler = Object.hasOwn(operations, operation) ? operations[operation] : undefined;
    if (handler === undefined) throw options.unsupported(operation, supported);
    try {
      return await handler(new RequestInput(members, options.errors));
    } catch (error) {
      throw options.mapError === undefined ? error : options.mapError(error);
    }
  };
}
