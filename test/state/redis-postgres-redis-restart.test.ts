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
  openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: env.postgresUrl, prefix: env.prefix });

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
