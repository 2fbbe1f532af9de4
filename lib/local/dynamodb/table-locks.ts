/**
 * The lock modes of multiple-granularity locking: `S`/`X` read or write a whole table (or one
 * item), `IS`/`IX` announce on a table that items of it are being read or written.
 */
type Mode = "IS" | "IX" | "S" | "X";

/** Which held modes each requested mode can run beside. */
const COMPATIBLE: Readonly<Record<Mode, readonly Mode[]>> = {
  IS: ["IS", "IX", "S"],
  IX: ["IS", "IX"],
  S: ["IS", "S"],
  X: [],
};

/** One request waiting for a lock. */
interface Waiter {
  readonly mode: Mode;
  readonly grant: () => void;
}

/**
 * A lock granting in arrival order: a request arriving after a waiting one that it is compatible
 * with still waits behind it, so a stream of reads cannot starve writes.
 */
class GranularLock {
  private readonly held: Record<Mode, number> = { IS: 0, IX: 0, S: 0, X: 0 };
  private readonly waiting: Waiter[] = [];

  /** Whether nobody holds or waits for the lock (it can be forgotten). */
  public get free(): boolean {
    return this.waiting.length === 0 && this.held.IS + this.held.IX + this.held.S + this.held.X === 0;
  }

  public acquire(mode: Mode): Promise<void> {
    if (this.waiting.length === 0 && this.canGrant(mode)) {
      this.held[mode]++;
      return Promise.resolve();
    }
    return new Promise<void>((grant) => this.waiting.push({ mode, grant }));
  }

  public release(mode: Mode): void {
    this.held[mode]--;
    for (let next = this.waiting[0]; next !== undefined && this.canGrant(next.mode); next = this.waiting[0]) {
      this.waiting.shift();
      this.held[next.mode]++;
      next.grant();
    }
  }

  private canGrant(mode: Mode): boolean {
    const compatible = COMPATIBLE[mode];
    return (Object.keys(this.held) as Mode[]).every(
      (held) => this.held[held] === 0 || compatible.includes(held),
    );
  }
}

/** One item of one table, as a lock names it: its table and the canonical form of its key. */
export interface LockedItem {
  readonly tableName: string;
  /** The item's key attributes, e.g. `{ pk: { S: "a" }, sk: { S: "b" } }`. */
  readonly key: Readonly<Record<string, unknown>>;
}

/**
 * Locks for the local DynamoDB, per item where the answers are the same and per table where a
 * request reads or writes many items. dynalite locks one item per write, but the emulated
 * transaction is several writes and, on cancellation, their undoing, and a conditional write that
 * returns the old item reads it after the condition failed: such work holds every item it touches
 * exclusively, so no other write lands between a transaction's writes and their rollback and no
 * read sees a write that is rolled back. Requests on other items of the same tables run beside it.
 *
 * Multiple-granularity locking (intention locks on tables, shared or exclusive locks on items)
 * keeps whole-table requests (Query, Scan, batch writes) isolated from item work. Every request
 * takes its table locks in name order, then its item locks in key order, so two requests never wait
 * on each other. The locks are not reentrant: work done under a lock must call the store directly.
 */
export class TableLocks {
  private readonly tables = new Map<string, GranularLock>();
  private readonly items = new Map<string, GranularLock>();

  /** Runs `work` while no write to any of `tables` runs. */
  public withShared<T>(tables: Iterable<string>, work: () => Promise<T>): Promise<T> {
    return this.with(tables, "S", [], "S", work);
  }

  /** Runs `work` while nothing else reads or writes any of `tables`. */
  public withExclusive<T>(tables: Iterable<string>, work: () => Promise<T>): Promise<T> {
    return this.with(tables, "X", [], "X", work);
  }

  /** Runs `work` while no write to any of `items` (or to their whole tables) runs. */
  public withSharedItems<T>(items: readonly LockedItem[], work: () => Promise<T>): Promise<T> {
    return this.with(
      items.map((item) => item.tableName),
      "IS",
      items,
      "S",
      work,
    );
  }

  /** Runs `work` while nothing else reads or writes any of `items` (or their whole tables). */
  public withExclusiveItems<T>(items: readonly LockedItem[], work: () => Promise<T>): Promise<T> {
    return this.with(
      items.map((item) => item.tableName),
      "IX",
      items,
      "X",
      work,
    );
  }

  private async with<T>(
    tables: Iterable<string>,
    tableMode: Mode,
    items: readonly LockedItem[],
    itemMode: Mode,
    work: () => Promise<T>,
  ): Promise<T> {
    const held: {
      readonly name: string;
      readonly lock: GranularLock;
      readonly mode: Mode;
      readonly from: Map<string, GranularLock>;
    }[] = [];
    try {
      for (const table of [...new Set(tables)].sort()) {
        const lock = lockOf(this.tables, table);
        await lock.acquire(tableMode);
        held.push({ name: table, lock, mode: tableMode, from: this.tables });
      }
      for (const name of [...new Set(items.map(itemLockName))].sort()) {
        const lock = lockOf(this.items, name);
        await lock.acquire(itemMode);
        held.push({ name, lock, mode: itemMode, from: this.items });
      }
      return await work();
    } finally {
      for (const { name, lock, mode, from } of held.reverse()) {
        lock.release(mode);
        if (lock.free) from.delete(name);
      }
    }
  }
}

function lockOf(locks: Map<string, GranularLock>, name: string): GranularLock {
  let lock = locks.get(name);
  if (lock === undefined) {
    lock = new GranularLock();
    locks.set(name, lock);
  }
  return lock;
}

/** The item's table and key attributes in name order, so that one item always has one name. */
function itemLockName(item: LockedItem): string {
  const names = Object.keys(item.key).sort();
  return JSON.stringify([item.tableName, ...names.flatMap((name) => [name, item.key[name]])]);
}
