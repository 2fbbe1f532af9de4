import * as path from "node:path";
import { acquireProcessLock } from "../process-lock";
import { LocalDynamoDbStateError } from "./errors";

/**
 * Takes `<folder>/lock` for this process and resolves with its release. dynalite cannot share its
 * LevelDB folder: a second dynalite on it crashes the whole process at its first request ("Database
 * is closed", thrown from a callback), so a second local DynamoDB on one state folder, in this
 * process or another, is refused here instead. A lock left by a process that no longer runs
 * (killed) is taken over.
 */
export async function acquireStateLock(folder: string): Promise<() => Promise<void>> {
  const lock = path.join(folder, "lock");
  return acquireProcessLock(lock, {
    unavailable: (cause) =>
      new LocalDynamoDbStateError(`Cannot take the DynamoDB state lock: ${String(cause)}`, lock, { cause }),
    held: (owner) =>
      new LocalDynamoDbStateError(
        `The DynamoDB state in ${folder} is in use by process ${owner}${owner === process.pid ? " (this one)" : ""}. Stop that local DynamoDB, or give this one another state directory.`,
        lock,
      ),
    contended: () =>
      new LocalDynamoDbStateError(
        "Cannot take the DynamoDB state lock: another process keeps creating it.",
        lock,
      ),
  });
}
