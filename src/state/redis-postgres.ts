// Shared state for several replicas. Redis holds what must be atomic and fast across
// replicas: rate-limit windows and live budget reservations, each changed by one Lua script.
// Postgres holds what must last: keys, the settled spend of every budget, the usage ledger
// and pinned definitions.
//
// Spend: Postgres is the truth (budget_spend: bucket, usd_micros, version). Redis keeps a
// cached copy next to the reservations so reserve stays one script call. The cache is only
// ever *replaced* by a Postgres snapshot (total + version), never incremented, and a script
// keeps the copy with the highest version. So:
// - settle writes Postgres first (the durable step), then one script drops the hold and
//   stores the snapshot the upsert returned. A crash between the two never double counts:
//   the hold expires by its ttl, and the cache catches up at the bucket's next settle or
//   when it expires (spendCacheTtlMs), whichever is first.
// - a cache miss (new bucket, cache expired, Redis restarted or flushed) loads the row from
//   Postgres; a load that raced a settle carries the lower version and is ignored.
// A Redis restart therefore loses only live reservations (calls then in flight), never spend.
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pg from 'pg';
import { migratePostgres } from './migrations/postgres.js';
import { callFields, fromMicros, toMicros, usageLimit, windowStartOf } from './shared.js';
import { RedisSharedKv } from './shared-kv.js';
import {
  StateConflictError,
  type BudgetState, type DefinitionPin, type KeyFilter, type NewKey, type Reservation, type StateStore, type StoredKey,
  type UsageEntry, type UsageGroup, type UsageQuery, type WindowHit,
} from './types.js';

export interface RedisPostgresOptions {
  readonly redisUrl: string;
  readonly postgresUrl: string;
  /** Prefix of every Redis key. Default "agentedge:". */
  readonly prefix?: string;
  /** How long Redis keeps a bucket's spent copy before reading Postgres again. Default 60 s. */
  readonly spendCacheTtlMs?: number;
  /** Errors that have no caller to throw to (connection drops, a failed batched usage write). */
  readonly onError?: (err: unknown) => void;
}

const DEFAULT_PREFIX = 'agentedge:';
/** Usage rows per INSERT; the batch travels as one JSON parameter. */
const USAGE_BATCH_MAX = 5000;
/** Unwritten usage kept while Postgres is unreachable; the oldest are dropped beyond it. */
const USAGE_BUFFER_MAX = 100_000;
const USAGE_RETRY_MS = 1000;
/**
 * Usage entries wait at most this long for the INSERT that writes them, so a quiet replica
 * writes one row set per interval instead of one per call (a Postgres round trip each).
 */
const USAGE_FLUSH_MS = 100;
/** A budget's settles are written to Postgres at most once per this interval (see #startSettle). */
const SETTLE_INTERVAL_MS = 20;
/** Leases (leases.ts) are granted only while at least this many calls' worth is left… */
const LEASE_MIN_CALLS = 64;
/** …and each is at most this fraction of what is left. */
const LEASE_SHARE = 16;

// Drops the bucket's expired holds (the sorted set scores holds by expiry) and sums the rest.
const LIVE_HOLDS_LUA = `
local function live_holds(holds, expiry, now)
  repeat
    local gone = redis.call('ZRANGEBYSCORE', expiry, '-inf', now, 'LIMIT', 0, 500)
    if #gone > 0 then
      redis.call('HDEL', holds, unpack(gone))
      redis.call('ZREM', expiry, unpack(gone))
    end
  until #gone < 500
  local total = 0
  for _, v in ipairs(redis.call('HVALS', holds)) do total = total + tonumber(v) end
  return total
end
`;

// Keeps the Postgres snapshot with the highest version; answers nothing.
const STORE_SPENT_LUA = `
local function store_spent(key, micros, version, ttl)
  local v = redis.call('HGET', key, 'v')
  if (not v) or tonumber(v) < tonumber(version) then
    redis.call('HSET', key, 'micros', micros, 'v', version)
    redis.call('PEXPIRE', key, ttl)
  end
end
`;

// What a lease step grants out of `free`: nothing when even `need` does not fit (refused);
// else what the waiting calls ask for, as far as it fits, plus an extra ahead of need: none
// once fewer than LEASE_MIN_CALLS calls' worth would be left (the end of a window or budget
// goes call by call, exactly), else what the replica wants, at most 1/LEASE_SHARE of the rest.
const LEASE_GRANT_LUA = `
local function lease_grant(free, need, ask, want, unit)
  need, ask, want, unit = tonumber(need), tonumber(ask), tonumber(want), tonumber(unit)
  if need > free then return 0, 0 end
  local grant = math.max(0, math.min(ask, free))
  local left = free - grant
  if want > 0 and left >= ${LEASE_MIN_CALLS} * math.max(unit, 1) then
    grant = grant + math.min(want, math.floor(left / ${LEASE_SHARE}))
  end
  return grant, 1
end
`;

const SCRIPTS = {
  // KEYS: counter. ARGV: limit, amount, expireAt. → {allowed, count}
  aeHit: {
    numberOfKeys: 1,
    lua: `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[2])
if count + amount > tonumber(ARGV[1]) then return {0, count} end
if amount > 0 then
  count = redis.call('INCRBY', KEYS[1], amount)
  if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIREAT', KEYS[1], ARGV[3]) end
end
return {1, count}`,
  },
  // KEYS: counter. ARGV: delta. A window already gone stays gone; the count stops at 0.
  aeAdjust: {
    numberOfKeys: 1,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local count = redis.call('INCRBY', KEYS[1], ARGV[1])
if count < 0 then redis.call('INCRBY', KEYS[1], -count) end
return 1`,
  },
  // KEYS: spent, holds, expiry. ARGV: limit, amount, id, now, expiresAt.
  // → {-1} when spent is not cached (load it and retry), else {ok, spent, reserved}.
  aeReserve: {
    numberOfKeys: 3,
    lua: `${LIVE_HOLDS_LUA}
local spent = redis.call('HGET', KEYS[1], 'micros')
if not spent then return {-1, 0, 0} end
spent = tonumber(spent)
local total = live_holds(KEYS[2], KEYS[3], ARGV[4])
local mine = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0')
local amount = tonumber(ARGV[2])
if spent + total - mine + amount > tonumber(ARGV[1]) then return {0, spent, total} end
redis.call('HSET', KEYS[2], ARGV[3], amount)
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[3])
-- The hold keys live as long as their latest hold (plus a minute), then vanish with it.
local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
local until_ms = string.format('%d', tonumber(last[2]) + 60000)
redis.call('PEXPIREAT', KEYS[2], until_ms)
redis.call('PEXPIREAT', KEYS[3], until_ms)
return {1, spent, total - mine + amount}`,
  },
  // KEYS: spent. ARGV: micros, version, ttlMs.
  aeLoadSpent: {
    numberOfKeys: 1,
    lua: `${STORE_SPENT_LUA}
store_spent(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return 1`,
  },
  // KEYS: spent, holds, expiry. ARGV: micros, version, ttlMs (the snapshot Postgres returned),
  // lease id ('' for none) and what to take off its hold (the settled calls it admitted), then
  // the settled ids.
  aeSettle: {
    numberOfKeys: 3,
    lua: `${STORE_SPENT_LUA}
for i = 6, #ARGV do
  redis.call('HDEL', KEYS[2], ARGV[i])
  redis.call('ZREM', KEYS[3], ARGV[i])
end
if ARGV[4] ~= '' then
  local left = redis.call('HINCRBY', KEYS[2], ARGV[4], -tonumber(ARGV[5]))
  if left <= 0 then
    redis.call('HDEL', KEYS[2], ARGV[4])
    redis.call('ZREM', KEYS[3], ARGV[4])
  end
end
store_spent(KEYS[1], ARGV[1], ARGV[2], ARGV[3])
return 1`,
  },
  // A replica's lease on a window (see leases.ts). KEYS: counter. ARGV: limit, give (units
  // handed back; negative adds a debt), need (the least worth granting), ask (what the calls
  // waiting want), want (extra asked for ahead of need), unit (one call's size), expireAt.
  // → {granted (between need and ask, plus the extra; 0 when refused), ok, count after}.
  aeLeaseCounter: {
    numberOfKeys: 1,
    lua: `${LEASE_GRANT_LUA}
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local changed = false
local give = tonumber(ARGV[2])
if give ~= 0 then
  count = math.max(0, count - give)
  changed = true
end
local grant, ok = lease_grant(tonumber(ARGV[1]) - count, ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if grant > 0 then count = count + grant; changed = true end
if changed then redis.call('SET', KEYS[1], string.format('%d', count), 'PXAT', ARGV[7]) end
return {grant, ok, count}`,
  },
  // A replica's lease on a budget: one hold named by the lease id, in the same hash as the
  // per-call holds. KEYS: spent, holds, expiry. ARGV: limit, give, need, ask, want, unit (all
  // micros), lease id, now, expiresAt.
  // → {-1} when spent is not cached, else {granted, ok, spent, reserved, the lease's hold after}.
  aeLeaseBudget: {
    numberOfKeys: 3,
    lua: `${LIVE_HOLDS_LUA}${LEASE_GRANT_LUA}
local spent = redis.call('HGET', KEYS[1], 'micros')
if not spent then return {-1, 0, 0, 0, 0} end
spent = tonumber(spent)
local total = live_holds(KEYS[2], KEYS[3], ARGV[8])
local before = tonumber(redis.call('HGET', KEYS[2], ARGV[7]) or '0')
local mine = math.max(0, before - tonumber(ARGV[2]))
local grant, ok = lease_grant(tonumber(ARGV[1]) - spent - (total - before + mine), ARGV[3], ARGV[4], ARGV[5], ARGV[6])
mine = mine + grant
if mine > 0 then
  redis.call('HSET', KEYS[2], ARGV[7], string.format('%d', mine))
  redis.call('ZADD', KEYS[3], ARGV[9], ARGV[7])
  local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')
  local until_ms = string.format('%d', tonumber(last[2]) + 60000)
  redis.call('PEXPIREAT', KEYS[2], until_ms)
  redis.call('PEXPIREAT', KEYS[3], until_ms)
elseif before > 0 then
  redis.call('HDEL', KEYS[2], ARGV[7])
  redis.call('ZREM', KEYS[3], ARGV[7])
end
return {grant, ok, spent, total - before + mine, mine}`,
  },
  // KEYS: spent, holds, expiry. ARGV: now. → {-1} when spent is not cached, else {spent, reserved}.
  aeBudget: {
    numberOfKeys: 3,
    lua: `${LIVE_HOLDS_LUA}
local spent = redis.call('HGET', KEYS[1], 'micros')
if not spent then return {-1, 0} end
return {tonumber(spent), live_holds(KEYS[2], KEYS[3], ARGV[1])}`,
  },
} as const;

type Arg = string | number;
/** The methods ioredis adds for SCRIPTS (defineCommand runs them with EVALSHA, falling back to EVAL once). */
interface ScriptCommands {
  aeHit(...args: Arg[]): Promise<[number, number]>;
  aeAdjust(...args: Arg[]): Promise<number>;
  aeReserve(...args: Arg[]): Promise<[number, number, number]>;
  aeLoadSpent(...args: Arg[]): Promise<number>;
  aeSettle(...args: Arg[]): Promise<number>;
  aeLeaseCounter(...args: Arg[]): Promise<[number, number, number]>;
  aeLeaseBudget(...args: Arg[]): Promise<[number, number, number, number, number]>;
  aeBudget(...args: Arg[]): Promise<[number, number]>;
}

/** One lease step's request (integer units; micros for budgets). */
export interface LeaseAsk {
  /** Handed back first (negative: a debt added). */
  readonly give: number;
  /** The least worth granting: when it does not fit, nothing is granted (refused). */
  readonly need: number;
  /** What the waiting calls need in all: granted as far as it fits. */
  readonly ask: number;
  /** Extra ahead of need, granted only far from the limit. */
  readonly want: number;
  /** One call's size, to tell how far from the limit is far. */
  readonly unit: number;
}

/** What one lease step on a window answered. */
export interface CounterLeaseStep {
  /** Units granted (need + extra), 0 when refused. */
  readonly granted: number;
  readonly ok: boolean;
  /** The window's count after the step (every replica's leases included). */
  readonly count: number;
}

/** What one lease step on a budget answered (micros). */
export interface BudgetLeaseStep {
  readonly granted: number;
  readonly ok: boolean;
  readonly spent: number;
  /** Every hold, every replica's leases included. */
  readonly reserved: number;
  /** This lease's hold after the step, as Redis has it. */
  readonly held: number;
}

interface KeyRow {
  id: string; name: string; prefix: string; metadata: Record<string, string>; created_at: string; revoked_at: string | null;
}

interface UsageRow {
  time: number; request_id: string; identity_kind: string; identity: string; metadata: Record<string, string>;
  route: string; model: string; target: string; provider: string;
  input_tokens: number | null; output_tokens: number | null; cost_usd: number | null;
  status: number; latency_ms: number; estimated: boolean; method: string | null; outcome: string | null;
}

interface PinRow {
  backend: string; source: string; name: string; fingerprint: string; definition: string; pinned_at: string;
}

interface GroupRow {
  grp: string; calls: number; input_tokens: number; output_tokens: number; cost_usd: number; unpriced: number;
}

interface PendingSettles {
  micros: number;
  readonly ids: string[];
  /** The part of `micros` that calls admitted from this replica's lease spent (taken off its hold). */
  leaseMicros: number;
  leaseId: string;
  readonly waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

export class RedisPostgresStore implements StateStore {
  readonly kind = 'redis+postgres' as const;
  /** Client sessions and the like, for the replicas to share (shared-kv.ts). */
  readonly shared: RedisSharedKv;
  readonly #redis: Redis & ScriptCommands;
  readonly #pool: pg.Pool;
  readonly #prefix: string;
  readonly #spendTtl: number;
  readonly #onError: (err: unknown) => void;
  /** Spend loads in flight per bucket: concurrent misses share one Postgres read. */
  readonly #loading = new Map<string, Promise<void>>();
  /** Settles waiting for their bucket's write in flight to finish (see settle). */
  readonly #settlesPending = new Map<string, PendingSettles>();
  /** Buckets with a settle write in flight, and the promise of it. */
  readonly #settlesRunning = new Map<string, Promise<void>>();
  /** When each bucket's last settle write started (see #startSettle). */
  readonly #lastSettleWrite = new Map<string, number>();
  #pendingUsage: UsageEntry[] = [];
  #flushTimer: NodeJS.Timeout | null = null;
  /** Set while a failed usage write waits to be tried again. */
  #retryTimer: NodeJS.Timeout | null = null;
  /** The last usage write; writes are chained so they keep their order and close() can wait. */
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;

  /** Connects to both, runs the Postgres migrations, and answers once both work. */
  static async open(opts: RedisPostgresOptions): Promise<RedisPostgresStore> {
    const onError = opts.onError ?? (() => {});
    const redis = new Redis(opts.redisUrl, {
      lazyConnect: true,
      // Fail a command after a couple of reconnect attempts instead of queueing it for ever:
      // a request waiting on an unreachable Redis should get an error, not hang.
      maxRetriesPerRequest: 2,
      // Commands issued in the same event-loop turn (many requests at once) go out in one
      // write: a socket write costs more than the script it carries (bench/README.md).
      enableAutoPipelining: true,
    });
    // Without a listener ioredis prints every connection error itself.
    redis.on('error', onError);
    const pool = new pg.Pool({ connectionString: opts.postgresUrl, max: 10 });
    // An idle client losing its connection emits here; the next query reconnects.
    pool.on('error', onError);
    try {
      await redis.connect();
      await migratePostgres(pool);
    } catch (err) {
      redis.disconnect();
      await pool.end().catch(() => {});
      throw err;
    }
    return new RedisPostgresStore(redis, pool, opts, onError);
  }

  private constructor(redis: Redis, pool: pg.Pool, opts: RedisPostgresOptions, onError: (err: unknown) => void) {
    for (const [name, def] of Object.entries(SCRIPTS)) redis.defineCommand(name, def);
    this.#redis = redis as Redis & ScriptCommands;
    this.#pool = pool;
    this.#prefix = opts.prefix ?? DEFAULT_PREFIX;
    this.#spendTtl = opts.spendCacheTtlMs ?? 60_000;
    this.#onError = onError;
    this.shared = new RedisSharedKv(redis, this.#prefix);
  }

  // ---- keys

  async insertKey(key: NewKey): Promise<void> {
    try {
      await this.#pool.query(
        'INSERT INTO api_keys (id, name, prefix, hash, metadata, created_at) VALUES ($1, $2, $3, $4, $5, $6)',
        [key.id, key.name, key.prefix, key.hash, JSON.stringify(key.metadata), key.createdAt]);
    } catch (err) {
      throw conflict(err, key) ?? err;
    }
  }

  async findKeyByHash(hash: string): Promise<StoredKey | null> {
    const { rows } = await this.#pool.query<KeyRow>('SELECT * FROM api_keys WHERE hash = $1 AND revoked_at IS NULL', [hash]);
    return rows[0] ? keyFromRow(rows[0]) : null;
  }

  async listKeys(filter: KeyFilter = {}): Promise<StoredKey[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (!filter.includeRevoked) where.push('revoked_at IS NULL');
    if (filter.metadata && Object.keys(filter.metadata).length > 0) {
      params.push(JSON.stringify(filter.metadata));
      where.push(`metadata @> $${params.length}::jsonb`);
    }
    const sql = `SELECT * FROM api_keys ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`;
    const { rows } = await this.#pool.query<KeyRow>(sql, params);
    return rows.map(keyFromRow);
  }

  async revokeKey(idOrName: string): Promise<boolean> {
    // An id wins over a name, so a key named like another key's id cannot shadow it.
    const now = Date.now();
    const byId = await this.#pool.query('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, idOrName]);
    if ((byId.rowCount ?? 0) > 0) return true;
    const byName = await this.#pool.query('UPDATE api_keys SET revoked_at = $1 WHERE name = $2 AND revoked_at IS NULL', [now, idOrName]);
    return (byName.rowCount ?? 0) > 0;
  }

  // ---- definition pins (Postgres only: read when a backend starts, written when one is pinned or approved)

  async listPins(backend: string): Promise<DefinitionPin[]> {
    const { rows } = await this.#pool.query<PinRow>('SELECT * FROM definition_pins WHERE backend = $1 ORDER BY source, name', [backend]);
    return rows.map(pinFromRow);
  }

  async pinFirst(pin: DefinitionPin): Promise<DefinitionPin> {
    const values = [pin.backend, pin.source, pin.name, pin.fingerprint, pin.definition, pin.pinnedAt];
    const inserted = await this.#pool.query<PinRow>(
      `INSERT INTO definition_pins (backend, source, name, fingerprint, definition, pinned_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (backend, source, name) DO NOTHING RETURNING *`, values);
    if (inserted.rows[0] !== undefined) return pinFromRow(inserted.rows[0]);
    // Another replica was first: its pin holds. A statement of its own, so it sees that commit.
    const { rows } = await this.#pool.query<PinRow>(
      'SELECT * FROM definition_pins WHERE backend = $1 AND source = $2 AND name = $3', [pin.backend, pin.source, pin.name]);
    return pinFromRow(rows[0]!);
  }

  async repin(pin: DefinitionPin): Promise<void> {
    await this.#pool.query(
      `INSERT INTO definition_pins (backend, source, name, fingerprint, definition, pinned_at) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (backend, source, name) DO UPDATE SET
       fingerprint = excluded.fingerprint, definition = excluded.definition, pinned_at = excluded.pinned_at`,
      [pin.backend, pin.source, pin.name, pin.fingerprint, pin.definition, pin.pinnedAt]);
  }

  // ---- counters

  async hit(key: string, windowMs: number, limit: number, amount: number, now: number): Promise<WindowHit> {
    const start = windowStartOf(now, windowMs);
    const resetAt = start + windowMs;
    // The key outlives its window by one more window so a late adjust() still finds it.
    const [allowed, count] = await this.#redis.aeHit(this.#counterKey(key, start), limit,
      Math.max(0, Math.round(amount)), resetAt + windowMs);
    return { allowed: allowed === 1, count, resetAt };
  }

  async adjust(key: string, _windowMs: number, windowStart: number, delta: number): Promise<void> {
    await this.#redis.aeAdjust(this.#counterKey(key, windowStart), Math.round(delta));
  }

  // ---- budgets

  async reserve(bucket: string, limitUsd: number, amountUsd: number, reservationId: string, ttlMs: number): Promise<Reservation> {
    const k = this.#budgetKeys(bucket);
    const amount = Math.max(0, toMicros(amountUsd));
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = Date.now();
      const [ok, spent, reserved] = await this.#redis.aeReserve(k.spent, k.holds, k.expiry,
        toMicros(limitUsd), amount, reservationId, now, now + ttlMs);
      if (ok !== -1) return { ok: ok === 1, spentUsd: fromMicros(spent), reservedUsd: fromMicros(reserved) };
      await this.#loadSpent(bucket);
    }
    throw new Error(`budget ${bucket}: the spent amount could not be cached in Redis`);
  }

  /**
   * Settles go to Postgres one write per bucket at a time, and at most one per
   * SETTLE_INTERVAL_MS: the settles that arrive meanwhile are summed into its next write
   * (one upsert, one Redis script for all of them). Under load a bucket (a team's budget)
   * would otherwise be one row that every request's commit queues on, each holding a pool
   * connection meanwhile. A settle's promise resolves once its write committed.
   */
  settle(bucket: string, reservationId: string, actualUsd: number): Promise<void> {
    const actual = Math.max(0, toMicros(actualUsd));
    if (actual === 0) return this.release(bucket, reservationId);
    const p = this.#pendingSettle(bucket);
    p.micros += actual;
    p.ids.push(reservationId);
    return this.#awaitSettle(bucket, p);
  }

  /**
   * The settle of a call admitted from the lease `leaseId` (leases.ts): the actual cost is
   * spent, as by settle, and taken off the lease's hold in the same Redis script.
   */
  settleLeased(bucket: string, leaseId: string, actualMicros: number): Promise<void> {
    const p = this.#pendingSettle(bucket);
    p.micros += actualMicros;
    p.leaseMicros += actualMicros;
    p.leaseId = leaseId;
    return this.#awaitSettle(bucket, p);
  }

  #pendingSettle(bucket: string): PendingSettles {
    let p = this.#settlesPending.get(bucket);
    if (p === undefined) {
      p = { micros: 0, ids: [], leaseMicros: 0, leaseId: '', waiters: [] };
      this.#settlesPending.set(bucket, p);
    }
    return p;
  }

  #awaitSettle(bucket: string, pending: PendingSettles): Promise<void> {
    const done = new Promise<void>((resolve, reject) => { pending.waiters.push({ resolve, reject }); });
    if (!this.#settlesRunning.has(bucket)) this.#startSettle(bucket);
    return done;
  }

  /**
   * Starts the bucket's next write: at once when its last one started SETTLE_INTERVAL_MS ago
   * or more (a quiet budget's settle is durable a round trip after the call), else when that
   * much has passed, every settle meanwhile joining it (a busy budget costs one Postgres
   * write per interval, not one per call).
   */
  #startSettle(bucket: string): void {
    const wait = (this.#lastSettleWrite.get(bucket) ?? 0) + SETTLE_INTERVAL_MS - Date.now();
    const run = (wait > 0 ? sleep(wait) : Promise.resolve()).then(() => {
      const p = this.#settlesPending.get(bucket);
      if (p === undefined) return;
      this.#settlesPending.delete(bucket);
      this.#noteSettleWrite(bucket);
      return this.#writeSettle(bucket, p).then(
        () => { for (const w of p.waiters) w.resolve(); },
        (err: unknown) => { for (const w of p.waiters) w.reject(err); },
      );
    }).finally(() => {
      this.#settlesRunning.delete(bucket);
      if (this.#settlesPending.has(bucket)) this.#startSettle(bucket);
    });
    this.#settlesRunning.set(bucket, run);
  }

  #noteSettleWrite(bucket: string): void {
    const now = Date.now();
    if (this.#lastSettleWrite.size > 1000) {
      for (const [b, at] of this.#lastSettleWrite) if (now - at >= SETTLE_INTERVAL_MS) this.#lastSettleWrite.delete(b);
    }
    this.#lastSettleWrite.set(bucket, now);
  }

  async #writeSettle(bucket: string, p: PendingSettles): Promise<void> {
    // Postgres first: once this commits the spend is durable, and it is counted only here.
    const { rows } = await this.#pool.query<{ usd_micros: string; version: string }>(
      `INSERT INTO budget_spend (bucket, usd_micros, version) VALUES ($1, $2, 1)
       ON CONFLICT (bucket) DO UPDATE
         SET usd_micros = budget_spend.usd_micros + excluded.usd_micros, version = budget_spend.version + 1
       RETURNING usd_micros, version`, [bucket, p.micros]);
    const snapshot = rows[0];
    if (!snapshot) throw new Error('budget_spend upsert returned no row');
    const k = this.#budgetKeys(bucket);
    try {
      await this.#redis.aeSettle(k.spent, k.holds, k.expiry, snapshot.usd_micros, snapshot.version, this.#spendTtl,
        p.leaseId, p.leaseMicros, ...p.ids);
    } catch (err) {
      // Not thrown: the spend is already durable, and a caller retrying settle would count
      // it twice. The holds expire by their ttl; the cached spent heals at the next settle or
      // load (see the top of this file).
      this.#onError(err);
    }
  }

  // ---- leases (leases.ts keeps the replica's side)

  /**
   * One lease step on the window of `key` that starts at `windowStart`: hands back `give`
   * units (negative: adds them), then grants between `need` and `ask` units, as many as fit,
   * plus up to `want` more ahead of need (see LEASE_GRANT_LUA); nothing when `need` does not fit.
   */
  async leaseCounter(key: string, windowMs: number, windowStart: number, limit: number, step: LeaseAsk): Promise<CounterLeaseStep> {
    const [granted, ok, count] = await this.#redis.aeLeaseCounter(this.#counterKey(key, windowStart),
      limit, step.give, step.need, step.ask, step.want, step.unit, windowStart + 2 * windowMs);
    return { granted, ok: ok === 1, count };
  }

  /** The same on a budget (micros): the lease is a hold named `leaseId` that expires at `expiresAt` unless renewed. */
  async leaseBudget(bucket: string, leaseId: string, limitMicros: number, step: LeaseAsk, expiresAt: number): Promise<BudgetLeaseStep> {
    const k = this.#budgetKeys(bucket);
    for (let attempt = 0; attempt < 3; attempt++) {
      const [granted, ok, spent, reserved, held] = await this.#redis.aeLeaseBudget(k.spent, k.holds, k.expiry,
        limitMicros, step.give, step.need, step.ask, step.want, step.unit, leaseId, Date.now(), expiresAt);
      if (granted !== -1) return { granted, ok: ok === 1, spent, reserved, held };
      await this.#loadSpent(bucket);
    }
    throw new Error(`budget ${bucket}: the spent amount could not be cached in Redis`);
  }

  async release(bucket: string, reservationId: string): Promise<void> {
    const k = this.#budgetKeys(bucket);
    await this.#redis.multi().hdel(k.holds, reservationId).zrem(k.expiry, reservationId).exec();
  }

  async budget(bucket: string): Promise<BudgetState> {
    const k = this.#budgetKeys(bucket);
    for (let attempt = 0; attempt < 3; attempt++) {
      const [spent, reserved] = await this.#redis.aeBudget(k.spent, k.holds, k.expiry, Date.now());
      if (spent !== -1) return { spentUsd: fromMicros(spent), reservedUsd: fromMicros(reserved) };
      await this.#loadSpent(bucket);
    }
    throw new Error(`budget ${bucket}: the spent amount could not be cached in Redis`);
  }

  /** Copies the bucket's spend from Postgres into Redis (unless a newer copy is already there). */
  #loadSpent(bucket: string): Promise<void> {
    let loading = this.#loading.get(bucket);
    if (!loading) {
      loading = (async () => {
        const { rows } = await this.#pool.query<{ usd_micros: string; version: string }>(
          'SELECT usd_micros, version FROM budget_spend WHERE bucket = $1', [bucket]);
        const row = rows[0] ?? { usd_micros: '0', version: '0' };
        await this.#redis.aeLoadSpent(this.#budgetKeys(bucket).spent, row.usd_micros, row.version, this.#spendTtl);
      })().finally(() => this.#loading.delete(bucket));
      this.#loading.set(bucket, loading);
    }
    return loading;
  }

  // ---- usage

  recordUsage(entry: UsageEntry): void {
    if (this.#closed) return;
    this.#pendingUsage.push(entry);
    // One multi-row INSERT per USAGE_FLUSH_MS (or per USAGE_BATCH_MAX entries) instead of one round trip per call.
    if (this.#pendingUsage.length >= USAGE_BATCH_MAX) { void this.#flush(); return; }
    if (this.#flushTimer === null) {
      this.#flushTimer = setTimeout(() => { this.#flushTimer = null; void this.#flush(); }, USAGE_FLUSH_MS);
      this.#flushTimer.unref();
    }
  }

  async queryUsage(q: UsageQuery): Promise<UsageEntry[] | UsageGroup[]> {
    await this.#flush(); // read what this process has recorded
    const where: string[] = [];
    const params: unknown[] = [];
    const param = (v: unknown) => { params.push(v); return `$${params.length}`; };
    if (q.from !== undefined) where.push(`time >= ${param(q.from)}`);
    if (q.to !== undefined) where.push(`time < ${param(q.to)}`);
    if (q.identity !== undefined) where.push(`identity = ${param(q.identity)}`);
    if (q.model !== undefined) where.push(`model = ${param(q.model)}`);
    if (q.metadata && Object.keys(q.metadata).length > 0) where.push(`metadata @> ${param(JSON.stringify(q.metadata))}::jsonb`);
    const whereSql = where.length ? `WHERE ${where.join(' AND ')}` : '';

    if (q.groupBy === undefined) {
      const { rows } = await this.#pool.query<UsageRow>(
        `SELECT time::float8 AS time, request_id, identity_kind, identity, metadata, route, model, target, provider,
           input_tokens::float8 AS input_tokens, output_tokens::float8 AS output_tokens, cost_usd, status, latency_ms, estimated,
           method, outcome
         FROM usage ${whereSql} ORDER BY time DESC, id DESC LIMIT ${param(usageLimit(q.limit))}`, params);
      return rows.map(usageFromRow);
    }
    const group = {
      day: "to_char(to_timestamp(time / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
      model: 'model',
      key: 'identity',
    }[q.groupBy];
    const { rows } = await this.#pool.query<GroupRow>(
      `SELECT ${group} AS grp, count(*)::float8 AS calls,
         coalesce(sum(input_tokens), 0)::float8 AS input_tokens, coalesce(sum(output_tokens), 0)::float8 AS output_tokens,
         coalesce(sum(cost_usd), 0)::float8 AS cost_usd, (count(*) FILTER (WHERE cost_usd IS NULL))::float8 AS unpriced
       FROM usage ${whereSql} GROUP BY grp ORDER BY grp`, params);
    return rows.map((r) => ({
      group: r.grp, calls: r.calls, inputTokens: r.input_tokens, outputTokens: r.output_tokens,
      costUsd: r.cost_usd, unpricedCalls: r.unpriced,
    }));
  }

  /** Writes everything recorded so far (after any write already in progress). */
  #flush(): Promise<void> {
    if (this.#flushTimer) { clearTimeout(this.#flushTimer); this.#flushTimer = null; }
    if (this.#retryTimer) { clearTimeout(this.#retryTimer); this.#retryTimer = null; }
    this.#flushing = this.#flushing.then(() => this.#writeUsage());
    return this.#flushing;
  }

  async #writeUsage(): Promise<void> {
    while (this.#pendingUsage.length > 0) {
      const batch = this.#pendingUsage.splice(0, USAGE_BATCH_MAX);
      try {
        await this.#insertUsage(batch);
      } catch (err) {
        this.#onError(err);
        // Keep the batch for a later try (bounded: an outage drops the oldest entries).
        this.#pendingUsage.unshift(...batch);
        const excess = this.#pendingUsage.length - USAGE_BUFFER_MAX;
        if (excess > 0) this.#pendingUsage.splice(0, excess);
        if (!this.#closed && !this.#retryTimer) {
          this.#retryTimer = setTimeout(() => { this.#retryTimer = null; void this.#flush(); }, USAGE_RETRY_MS);
          this.#retryTimer.unref();
        }
        return;
      }
    }
  }

  async #insertUsage(batch: UsageEntry[]): Promise<void> {
    // The batch travels as one JSON parameter: one statement, whatever the row count.
    const rows = batch.map((e) => ({
      time: e.time, request_id: e.requestId, identity_kind: e.identityKind, identity: e.identity, metadata: e.metadata,
      route: e.route, model: e.model, target: e.target, provider: e.provider, input_tokens: e.inputTokens,
      output_tokens: e.outputTokens, cost_usd: e.costUsd, status: e.status, latency_ms: e.latencyMs, estimated: e.estimated,
      method: e.method ?? null, outcome: e.outcome ?? null,
    }));
    await this.#pool.query(
      `INSERT INTO usage (time, request_id, identity_kind, identity, metadata, route, model, target, provider,
         input_tokens, output_tokens, cost_usd, status, latency_ms, estimated, method, outcome)
       SELECT time, request_id, identity_kind, identity, metadata, route, model, target, provider,
         input_tokens, output_tokens, cost_usd, status, latency_ms, estimated, method, outcome
       FROM jsonb_to_recordset($1::jsonb) AS r(time bigint, request_id text, identity_kind text, identity text,
         metadata jsonb, route text, model text, target text, provider text, input_tokens bigint, output_tokens bigint,
         cost_usd double precision, status integer, latency_ms double precision, estimated boolean, method text, outcome text)`,
      [JSON.stringify(rows)]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // Settles in flight (and those queued behind them) finish first.
      while (this.#settlesRunning.size > 0) await Promise.allSettled([...this.#settlesRunning.values()]);
      await this.#flush();
      if (this.#pendingUsage.length > 0) {
        this.#onError(new Error(`${this.#pendingUsage.length} usage entries could not be written before close`));
      }
    } finally {
      await this.#redis.quit().catch(() => { this.#redis.disconnect(); });
      await this.#pool.end();
    }
  }

  #counterKey(key: string, windowStart: number): string {
    return `${this.#prefix}rl:${key}:${windowStart}`;
  }

  #budgetKeys(bucket: string): { spent: string; holds: string; expiry: string } {
    const base = `${this.#prefix}budget:${bucket}:`;
    return { spent: `${base}spent`, holds: `${base}holds`, expiry: `${base}expiry` };
  }
}

function keyFromRow(r: KeyRow): StoredKey {
  return {
    id: r.id, name: r.name, prefix: r.prefix, metadata: r.metadata,
    createdAt: Number(r.created_at), revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
  };
}

function pinFromRow(r: PinRow): DefinitionPin {
  return { backend: r.backend, source: r.source, name: r.name, fingerprint: r.fingerprint, definition: r.definition, pinnedAt: Number(r.pinned_at) };
}

function usageFromRow(r: UsageRow): UsageEntry {
  return {
    time: r.time, requestId: r.request_id, identityKind: r.identity_kind, identity: r.identity, metadata: r.metadata,
    route: r.route, model: r.model, target: r.target, provider: r.provider, inputTokens: r.input_tokens,
    outputTokens: r.output_tokens, costUsd: r.cost_usd, status: r.status, latencyMs: r.latency_ms, estimated: r.estimated,
    ...callFields(r.method, r.outcome),
  };
}

/** The StateConflictError for a unique violation on insertKey, or null for any other error. */
function conflict(err: unknown, key: NewKey): StateConflictError | null {
  if (!(err instanceof pg.DatabaseError) || err.code !== '23505') return null;
  switch (err.constraint) {
    case 'api_keys_live_name': return new StateConflictError(`a live key named "${key.name}" already exists`);
    case 'api_keys_hash_key': return new StateConflictError('a key with this hash already exists');
    case 'api_keys_pkey': return new StateConflictError(`a key with id "${key.id}" already exists`);
    default: return null;
  }
}
