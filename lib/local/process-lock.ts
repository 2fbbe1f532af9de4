import { open, readFile, rm } from "node:fs/promises";

/** How a caller names the failures of {@link acquireProcessLock} in its own error type. */
export interface ProcessLockErrors {
  /** The lock file could not be created for another reason than its existence. */
  readonly unavailable: (cause: unknown) => Error;
  /** A running process (its pid given) holds the lock. */
  readonly held: (ownerPid: number) => Error;
  /** The lock kept reappearing while it was being taken over. */
  readonly contended: () => Error;
}

/**
 * Takes `lockFile` for this process (the file holds its pid) and resolves with its release. A
 * lock left by a process that no longer runs (killed with -9) is taken over; one held by a running
 * process is refused, so two local pipelines never write one state folder.
 */
export async function acquireProcessLock(
  lockFile: string,
  errors: ProcessLockErrors,
): Promise<() => Promise<void>> {
  const release = () => rm(lockFile, { force: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw errors.unavailable(error);
    }
    const owner = Number.parseInt(await readFile(lockFile, "utf8").catch(() => ""), 10);
    if (Number.isInteger(owner) && isRunning(owner)) throw errors.held(owner);
    await rm(lockFile, { force: true });
  }
  throw errors.contended();
}

/** Whether a process with id `pid` exists (on this machine, for any user). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
