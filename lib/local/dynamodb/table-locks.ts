/** One request waiting for a table lock. */
interface Waiter {
  readonly exclusive: boolean;
  readonly grant: () => void;
}

/**
 * A readers-writer lock granting in arrival order: a reader arriving after a waiting writer waits
 * behind it, so a stream of reads cannot starve writes.
 */
class ReadWriteLock {
  private readers = 0;
  private writing = false;
  private readonly waiting: Waiter[] = [];

  public acquire(exclusive: boolean): Promise<void> {
    if (this.waiting.length === 0 && this.canGrant(exclusive)) {
      this.take(exclusive);
      return Promise.resolve();
    }
    return new Promise<void>((grant) => this.waiting.push({ exclusive, grant }));
  }

  public release(exclusive: boolean): void {
    if (exclusive) this.writing = false;
    else this.readers--;
    for (
      let next = this.waiting[0];
      next !== undefined && this.canGrant(next.exclusive);
      next = this.waiting[0]
    ) {
      this.waiting.shift();
      this.take(next.exclusive);
      next.grant();
    }
  }

  private canGrant(exclusive: boolean): boolean {
    return exclusive ? !this.writing && this.readers === 0 : !this.writing;
  }

  private take(exclusive: boolean): void {
    if (exclusive) this.writing = true;
    else this.readers++;
  }
}

/**
 * Per-table readers-writer locks for the local DynamoDB. dynalite locks one item per write, but the
 * emulated transaction is several writes and, on cancellation, their undoing: every write to a
 * table takes its lock exclusively, so no other write lands between a transaction's writes and
 * their rollback, and every read takes it shared, so no read sees a write that is rolled back.
 *
 * A request naming several tables locks them in name order, so two requests never wait on each
 * other. The locks are not reentrant: work done under a lock must call the store directly.
 */
export class TableLocks {
  private readonly locks = new Map<string, ReadWriteLock>();

  /** Runs `work` while no write to any of `tables` runs. */
  public withShared<T>(tables: Iterable<string>, work: () => Promise<T>): Promise<T> {
    return this.with(tables, false, work);
  }

  /** Runs `work` while nothing else reads or writes any of `tables`. */
  public withExclusive<T>(tables: Iterable<string>, work: () => Promise<T>): Promise<T> {
    return this.with(tables, true, work);
  }

  private async with<T>(tables: Iterable<string>, exclusive: boolean, work: () => Promise<T>): Promise<T> {
    const held: ReadWriteLock[] = [];
    try {
      for (const table of [...new Set(tables)].sort()) {
        const lock = this.lockOf(table);
        await lock.acquire(exclusive);
        held.push(lock);
      }
      return await work();
    } finally {
      for (const lock of held.reverse()) lock.release(exclusive);
    }
  }

  private lockOf(table: string): ReadWriteLock {
    let lock = this.locks.get(table);
    if (lock === undefined) {
      lock = new ReadWriteLock();
      this.locks.set(table, lock);
    }
    return lock;
  }
}
