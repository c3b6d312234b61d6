// The key-value store the replicas share (core's SharedKv), on the Redis of the Redis +
// Postgres store: plain strings with a TTL under `<prefix>kv:<key>`. Backends use it for
// state that must outlive one process but not its TTL (a client session another replica
// may continue); they namespace their keys themselves. SQLite has none: it is one process.
import type { Redis } from 'ioredis';
import type { SharedKv } from './types.js';

export class RedisSharedKv implements SharedKv {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = `${prefix}kv:`;
  }

  get(key: string): Promise<string | null> {
    return this.#redis.get(this.#prefix + key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    await this.#redis.set(this.#prefix + key, value, 'PX', px(ttlMs));
  }

  touch(key: string, ttlMs: number): Promise<string | null> {
    // GETEX (Redis 6.2): one round trip reads the value and extends a key that still exists.
    return this.#redis.getex(this.#prefix + key, 'PX', px(ttlMs));
  }

  async delete(key: string): Promise<void> {
    await this.#redis.del(this.#prefix + key);
  }
}

/** Redis wants a positive integer of milliseconds. */
function px(ttlMs: number): number {
  return Math.max(1, Math.round(ttlMs));
}
