// The state layer's public surface: the contract (types.ts), the two stores, and openState,
// which picks the store from config and answers once its schema is up to date.
import { LazySqliteStore } from './lazy.js';
import { LeasedStore, type LeaseOptions } from './leases.js';
import { RedisPostgresStore } from './redis-postgres.js';
import { SqliteStore } from './sqlite.js';
import type { StateStore } from './types.js';

export * from './types.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { RedisPostgresStore, type RedisPostgresOptions } from './redis-postgres.js';
export { LeasedStore, type LeaseOptions, type LeaseStats } from './leases.js';
export { LazySqliteStore } from './lazy.js';

export type StateSpec =
  /**
   * `path` is absolute (missing folders are created) or ":memory:". `lazy`: opened at its
   * first use instead of now (the default store of a config that names none).
   */
  | { readonly kind: 'sqlite'; readonly path: string; readonly lazy?: boolean }
  | {
    readonly kind: 'redis+postgres';
    readonly redisUrl: string;
    readonly postgresUrl: string;
    /** Prefix of every Redis key. Default "agentedge:". */
    readonly prefix?: string;
    /**
     * Admit from leases (leases.ts; the default) or ask Redis for every call (false): one
     * round trip per limited call, and no early refusal while other replicas hold leases.
     */
    readonly leases?: boolean;
  };

export interface OpenStateOptions {
  /** Errors with no caller to throw to: connection drops, a failed batched usage write. */
  readonly onError?: (err: unknown) => void;
  /** Lease timings, for tests. */
  readonly leaseOptions?: LeaseOptions;
}

/** Opens the store the spec names and runs its migrations. */
export async function openState(spec: StateSpec, opts: OpenStateOptions = {}): Promise<StateStore> {
  switch (spec.kind) {
    case 'sqlite': return spec.lazy === true ? new LazySqliteStore(spec.path, opts) : SqliteStore.open(spec.path, opts);
    case 'redis+postgres': {
      const store = await RedisPostgresStore.open({ ...spec, ...opts });
      return spec.leases === false ? store : new LeasedStore(store, opts.onError, opts.leaseOptions);
    }
  }
}
