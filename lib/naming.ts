/**
 * The naming rules of the catalog and the subscriptions, in one place for the declarations that
 * enforce them at import and synth (`defineEventType`, `EventSubscription`) and for the scaffolds
 * that refuse a bad name before writing anything (`eventrail new`).
 */

/** An event source: lower-case reverse DNS, not AWS's own `aws.` prefix (EventBridge refuses it). */
export const SOURCE_PATTERN = /^(?!aws\.)[a-z0-9][a-z0-9.-]{0,255}$/;

/** A detail-type of the catalog: PascalCase letters and digits, such as `OrderPlaced`. */
export const DETAIL_TYPE_PATTERN = /^[A-Z][A-Za-z0-9]{0,127}$/;

/**
 * A subscription name: 2-40 lower-case letters, digits and `-`, starting with a letter. It names
 * the rule, the queues and the function, so it stays within their length limits.
 */
export const SUBSCRIPTION_NAME_PATTERN = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
