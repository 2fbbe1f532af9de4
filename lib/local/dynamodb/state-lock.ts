import { open, readFile, rm } from "node:fs/promises";
import * as path from "node:path";
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
  const release = () => rm(lock, { force: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lock, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new LocalDynamoDbStateError(`Cannot take the DynamoDB state lock: ${String(error)}`, lock, {
          cause: error,
        });
      }
    }
    const owner = Number.parseInt(await readFile(lock, "utf8").catch(() => ""), 10);
    if (Number.isInteger(owner) && isRunning(owner)) {
      throw new LocalDynamoDbStateError(
        `The DynamoDB state in ${folder} is in use by process ${owner}${owner === process.pid ? " (this one)" : ""}. Stop that local DynamoDB, or give this one another state directory.`,
        lock,
      );
    }
    await rm(lock, { force: true });
  }
  throw new LocalDynamoDbStateError(
    "Cannot take the DynamoDB state lock: another process keeps creating it.",
    lock,
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
