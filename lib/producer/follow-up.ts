import { createHash } from "node:crypto";
import type { EventTypeName } from "../catalog";
import type { CausingEvent, PublishRequest } from "./types";

/** Crockford's base32, the alphabet of ULIDs. */
const CROCKFORD_BASE32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A canonical ULID: 26 Crockford base32 characters, the first at most 7 (48 bits of time, 80 random). */
const ULID_PATTERN = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;

/** Characters of a ULID's time part (48 bits) and of its random part (80 bits). */
const ULID_TIME_CHARS = 10;
const ULID_RANDOM_BYTES = 10;

/** The time part of a derived id whose cause's eventId is not a ULID: the epoch, i.e. "no time". */
const NO_TIME = "0".repeat(ULID_TIME_CHARS);

/** Versions the derivation: changing it would give every retried follow-up a new id. */
const DERIVATION = "eventrail/follow-up-event-id/v1";

/** What makes a follow-up's eventId, besides the eventId of the event that caused it. */
export interface FollowUpPosition {
  /**
   * Where the follow-up comes among those one handling of the cause publishes: 0 for the first, 1
   * for the next, and so on, whatever their types. A handler that publishes the same follow-ups in
   * the same order when it runs again gives them the same positions, hence the same eventIds.
   */
  readonly position: number;
  /**
   * Who publishes it (the consumer kit passes the subscription's service name), so that two
   * consumers of one event never derive the same id for their own follow-ups.
   * @default "" (no consumer named)
   */
  readonly consumer?: string;
}

/**
 * The eventId of a follow-up event, derived from what caused it instead of drawn at random: a
 * consumer retried after a crash (or whose follow-up was accepted but whose record then failed)
 * publishes the same fact again with the same eventId, so every idempotent consumer downstream
 * (Powertools idempotency keyed on `metadata.eventId`) recognizes the copy and skips it, and the
 * audit trail shows each fact under one id.
 *
 * The id is ULID-shaped, like the ids the publisher draws: its first 10 characters are the time
 * part of the cause's eventId (so a follow-up sorts with the event that caused it; `0000000000`
 * when that id is not a ULID), its last 16 the first 80 bits of a SHA-256 of the derivation's
 * version, `consumer`, the cause's eventId, `detailType` and `position`. Different causes, types,
 * positions or consumers give different ids; the same ones give the same id, in any process.
 *
 * @throws RangeError when `position` is not a whole number of at least 0
 */
export function followUpEventId(
  causeEventId: string,
  detailType: string,
  { position, consumer = "" }: FollowUpPosition,
): string {
  if (!Number.isSafeInteger(position) || position < 0) {
    throw new RangeError(
      `Follow-up position is ${JSON.stringify(position)}; expected a whole number of at least 0 (0 for a handler's first follow-up of the consumed event, 1 for the next, ...). Count the follow-ups as they are published.`,
    );
  }
  const digest = createHash("sha256")
    .update(JSON.stringify([DERIVATION, consumer, causeEventId, detailType, position]))
    .digest();
  const time = ULID_PATTERN.test(causeEventId)
    ? causeEventId.slice(0, ULID_TIME_CHARS).toUpperCase()
    : NO_TIME;
  return time + crockfordBase32(digest.subarray(0, ULID_RANDOM_BYTES));
}

/**
 * A follow-up event for event chaining: it joins the cause's flow (same correlationId), names the
 * cause (causationId = the consumed event's eventId), so the audit trail can tell the story, and
 * gets the deterministic eventId of {@link followUpEventId}, so publishing it again for the same
 * cause (a retry) repeats the same event rather than making a new one.
 *
 * Its `occurredAt` stays the time of publishing: a retry's copy may carry a later one than the
 * first copy. Idempotency goes by the eventId, so consumers keep whichever copy reaches them first.
 *
 * @throws RangeError when `at.position` is not a whole number of at least 0
 */
export function followUp<N extends EventTypeName>(
  cause: CausingEvent,
  request: Omit<PublishRequest<N>, "correlationId" | "causationId" | "eventId">,
  at: FollowUpPosition,
): PublishRequest<N> {
  return {
    ...request,
    eventId: followUpEventId(cause.metadata.eventId, request.detailType, at),
    correlationId: cause.metadata.correlationId,
    causationId: cause.metadata.eventId,
  };
}

/** Encodes bytes in Crockford's base32, 5 bits a character, most significant first (10 bytes → 16 characters). */
function crockfordBase32(bytes: Uint8Array): string {
  let text = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      text += CROCKFORD_BASE32[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) text += CROCKFORD_BASE32[(buffer << (5 - bits)) & 31];
  return text;
}
