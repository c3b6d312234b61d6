// Spend lives in Postgres, Redis only caches it: when Redis loses everything (a restart
// without persistence) the spend is still there and only live reservations are gone. Many
// settles racing from two replicas leave the cached copy equal to Postgres.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openState, type StateStore } from '../../src/state/index.js';
import { isolate, servicesOk, REDIS_URL, type Isolated } from './services.js';

let env: Isolated;
before(async () => { env = await isolate(); });
after(() => env.cleanup());

const open = (): Promise<StateStore> =>
  openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: env.postgresUrl, prefix: env.prefix, leases: false });

test('redis+postgres: losing Redis keeps settled spend and drops only live reservations', async (t) => {
  if (!servicesOk(t, env)) return;
  const store = await open();
  try {
    await store.reserve('team-a|2026-11', 1, 0.3, 'done', 60_000);
    await store.settle('team-a|2026-11', 'done', 0.3);
    await store.reserve('team-a|2026-11', 1, 0.5, 'in-flight', 60_000);
    assert.deepEqual(await store.budget('team-a|2026-11'), { spentUsd: 0.3, reservedUsd: 0.5 });

    await env.deleteRedisKeys();
    assert.deepEqual(await store.budget('team-a|2026-11'), { spentUsd: 0.3, reservedUsd: 0 });
    assert.equal((await store.reserve('team-a|2026-11', 1, 0.8, 'big', 60_000)).ok, false, 'the spend still counts');
    assert.equal((await store.reserve('team-a|2026-11', 1, 0.7, 'fits', 60_000)).ok, true);
    await store.settle('team-a|2026-11', 'in-flight', 0.1); // the call in flight during the restart
    assert.deepEqual(await store.budget('team-a|2026-11'), { spentUsd: 0.4, reservedUsd: 0.7 });
  } finally { await store.close(); }
});

test('redis+postgres: 40 settles racing from two replicas leave Redis and Postgres agreeing', async (t) => {
  if (!servicesOk(t, env)) return;
  const [a, b] = [await open(), await open()];
  try {
    await Promise.all(Array.from({ length: 40 }, async (_, i) => (i % 2 ? a : b).settle('race|spend', `s${i}`, 0.01)));
    assert.deepEqual(await a.budget('race|spend'), { spentUsd: 0.4, reservedUsd: 0 });
    await env.deleteRedisKeys();
    assert.deepEqual(await b.budget('race|spend'), { spentUsd: 0.4, reservedUsd: 0 });
  } finally { await a.close(); await b.close(); }
});

test('redis+postgres: concurrent settles of one bucket share Postgres writes; every hold is dropped, the sum is exact', async (t) => {
  if (!servicesOk(t, env)) return;
  const store = await open();
  try {
    const bucket = 'batch|spend';
    await Promise.all(Array.from({ length: 60 }, async (_, i) => store.reserve(bucket, 100, 0.5, `h${i}`, 60_000)));
    assert.deepEqual(await store.budget(bucket), { spentUsd: 0, reservedUsd: 30 });
    await Promise.all(Array.from({ length: 60 }, async (_, i) => store.settle(bucket, `h${i}`, 0.25)));
    assert.deepEqual(await store.budget(bucket), { spentUsd: 15, reservedUsd: 0 });
    // The row's version counts the writes: fewer than the settles (one in flight per bucket at a time).
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: env.postgresUrl });
    await client.connect();
    const { rows } = await client.query<{ version: string; usd_micros: string }>('SELECT version, usd_micros FROM budget_spend WHERE bucket = $1', [bucket]);
    await client.end();
    assert.equal(Number(rows[0]!.usd_micros), 15_000_000);
    assert.ok(Number(rows[0]!.version) < 60, `version ${rows[0]!.version}`);
  } finally { await store.close(); }
});
