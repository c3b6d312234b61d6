// The embedded state store: one SQLite file, for one gateway process (other processes may
// share the file safely, e.g. the CLI, but only one should serve traffic). Every method is
// synchronous: better-sqlite3 answers in microseconds, so the hot path (key lookup, rate
// limit, budget) costs no promise and no event-loop turn.
//
// Durability: WAL with synchronous=NORMAL. A committed transaction survives the process
// being killed (kill -9); only an OS crash or power loss can lose the last commits, which
// is the usual trade for not calling fsync on every request.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { migrateSqlite } from './migrations/sqlite.js';
import { fromMicros, toMicros, usageLimit, windowStartOf } from './shared.js';
import {
  StateConflictError,
  type BudgetState, type KeyFilter, type NewKey, type Reservation, type StateStore, type StoredKey,
  type UsageEntry, type UsageGroup, type UsageQuery, type WindowHit,
} from './types.js';

export interface SqliteStoreOptions {
  /** Errors that have no caller to throw to (a failed batched usage write). Default: ignored. */
  readonly onError?: (err: unknown) => void;
  /** How long a write waits for another process holding the file's lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

/** Expired reservations and old counter windows are deleted at most this often. */
const SWEEP_EVERY_MS = 60_000;

interface KeyRow {
  id: string; name: string; prefix: string; metadata: string; created_at: number; revoked_at: number | null;
}

interface UsageRow {
  time: number; request_id: string; identity_kind: string; identity: string; metadata: string;
  route: string; model: string; target: string; provider: string;
  input_tokens: number | null; output_tokens: number | null; cost_usd: number | null;
  status: number; latency_ms: number; estimated: number;
}

interface GroupRow {
  grp: string; calls: number; input_tokens: number; output_tokens: number; cost_usd: number; unpriced: number;
}

export class SqliteStore implements StateStore {
  readonly kind = 'sqlite' as const;
  readonly #db: BetterSqlite3.Database;
  readonly #onError: (err: unknown) => void;
  readonly #stmt;
  readonly #tx;
  #pendingUsage: UsageEntry[] = [];
  #flushScheduled: NodeJS.Immediate | null = null;
  #lastSweep = 0;
  #closed = false;

  /** Opens (creating folders and the file when missing) and brings the schema up to date. */
  static open(path: string, opts: SqliteStoreOptions = {}): SqliteStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    try {
      // busy_timeout first: switching to WAL needs a lock another process may hold.
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrateSqlite(db);
      return new SqliteStore(db, opts);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  private constructor(db: BetterSqlite3.Database, opts: SqliteStoreOptions) {
    this.#db = db;
    this.#onError = opts.onError ?? (() => {});
    const stmt = {
      insertKey: db.prepare('INSERT INTO api_keys (id, name, prefix, hash, metadata, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
      keyByHash: db.prepare<[string], KeyRow>('SELECT * FROM api_keys WHERE hash = ? AND revoked_at IS NULL'),
      revokeById: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      revokeByName: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE name = ? AND revoked_at IS NULL'),

      counter: db.prepare<[string, number], number>('SELECT count FROM counters WHERE key = ? AND window_start = ?').pluck(),
      addCounter: db.prepare(`INSERT INTO counters (key, window_start, count, expires_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (key, window_start) DO UPDATE SET count = count + excluded.count`),
      adjustCounter: db.prepare('UPDATE counters SET count = max(0, count + ?) WHERE key = ? AND window_start = ?'),
      sweepCounters: db.prepare('DELETE FROM counters WHERE expires_at < ?'),

      spent: db.prepare<[string], number>('SELECT usd_micros FROM budget_spend WHERE bucket = ?').pluck(),
      addSpent: db.prepare(`INSERT INTO budget_spend (bucket, usd_micros) VALUES (?, ?)
        ON CONFLICT (bucket) DO UPDATE SET usd_micros = usd_micros + excluded.usd_micros`),
      // Called right after dropExpiredIn, so every row here is live.
      reserved: db.prepare<[string, string], { total: number; mine: number }>(
        `SELECT coalesce(sum(usd_micros), 0) AS total, coalesce(sum(CASE WHEN id = ? THEN usd_micros END), 0) AS mine
         FROM budget_reservations WHERE bucket = ?`),
      reservedLive: db.prepare<[string, number], number>(
        'SELECT coalesce(sum(usd_micros), 0) FROM budget_reservations WHERE bucket = ? AND expires_at > ?').pluck(),
      dropExpiredIn: db.prepare('DELETE FROM budget_reservations WHERE bucket = ? AND expires_at <= ?'),
      putReservation: db.prepare(`INSERT INTO budget_reservations (bucket, id, usd_micros, expires_at) VALUES (?, ?, ?, ?)
        ON CONFLICT (bucket, id) DO UPDATE SET usd_micros = excluded.usd_micros, expires_at = excluded.expires_at`),
      dropReservation: db.prepare('DELETE FROM budget_reservations WHERE bucket = ? AND id = ?'),
      sweepReservations: db.prepare('DELETE FROM budget_reservations WHERE expires_at <= ?'),

      insertUsage: db.prepare(`INSERT INTO usage (time, request_id, identity_kind, identity, metadata, route, model,
        target, provider, input_tokens, output_tokens, cost_usd, status, latency_ms, estimated)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    };
    this.#stmt = stmt;

    // IMMEDIATE everywhere: each read-check-write takes the write lock before reading, so a
    // second process on the same file can never read the same count and both pass.
    this.#tx = {
      hit: db.transaction((key: string, start: number, windowMs: number, limit: number, amount: number): WindowHit => {
        const count = stmt.counter.get(key, start) ?? 0;
        const resetAt = start + windowMs;
        if (count + amount > limit) return { allowed: false, count, resetAt };
        if (amount > 0) stmt.addCounter.run(key, start, amount, resetAt + windowMs);
        return { allowed: true, count: count + amount, resetAt };
      }),
      reserve: db.transaction((bucket: string, limit: number, amount: number, id: string, ttlMs: number): Reservation => {
        const now = Date.now();
        stmt.dropExpiredIn.run(bucket, now);
        const spent = stmt.spent.get(bucket) ?? 0;
        // Reserving again under the same id replaces that hold rather than adding to it.
        const { total, mine } = stmt.reserved.get(id, bucket) ?? { total: 0, mine: 0 };
        const others = total - mine;
        if (spent + others + amount > limit) {
          return { ok: false, spentUsd: fromMicros(spent), reservedUsd: fromMicros(total) };
        }
        stmt.putReservation.run(bucket, id, amount, now + ttlMs);
        return { ok: true, spentUsd: fromMicros(spent), reservedUsd: fromMicros(others + amount) };
      }),
      settle: db.transaction((bucket: string, id: string, actual: number) => {
        stmt.dropReservation.run(bucket, id);
        if (actual > 0) stmt.addSpent.run(bucket, actual);
      }),
      usage: db.transaction((entries: UsageEntry[]) => {
        for (const e of entries) {
          stmt.insertUsage.run(e.time, e.requestId, e.identityKind, e.identity, JSON.stringify(e.metadata), e.route,
            e.model, e.target, e.provider, e.inputTokens, e.outputTokens, e.costUsd, e.status, e.latencyMs,
            e.estimated ? 1 : 0);
        }
      }),
    };
  }

  // ---- keys

  insertKey(key: NewKey): void {
    try {
      this.#stmt.insertKey.run(key.id, key.name, key.prefix, key.hash, JSON.stringify(key.metadata), key.createdAt);
    } catch (err) {
      throw conflict(err, key) ?? err;
    }
  }

  findKeyByHash(hash: string): StoredKey | null {
    const row = this.#stmt.keyByHash.get(hash);
    return row ? keyFromRow(row) : null;
  }

  listKeys(filter: KeyFilter = {}): StoredKey[] {
    const where: string[] = [];
    const params: unknown[] = [];
    if (!filter.includeRevoked) where.push('revoked_at IS NULL');
    for (const [k, v] of Object.entries(filter.metadata ?? {})) {
      where.push('EXISTS (SELECT 1 FROM json_each(api_keys.metadata) WHERE key = ? AND value = ?)');
      params.push(k, v);
    }
    const sql = `SELECT * FROM api_keys ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`;
    return this.#db.prepare<unknown[], KeyRow>(sql).all(...params).map(keyFromRow);
  }

  revokeKey(idOrName: string): boolean {
    // An id wins over a name, so a key named like another key's id cannot shadow it.
    const now = Date.now();
    if (this.#stmt.revokeById.run(now, idOrName).changes > 0) return true;
    return this.#stmt.revokeByName.run(now, idOrName).changes > 0;
  }

  // ---- counters

  hit(key: string, windowMs: number, limit: number, amount: number, now: number): WindowHit {
    this.#sweep(now);
    return this.#tx.hit.immediate(key, windowStartOf(now, windowMs), windowMs, limit, Math.max(0, Math.round(amount)));
  }

  adjust(key: string, _windowMs: number, windowStart: number, delta: number): void {
    this.#stmt.adjustCounter.run(Math.round(delta), key, windowStart);
  }

  // ---- budgets

  reserve(bucket: string, limitUsd: number, amountUsd: number, reservationId: string, ttlMs: number): Reservation {
    return this.#tx.reserve.immediate(bucket, toMicros(limitUsd), Math.max(0, toMicros(amountUsd)), reservationId, ttlMs);
  }

  settle(bucket: string, reservationId: string, actualUsd: number): void {
    // Committed before returning: with WAL the commit is in the file's log, so kill -9 keeps it.
    this.#tx.settle.immediate(bucket, reservationId, Math.max(0, toMicros(actualUsd)));
  }

  release(bucket: string, reservationId: string): void {
    this.#stmt.dropReservation.run(bucket, reservationId);
  }

  budget(bucket: string): BudgetState {
    return {
      spentUsd: fromMicros(this.#stmt.spent.get(bucket) ?? 0),
      reservedUsd: fromMicros(this.#stmt.reservedLive.get(bucket, Date.now()) ?? 0),
    };
  }

  // ---- usage

  recordUsage(entry: UsageEntry): void {
    if (this.#closed) return;
    this.#pendingUsage.push(entry);
    // Committed now, like a budget settle in the same turn: an entry waiting for a later
    // turn could be lost to a kill -9 after its client already had the answer. (A WAL
    // commit without fsync costs some microseconds.)
    this.#flushUsage();
  }

  queryUsage(q: UsageQuery): UsageEntry[] | UsageGroup[] {
    this.#flushUsage();
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.from !== undefined) { where.push('time >= ?'); params.push(q.from); }
    if (q.to !== undefined) { where.push('time < ?'); params.push(q.to); }
    if (q.identity !== undefined) { where.push('identity = ?'); params.push(q.identity); }
    if (q.model !== undefined) { where.push('model = ?'); params.push(q.model); }
    for (const [k, v] of Object.entries(q.metadata ?? {})) {
      where.push('EXISTS (SELECT 1 FROM json_each(usage.metadata) WHERE key = ? AND value = ?)');
      params.push(k, v);
    }
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';

    if (q.groupBy === undefined) {
      const sql = `SELECT * FROM usage ${whereSql} ORDER BY time DESC, id DESC LIMIT ?`;
      return this.#db.prepare<unknown[], UsageRow>(sql).all(...params, usageLimit(q.limit)).map(usageFromRow);
    }
    const group = { day: "strftime('%Y-%m-%d', time / 1000, 'unixepoch')", model: 'model', key: 'identity' }[q.groupBy];
    const sql = `SELECT ${group} AS grp, count(*) AS calls, coalesce(sum(input_tokens), 0) AS input_tokens,
      coalesce(sum(output_tokens), 0) AS output_tokens, coalesce(sum(cost_usd), 0) AS cost_usd,
      sum(cost_usd IS NULL) AS unpriced
      FROM usage ${whereSql} GROUP BY grp ORDER BY grp`;
    return this.#db.prepare<unknown[], GroupRow>(sql).all(...params).map((r) => ({
      group: r.grp, calls: r.calls, inputTokens: r.input_tokens, outputTokens: r.output_tokens,
      costUsd: r.cost_usd, unpricedCalls: r.unpriced,
    }));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#flushUsage();
    this.#closed = true;
    this.#db.close();
  }

  #flushUsage(): void {
    if (this.#flushScheduled) { clearImmediate(this.#flushScheduled); this.#flushScheduled = null; }
    if (this.#pendingUsage.length === 0) return;
    const batch = this.#pendingUsage;
    this.#pendingUsage = [];
    try {
      this.#tx.usage.immediate(batch);
    } catch (err) {
      // Nobody awaits a batched write; the entries are lost, and the owner hears about it.
      this.#onError(err);
    }
  }

  /** Lazy cleanup: expired holds are already ignored by every read, so this only saves space. */
  #sweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    this.#stmt.sweepCounters.run(now);
    this.#stmt.sweepReservations.run(Date.now());
  }
}

function keyFromRow(r: KeyRow): StoredKey {
  return {
    id: r.id, name: r.name, prefix: r.prefix, metadata: JSON.parse(r.metadata) as Record<string, string>,
    createdAt: r.created_at, revokedAt: r.revoked_at,
  };
}

function usageFromRow(r: UsageRow): UsageEntry {
  return {
    time: r.time, requestId: r.request_id, identityKind: r.identity_kind, identity: r.identity,
    metadata: JSON.parse(r.metadata) as Record<string, string>, route: r.route, model: r.model, target: r.target,
    provider: r.provider, inputTokens: r.input_tokens, outputTokens: r.output_tokens, costUsd: r.cost_usd,
    status: r.status, latencyMs: r.latency_ms, estimated: r.estimated === 1,
  };
}

/** The StateConflictError for a unique-constraint failure on insertKey, or null for any other error. */
function conflict(err: unknown, key: NewKey): StateConflictError | null {
  if (!(err instanceof Database.SqliteError) || !err.code.startsWith('SQLITE_CONSTRAINT')) return null;
  if (err.message.includes('api_keys.name')) return new StateConflictError(`a live key named "${key.name}" already exists`);
  if (err.message.includes('api_keys.hash')) return new StateConflictError('a key with this hash already exists');
  if (err.message.includes('api_keys.id')) return new StateConflictError(`a key with id "${key.id}" already exists`);
  return null;
}
