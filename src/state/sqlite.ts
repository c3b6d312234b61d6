// The embedded state store: one SQLite file, for one gateway process. Every method is
// synchronous: better-sqlite3 answers in microseconds, so the hot path (key lookup, rate
// limit, budget) costs no promise and no event-loop turn.
//
// What must outlive the process is in the file: keys, the settled spend of budgets, the
// usage ledger, pinned definitions. What only matters while the process runs is in memory: rate-limit windows
// and live budget reservations (a reservation is the hold of a call in flight; a restart
// ends those calls). So a request costs no write transaction until it settles, and the
// settle is one. Other processes may read and write keys and read the ledger in the same
// file (the CLI does) but limits and budgets are only exact within the serving process:
// several replicas need the Redis + Postgres store.
//
// Durability: WAL with synchronous=NORMAL, and group commits (see #queueFlush): what the
// requests that ended in one event-loop turn settled is committed at the end of that turn,
// or, on a busy gateway, with the rest of a COMMIT_INTERVAL_MS window. A committed
// transaction survives the process being killed (kill -9); only an OS crash or power loss
// can lose the last commits, which is the usual trade for not calling fsync on every request.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type BetterSqlite3 from 'better-sqlite3';
import { migrateSqlite } from './migrations/sqlite.js';
import { callFields, fromMicros, toMicros, usageLimit, windowStartOf } from './shared.js';
import {
  StateConflictError,
  type BudgetState, type DefinitionPin, type KeyFilter, type NewKey, type Reservation, type StateStore, type StoredKey,
  type UsageEntry, type UsageGroup, type UsageQuery, type WindowHit,
} from './types.js';

export interface SqliteStoreOptions {
  /** Errors that have no caller to throw to (a failed batched usage write). Default: ignored. */
  readonly onError?: (err: unknown) => void;
  /** How long a write waits for another process holding the file's lock. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
}

/** Windows that ended are dropped from memory at most this often. */
const SWEEP_EVERY_MS = 60_000;

/** A busy gateway commits settles and ledger rows at most once per this interval (see #queueFlush). */
const COMMIT_INTERVAL_MS = 5;

/** The current window of one counter key. */
interface Window { start: number; windowMs: number; count: number }

/** The live reservations of one budget bucket. */
interface Holds {
  total: number;
  readonly items: Map<string, { micros: number; expiresAt: number }>;
  /** The earliest expiry among the items (Infinity when none): the holds are walked only once it passed. */
  nextExpiry: number;
}

interface KeyRow {
  id: string; name: string; prefix: string; metadata: string; created_at: number; revoked_at: number | null;
}

interface UsageRow {
  time: number; request_id: string; identity_kind: string; identity: string; metadata: string;
  route: string; model: string; target: string; provider: string;
  input_tokens: number | null; output_tokens: number | null; cost_usd: number | null;
  status: number; latency_ms: number; estimated: number; method: string | null; outcome: string | null;
}

interface PinRow {
  backend: string; source: string; name: string; fingerprint: string; definition: string; pinned_at: number;
}

interface GroupRow {
  grp: string; calls: number; input_tokens: number; output_tokens: number; cost_usd: number; unpriced: number;
}

export class SqliteStore implements StateStore {
  readonly kind = 'sqlite' as const;
  readonly shared = null;
  readonly #db: BetterSqlite3.Database;
  readonly #onError: (err: unknown) => void;
  readonly #stmt;
  readonly #tx;
  readonly #windows = new Map<string, Window>();
  readonly #holds = new Map<string, Holds>();
  /** Settled spend per bucket in micro-dollars, read from the file once, then kept up to date by settle. */
  readonly #spent = new Map<string, number>();
  /** Written by the next flush: spend to add per bucket, and ledger rows. */
  #pendingSpend = new Map<string, number>();
  #pendingUsage: UsageEntry[] = [];
  /** The next commit, when one is due (an immediate, or a timer within the interval). */
  #flushQueued = false;
  #flushTimer: NodeJS.Timeout | null = null;
  /** performance.now() of the last commit; -Infinity before the first. */
  #lastCommit = -Infinity;
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

      spent: db.prepare<[string], number>('SELECT usd_micros FROM budget_spend WHERE bucket = ?').pluck(),
      addSpent: db.prepare(`INSERT INTO budget_spend (bucket, usd_micros) VALUES (?, ?)
        ON CONFLICT (bucket) DO UPDATE SET usd_micros = usd_micros + excluded.usd_micros`),
      insertUsage: db.prepare(`INSERT INTO usage (time, request_id, identity_kind, identity, metadata, route, model,
        target, provider, input_tokens, output_tokens, cost_usd, status, latency_ms, estimated, method, outcome)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),

      pins: db.prepare<[string], PinRow>('SELECT * FROM definition_pins WHERE backend = ? ORDER BY source, name'),
      pin: db.prepare<[string, string, string], PinRow>('SELECT * FROM definition_pins WHERE backend = ? AND source = ? AND name = ?'),
      pinFirst: db.prepare(`INSERT INTO definition_pins (backend, source, name, fingerprint, definition, pinned_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (backend, source, name) DO NOTHING`),
      repin: db.prepare(`INSERT INTO definition_pins (backend, source, name, fingerprint, definition, pinned_at)
        VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (backend, source, name) DO UPDATE SET
        fingerprint = excluded.fingerprint, definition = excluded.definition, pinned_at = excluded.pinned_at`),
    };
    this.#stmt = stmt;

    this.#tx = {
      write: db.transaction((spend: Map<string, number>, entries: UsageEntry[]) => {
        for (const [bucket, micros] of spend) stmt.addSpent.run(bucket, micros);
        for (const e of entries) {
          stmt.insertUsage.run(e.time, e.requestId, e.identityKind, e.identity, JSON.stringify(e.metadata), e.route,
            e.model, e.target, e.provider, e.inputTokens, e.outputTokens, e.costUsd, e.status, e.latencyMs,
            e.estimated ? 1 : 0, e.method ?? null, e.outcome ?? null);
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

  // ---- definition pins (written at once: a pin is rare and must outlive the process)

  listPins(backend: string): DefinitionPin[] {
    return this.#stmt.pins.all(backend).map(pinFromRow);
  }

  pinFirst(pin: DefinitionPin): DefinitionPin {
    this.#stmt.pinFirst.run(pin.backend, pin.source, pin.name, pin.fingerprint, pin.definition, pin.pinnedAt);
    return pinFromRow(this.#stmt.pin.get(pin.backend, pin.source, pin.name)!);
  }

  repin(pin: DefinitionPin): void {
    this.#stmt.repin.run(pin.backend, pin.source, pin.name, pin.fingerprint, pin.definition, pin.pinnedAt);
  }

  // ---- counters (in memory: see the file comment)

  hit(key: string, windowMs: number, limit: number, amount: number, now: number): WindowHit {
    this.#sweep(now);
    const start = windowStartOf(now, windowMs);
    let w = this.#windows.get(key);
    if (w === undefined || w.start !== start || w.windowMs !== windowMs) {
      w = { start, windowMs, count: 0 };
      this.#windows.set(key, w);
    }
    const resetAt = start + windowMs;
    const add = Math.max(0, Math.round(amount));
    if (w.count + add > limit) return { allowed: false, count: w.count, resetAt };
    w.count += add;
    return { allowed: true, count: w.count, resetAt };
  }

  adjust(key: string, windowMs: number, windowStart: number, delta: number): void {
    const w = this.#windows.get(key);
    // A window already gone is left alone.
    if (w === undefined || w.start !== windowStart || w.windowMs !== windowMs) return;
    w.count = Math.max(0, w.count + Math.round(delta));
  }

  // ---- budgets: holds in memory, spend in the file

  reserve(bucket: string, limitUsd: number, amountUsd: number, reservationId: string, ttlMs: number): Reservation {
    const now = Date.now();
    const limit = toMicros(limitUsd);
    const amount = Math.max(0, toMicros(amountUsd));
    const spent = this.#spentOf(bucket);
    const holds = this.#liveHolds(bucket, now);
    // Reserving again under the same id replaces that hold rather than adding to it.
    const mine = holds.items.get(reservationId)?.micros ?? 0;
    const others = holds.total - mine;
    if (spent + others + amount > limit) return { ok: false, spentUsd: fromMicros(spent), reservedUsd: fromMicros(holds.total) };
    holds.items.set(reservationId, { micros: amount, expiresAt: now + ttlMs });
    holds.total = others + amount;
    holds.nextExpiry = Math.min(holds.nextExpiry, now + ttlMs);
    return { ok: true, spentUsd: fromMicros(spent), reservedUsd: fromMicros(holds.total) };
  }

  settle(bucket: string, reservationId: string, actualUsd: number): void {
    this.#drop(bucket, reservationId);
    const actual = Math.max(0, toMicros(actualUsd));
    if (actual === 0) return;
    this.#spent.set(bucket, this.#spentOf(bucket) + actual);
    this.#pendingSpend.set(bucket, (this.#pendingSpend.get(bucket) ?? 0) + actual);
    this.#queueFlush();
  }

  release(bucket: string, reservationId: string): void {
    this.#drop(bucket, reservationId);
  }

  budget(bucket: string): BudgetState {
    return { spentUsd: fromMicros(this.#spentOf(bucket)), reservedUsd: fromMicros(this.#liveHolds(bucket, Date.now()).total) };
  }

  #spentOf(bucket: string): number {
    let v = this.#spent.get(bucket);
    if (v === undefined) {
      v = this.#stmt.spent.get(bucket) ?? 0;
      this.#spent.set(bucket, v);
    }
    return v;
  }

  /** The bucket's holds, the expired ones dropped (a call that never settled: its process path died). */
  #liveHolds(bucket: string, now: number): Holds {
    let h = this.#holds.get(bucket);
    if (h === undefined) {
      h = { total: 0, items: new Map(), nextExpiry: Infinity };
      this.#holds.set(bucket, h);
      return h;
    }
    if (now < h.nextExpiry) return h;
    let next = Infinity;
    for (const [id, hold] of h.items) {
      if (hold.expiresAt > now) { next = Math.min(next, hold.expiresAt); continue; }
      h.items.delete(id);
      h.total -= hold.micros;
    }
    h.nextExpiry = next;
    return h;
  }

  #drop(bucket: string, id: string): void {
    const h = this.#holds.get(bucket);
    const hold = h?.items.get(id);
    if (h === undefined || hold === undefined) return;
    h.items.delete(id);
    h.total -= hold.micros;
    if (h.items.size === 0) this.#holds.delete(bucket);
  }

  // ---- usage

  recordUsage(entry: UsageEntry): void {
    if (this.#closed) return;
    this.#pendingUsage.push(entry);
    this.#queueFlush();
  }

  /**
   * Settles and ledger rows are committed together, in group commits. A gateway that has not
   * committed within the last COMMIT_INTERVAL_MS commits at the end of the event-loop turn in
   * which they were made (every request that ended in that turn in one transaction); a busy
   * one gathers what ends before the interval is over into the next commit, on a timer. A
   * commit costs ~30-40 µs of CPU whatever it holds (mostly system calls): taken per turn, on
   * a gateway answering one call after another, it ran right after each answer, as the
   * client sent its next request, and was a good part of the call's cost. The price: a kill
   * -9 can lose what the current turn settled, and on a busy gateway what the last
   * COMMIT_INTERVAL_MS settled.
   */
  #queueFlush(): void {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    const wait = this.#lastCommit + COMMIT_INTERVAL_MS - performance.now();
    if (wait <= 0) setImmediate(this.#flushDue);
    else this.#flushTimer = setTimeout(this.#flushDue, wait);
  }

  readonly #flushDue = (): void => {
    this.#flushTimer = null;
    if (this.#flushQueued) this.#flush();
  };

  queryUsage(q: UsageQuery): UsageEntry[] | UsageGroup[] {
    this.#flush();
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
    this.#flush();
    this.#closed = true;
    this.#db.close();
  }

  #flush(): void {
    this.#flushQueued = false;
    if (this.#flushTimer !== null) { clearTimeout(this.#flushTimer); this.#flushTimer = null; }
    if (this.#closed || (this.#pendingSpend.size === 0 && this.#pendingUsage.length === 0)) return;
    this.#lastCommit = performance.now();
    const spend = this.#pendingSpend;
    const usage = this.#pendingUsage;
    this.#pendingSpend = new Map();
    this.#pendingUsage = [];
    try {
      this.#tx.write.immediate(spend, usage);
    } catch (err) {
      // Nobody awaits this write: the owner hears about it. The spend stays counted in memory.
      this.#onError(err);
    }
  }

  /** Drops windows that ended (one entry per key otherwise stays forever). */
  #sweep(now: number): void {
    if (now - this.#lastSweep < SWEEP_EVERY_MS) return;
    this.#lastSweep = now;
    for (const [key, w] of this.#windows) if (w.start + w.windowMs < now) this.#windows.delete(key);
  }
}

function keyFromRow(r: KeyRow): StoredKey {
  return {
    id: r.id, name: r.name, prefix: r.prefix, metadata: JSON.parse(r.metadata) as Record<string, string>,
    createdAt: r.created_at, revokedAt: r.revoked_at,
  };
}

function pinFromRow(r: PinRow): DefinitionPin {
  return { backend: r.backend, source: r.source, name: r.name, fingerprint: r.fingerprint, definition: r.definition, pinnedAt: r.pinned_at };
}

function usageFromRow(r: UsageRow): UsageEntry {
  return {
    time: r.time, requestId: r.request_id, identityKind: r.identity_kind, identity: r.identity,
    metadata: JSON.parse(r.metadata) as Record<string, string>, route: r.route, model: r.model, target: r.target,
    provider: r.provider, inputTokens: r.input_tokens, outputTokens: r.output_tokens, costUsd: r.cost_usd,
    status: r.status, latencyMs: r.latency_ms, estimated: r.estimated === 1, ...callFields(r.method, r.outcome),
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
