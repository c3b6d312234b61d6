// Real Redis and Postgres for the state tests, isolated per test file: a random Redis key
// prefix and a random Postgres schema, dropped at the end. When a service is unreachable the
// tests skip (naming what is missing), except in CI, where they fail.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';

export const REDIS_URL = process.env.AGENTEDGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const POSTGRES_URL = process.env.AGENTEDGE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface Isolated {
  /** Why the services cannot be used, or null when they can. */
  readonly missing: string | null;
  readonly prefix: string;
  readonly schema: string;
  /** POSTGRES_URL with search_path set to this file's schema. */
  readonly postgresUrl: string;
  /** Makes another empty schema (for tests that need a fresh database), dropped by cleanup(). */
  freshSchema(): Promise<string>;
  urlFor(schema: string): string;
  /** The isolated Redis keys (for tests that play "Redis restarted"). */
  deleteRedisKeys(): Promise<void>;
  cleanup(): Promise<void>;
}

export async function isolate(): Promise<Isolated> {
  const id = randomBytes(6).toString('hex');
  const prefix = `agentedge-test-${id}:`;
  const schemas: string[] = [];
  const missing: string[] = [];
  let admin: pg.Client | null = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
  admin.on('error', () => {});
  try { await admin.connect(); } catch (err) { missing.push(`Postgres at ${POSTGRES_URL} (${String(err)})`); admin = null; }
  let redis: Redis | null = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  redis.on('error', () => {});
  try { await redis.connect(); } catch (err) { missing.push(`Redis at ${REDIS_URL} (${String(err)})`); redis.disconnect(); redis = null; }

  const urlFor = (schema: string) => {
    const u = new URL(POSTGRES_URL);
    u.searchParams.set('options', `-c search_path=${schema}`);
    return u.toString();
  };
  const freshSchema = async () => {
    assert.ok(admin, 'Postgres is not reachable');
    const schema = `agentedge_test_${id}_${schemas.length}`;
    await admin.query(`CREATE SCHEMA ${schema}`);
    schemas.push(schema);
    return schema;
  };
  const deleteRedisKeys = async () => {
    if (!redis) return;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  };
  const schema = admin ? await freshSchema() : 'unavailable';
  return {
    missing: missing.length ? `not reachable: ${missing.join('; ')}` : null,
    prefix, schema, postgresUrl: urlFor(schema), freshSchema, urlFor, deleteRedisKeys,
    async cleanup() {
      await deleteRedisKeys();
      for (const s of schemas) await admin?.query(`DROP SCHEMA ${s} CASCADE`);
      await admin?.end();
      redis?.disconnect();
    },
  };
}

/** True when the test may go on; skips it (or fails it in CI) when a service is missing. */
export function servicesOk(t: TestContext, env: Isolated): boolean {
  if (env.missing === null) return true;
  if (process.env.CI === 'true') assert.fail(`state tests need Redis and Postgres in CI: ${env.missing}`);
  t.skip(env.missing);
  return false;
}
