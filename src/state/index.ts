// The state layer's public surface: the contract (types.ts), the two stores, and openState,
// which picks the store from config and answers once its schema is up to date.
import { RedisPostgresStore } from './redis-postgres.js';
import { SqliteStore } from './sqlite.js';
import type { StateStore } from './types.js';

export * from './types.js';
export { SqliteStore, type SqliteStoreOptions } from './sqlite.js';
export { RedisPostgresStore, type RedisPostgresOptions } from './redis-postgres.js';

export type StateSpec =
  /** `path` is absolute (missing folders are created) or ":memory:". */
  | { readonly kind: 'sqlite'; readonly path: string }
  | {
    readonly kind: 'redis+postgres';
    readonly redisUrl: string;
    readonly postgresUrl: string;
    /** Prefix of every Redis key. Default "agentedge:". */
    readonly prefix?: string;
  };

export interface OpenStateOptions {
  /** Errors with no caller to throw to: connection drops, a failed batched usage write. */
  readonly onError?: (err: unknown) => void;
}

/** Opens the store the spec names and runs its migrations. */
export async function openState(spec: StateSpec, opts: OpenStateOptions = {}): Promise<StateStore> {
  switch (spec.kind) {
    case 'sqlite': return SqliteStore.open(spec.path, opts);
    case 'redis+postgres': return RedisPostgresStore.open({ ...spec, ...opts });
  }
}
