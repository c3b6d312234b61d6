// Opening Redis + Postgres state: replicas starting at once on an empty schema each find the
// migrations applied exactly once (advisory lock); an unreachable Redis or Postgres fails
// openState fast instead of hanging.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { openState } from '../../src/state/index.js';
import { POSTGRES_MIGRATIONS } from '../../src/state/migrations/postgres.js';
import { isolate, servicesOk, REDIS_URL, type Isolated } from './services.js';

let env: Isolated;
before(async () => { env = await isolate(); });
after(() => env.cleanup());

test('redis+postgres: five replicas opening an empty schema at once apply each migration once', async (t) => {
  if (!servicesOk(t, env)) return;
  const url = env.urlFor(await env.freshSchema());
  const stores = await Promise.all(Array.from({ length: 5 }, () =>
    openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: url, prefix: env.prefix })));
  for (const s of stores) await s.close();
  const again = await openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: url, prefix: env.prefix });
  await again.close();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows.map((r) => r.version), POSTGRES_MIGRATIONS.map((m) => m.version));
  } finally { await client.end(); }
});

test('redis+postgres: an unreachable Redis or Postgres makes openState fail', async (t) => {
  if (!servicesOk(t, env)) return;
  await assert.rejects(openState({ kind: 'redis+postgres', redisUrl: 'redis://127.0.0.1:1', postgresUrl: env.postgresUrl }));
  await assert.rejects(openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: 'postgres://postgres@127.0.0.1:1/test' }));
});
