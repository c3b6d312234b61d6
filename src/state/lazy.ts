// The default SQLite store, opened when something first uses it. A config that never
// names gateway.state and needs no state (no keys, limits, budgets, llm or mcp backends) then
// writes no file: the gateway starts from a read-only folder. Opening is synchronous, so
// the first call pays it (a few milliseconds, the migrations included) and no call waits
// on a promise; a file that cannot be opened fails that call (limits and budgets answer 503)
// and is tried again on the next.
import { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
import type {
  BudgetState, DefinitionPin, KeyFilter, NewKey, Reservation, StateStore, StoredKey, UsageEntry, UsageGroup, UsageQuery, WindowHit,
} from './types.js';

export class LazySqliteStore implements StateStore {
  readonly kind = 'sqlite' as const;
  readonly shared = null;
  readonly #path: string;
  readonly #opts: SqliteStoreOptions;
  #store: SqliteStore | null = null;
  #closed = false;

  constructor(path: string, opts: SqliteStoreOptions = {}) {
    this.#path = path;
    this.#opts = opts;
  }

  /** Whether the file has been opened. */
  get opened(): boolean { return this.#store !== null; }

  #s(): SqliteStore {
    if (this.#closed) throw new Error('the state store is closed');
    this.#store ??= SqliteStore.open(this.#path, this.#opts);
    return this.#store;
  }

  insertKey(key: NewKey): void { this.#s().insertKey(key); }
  findKeyByHash(hash: string): StoredKey | null { return this.#s().findKeyByHash(hash); }
  listKeys(filter?: KeyFilter): StoredKey[] { return this.#s().listKeys(filter); }
  revokeKey(idOrName: string): boolean { return this.#s().revokeKey(idOrName); }
  hit(key: string, windowMs: number, limit: number, amount: number, now: number): WindowHit { return this.#s().hit(key, windowMs, limit, amount, now); }
  adjust(key: string, windowMs: number, windowStart: number, delta: number): void { this.#s().adjust(key, windowMs, windowStart, delta); }
  reserve(bucket: string, limitUsd: number, amountUsd: number, reservationId: string, ttlMs: number): Reservation {
    return this.#s().reserve(bucket, limitUsd, amountUsd, reservationId, ttlMs);
  }
  settle(bucket: string, reservationId: string, actualUsd: number): void { this.#s().settle(bucket, reservationId, actualUsd); }
  release(bucket: string, reservationId: string): void { this.#s().release(bucket, reservationId); }
  budget(bucket: string): BudgetState { return this.#s().budget(bucket); }
  queryUsage(q: UsageQuery): UsageEntry[] | UsageGroup[] { return this.#s().queryUsage(q); }
  listPins(backend: string): DefinitionPin[] { return this.#s().listPins(backend); }
  pinFirst(pin: DefinitionPin): DefinitionPin { return this.#s().pinFirst(pin); }
  repin(pin: DefinitionPin): void { this.#s().repin(pin); }

  recordUsage(entry: UsageEntry): void {
    // Nobody to throw to: a ledger that cannot be opened is reported like a failed write.
    try {
      this.#s().recordUsage(entry);
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#store?.close();
  }
}
