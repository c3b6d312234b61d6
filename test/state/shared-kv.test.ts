// The replicas' shared key-value store (StateStore.shared, core's SharedKv): Redis with the
// Redis + Postgres store (leased or not), under the store's prefix, values with a TTL;
// touch reads and extends only a key that still exists. SQLite has none (one process).
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { Redis } from 'ioredis';
import { openState } from '../../src/state/index.js';
import { isolate, servicesOk, REDIS_URL, type Isolated } from './services.js';

let env: Isolated;
before(async () => { env = await isolate(); });
after(() => env.cleanup());

test('sqlite: no shared key-value store', async () => {
  const store = await openState({ kind: 'sqlite', path: ':memory:' });
  assert.equal(store.shared, null);
  await store.close();
  const lazy = await openState({ kind: 'sqlite', path: ':memory:', lazy: true });
  assert.equal(lazy.shared, null);
  await lazy.close();
});

for (const leases of [true, false]) {
  test(`redis+postgres${leases ? ' (leased)' : ''}: get, set with a TTL, touch of a live key only, delete`, async (t) => {
    if (!servicesOk(t, env)) return;
    const one = await openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: env.postgresUrl, prefix: env.prefix, leases });
    const two = await openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: env.postgresUrl, prefix: env.prefix, leases });
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    t.after(async () => { redis.disconnect(); await one.close(); await two.close(); });
    const kv = one.shared!;
    const other = two.shared!;
    const name = `k-${String(leases)}`;

    assert.equal(await kv.get(name), null);
    await kv.set(name, 'v1', 60_000);
    assert.equal(await other.get(name), 'v1', 'another replica reads it');
    const ttl = await redis.pttl(`${env.prefix}kv:${name}`);
    assert.ok(ttl > 59_000 && ttl <= 60_000, String(ttl));

    await other.set(name, 'v2', 60_000);
    assert.equal(await kv.touch(name, 120_000), 'v2', 'touch reads what another replica wrote');
    assert.ok(await redis.pttl(`${env.prefix}kv:${name}`) > 60_000, 'and extends it');

    await other.delete(name);
    assert.equal(await kv.get(name), null);
    assert.equal(await kv.touch(name, 60_000), null, 'a deleted key is not brought back');
    assert.equal(await kv.get(name), null);

    await kv.set(name, 'short', 50);
    await delay(120);
    assert.equal(await kv.get(name), null, 'expired');
    assert.equal(await kv.touch(name, 60_000), null, 'an expired key is not brought back');
  });
}
