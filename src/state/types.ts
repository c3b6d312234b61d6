// The one interface every state backend implements (SQLite, Redis + Postgres). Callers
// (src/policy, src/admin, src/cli) see only this file. Methods return `MaybePromise`: the
// SQLite store answers synchronously (no promise, no microtask on the hot path), the
// Redis + Postgres store with a promise; callers handle both.
//
// Money is in USD as JS numbers; stores keep it exactly enough for budgets by storing
// micro-dollars (integers) where they do arithmetic.

import type { PinStore, SharedKv } from '../core/index.js';

export type { DefinitionPin, PinStore, SharedKv } from '../core/index.js';

export type MaybePromise<T> = T | Promise<T>;

/** An API key created at runtime (admin API or CLI). The key itself is never stored: only its SHA-256. */
export interface StoredKey {
  /** Opaque id, e.g. "key_…"; stable, safe to show. */
  readonly id: string;
  /** Unique among keys that are not revoked. */
  readonly name: string;
  /** The first characters of the key (e.g. "ae-AbC1"), shown in lists so people can tell keys apart. */
  readonly prefix: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export interface NewKey {
  readonly id: string;
  readonly name: string;
  readonly prefix: string;
  /** Lower-case hex SHA-256 of the whole key. */
  readonly hash: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly createdAt: number;
}

export interface KeyFilter {
  /** Only keys whose metadata has all these entries. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly includeRevoked?: boolean;
}

export interface KeyStore {
  /** Throws StateConflictError when a live key already has this name. */
  insertKey(key: NewKey): MaybePromise<void>;
  /** The live (not revoked) key with this hash, or null. */
  findKeyByHash(hash: string): MaybePromise<StoredKey | null>;
  listKeys(filter?: KeyFilter): MaybePromise<StoredKey[]>;
  /** Revokes the live key with this id or name; false when there is none. */
  revokeKey(idOrName: string): MaybePromise<boolean>;
}

/** The outcome of one fixed-window counter hit. */
export interface WindowHit {
  readonly allowed: boolean;
  /** The window's count after this hit (unchanged when not allowed). */
  readonly count: number;
  /** Epoch milliseconds when the window ends. */
  readonly resetAt: number;
}

export interface CounterStore {
  /**
   * Fixed window of `windowMs` (aligned to the epoch, so all replicas agree) named `key`:
   * adds `amount` when count + amount <= limit and answers allowed; otherwise changes
   * nothing and answers not allowed. amount 0 only reads. Atomic across replicas.
   */
  hit(key: string, windowMs: number, limit: number, amount: number, now: number): MaybePromise<WindowHit>;
  /**
   * Adds `delta` (may be negative; the count never goes below 0) to the window that
   * started at `windowStart`, whatever the limit: the true-up of an estimate. A window
   * already gone is left alone.
   */
  adjust(key: string, windowMs: number, windowStart: number, delta: number): MaybePromise<void>;
}

export interface BudgetState {
  readonly spentUsd: number;
  readonly reservedUsd: number;
}

export interface Reservation {
  readonly ok: boolean;
  /** Spent and reserved after the call (after the reservation when ok). */
  readonly spentUsd: number;
  readonly reservedUsd: number;
}

export interface BudgetStore {
  /**
   * Check-and-reserve, atomically across replicas: when spent + reserved + amount <=
   * limit, holds `amount` under `reservationId` and answers ok. A reservation not settled
   * or released within `ttlMs` expires (a replica that died mid-call frees its hold).
   * `bucket` names the budget and its period, e.g. "monthly-budget|team=a|2026-11".
   */
  reserve(bucket: string, limitUsd: number, amountUsd: number, reservationId: string, ttlMs: number): MaybePromise<Reservation>;
  /**
   * Replaces the reservation with the actual cost, durably: it survives a restart and a
   * kill -9 once committed (SQLite at the end of the event-loop turn, with the ledger rows
   * recorded in it, or within 5 ms on a busy gateway; Postgres when its promise resolves,
   * at most 20 ms of a busy budget's settles per write).
   */
  settle(bucket: string, reservationId: string, actualUsd: number): MaybePromise<void>;
  /** Drops the reservation; nothing is spent. */
  release(bucket: string, reservationId: string): MaybePromise<void>;
  budget(bucket: string): MaybePromise<BudgetState>;
}

/**
 * One call, as the usage ledger keeps it: an LLM call, or a call of another protocol (an MCP
 * tools/call, prompts/get or resources/read), which has no tokens and no cost.
 */
export interface UsageEntry {
  /** Epoch milliseconds when the call started. */
  readonly time: number;
  readonly requestId: string;
  /** "apiKey" | "jwt" | "" (anonymous). */
  readonly identityKind: string;
  /** Key name or JWT subject; "" when anonymous. */
  readonly identity: string;
  /** Identity metadata (key metadata; for JWT none), for scoping by team/org. */
  readonly metadata: Readonly<Record<string, string>>;
  readonly route: string;
  /** The model as the client named it; for an MCP call, the name the client called (`<server>__<tool>`). */
  readonly model: string;
  /** The concrete model that served it; for an MCP call, the server. */
  readonly target: string;
  /** The target's provider; for a call of another protocol, the protocol (`mcp`). */
  readonly provider: string;
  readonly inputTokens: number | null;
  readonly outputTokens: number | null;
  readonly costUsd: number | null;
  /** HTTP status; for an MCP call, its outcome in HTTP terms (200 answered, 429 rate limited, 502 server failure…). */
  readonly status: number;
  readonly latencyMs: number;
  readonly estimated: boolean;
  /** Only for a call of another protocol than llm: its method (`tools/call`, `prompts/get`, `resources/read`). */
  readonly method?: string;
  /** Only for a call of another protocol than llm: answered (`ok`), failed (`error`) or refused by a policy. */
  readonly outcome?: 'ok' | 'error' | 'refused';
}

export interface UsageQuery {
  /** Epoch ms, inclusive / exclusive. */
  readonly from?: number;
  readonly to?: number;
  readonly identity?: string;
  readonly model?: string;
  /** Entries whose metadata has all these entries. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Without groupBy: the entries themselves, newest first, at most `limit` (default 1000). */
  readonly groupBy?: 'day' | 'model' | 'key';
  readonly limit?: number;
}

export interface UsageGroup {
  /** The day (YYYY-MM-DD, UTC), model name or key (identity) name. */
  readonly group: string;
  readonly calls: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Sum of known costs. */
  readonly costUsd: number;
  /** Calls whose cost was unknown (not in costUsd). */
  readonly unpricedCalls: number;
}

export interface UsageLedger {
  /**
   * Records an entry. SQLite commits it with the settles of the same event-loop turn (on a
   * busy gateway, of the same 5 ms), so a kill -9 after that loses nothing. The Redis +
   * Postgres store sends the entries of each 100 ms as one INSERT, durable once Postgres
   * answers; while Postgres is unreachable it keeps retrying a bounded buffer. close()
   * writes what is left.
   */
  recordUsage(entry: UsageEntry): void;
  queryUsage(q: UsageQuery): MaybePromise<UsageEntry[] | UsageGroup[]>;
}

/**
 * StateStore includes PinStore (declared in core, which backends are built with): the
 * fingerprints a backend pinned of the definitions it serves (MCP tool pinning).
 */
export interface StateStore extends KeyStore, CounterStore, BudgetStore, UsageLedger, PinStore {
  readonly kind: 'sqlite' | 'redis+postgres';
  /** Short-lived values every replica sees (core's SharedKv: Redis); null for SQLite, which is one process. */
  readonly shared: SharedKv | null;
  /** Writes what is batched and closes connections. */
  close(): Promise<void>;
}

/** A write that conflicts with existing state (a live key with the same name). */
export class StateConflictError extends Error {
  constructor(message: string) { super(message); this.name = 'StateConflictError'; }
}
