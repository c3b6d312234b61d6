// The count a replica reports for a window (what x-ratelimit-remaining is computed from) is
// exact while a lease step is in flight. It used to combine Redis' count from one round
// trip with the replica's lease from another: a read answered after a refill had reached
// Redis, but before the replica had booked the refill, counted the whole refill as used
// (leases.test.ts saw 4,631 for 2,000 hits on a busy machine). Here the refill and the read
// are sent back to back, so their answers arrive together every time. Real Redis and Postgres.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { LeasedStore, openState, type LeaseOptions } from '../../src/state/index.js';
import { isolate, servicesOk, REDIS_URL, type Isolated } from './services.js';

let env: Isolated;
before(async () => { env = await isolate(); });
after(() => env.cleanup());

async function open(leaseOptions: LeaseOptions = {}): Promise<LeasedStore> {
  const s = await openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: env.postgresUrl, prefix: env.prefix }, { leaseOptions });
  assert.ok(s instanceof LeasedStore);
  return s;
}

const W = 60_000;
const LIMIT = 1_000_000;

test('a read sent while a refill of the lease is in flight reports exactly the hits made', async (t) => {
  if (!servicesOk(t, env)) return;
  const s = await open();
  try {
    for (let round = 0; round < 20; round++) {
      const key = `rl|refill-${round}`;
      const now = Date.now();
      // Hit until a hit starts a refill ahead of need (a background step), then read at once.
      let hits = 0;
      const background = s.stats.background;
      while (s.stats.background === background && hits < 10_000) {
        assert.equal((await s.hit(key, W, LIMIT, 1, now)).allowed, true);
        hits++;
      }
      assert.equal((await s.hit(key, W, LIMIT, 0, now)).count, hits, `round ${round}`);
      // A hit admitted from the refilled lease counts itself too.
      assert.equal((await s.hit(key, W, LIMIT, 1, now)).count, hits + 1, `round ${round}`);
    }
  } finally { await s.close(); }
});

test('reads while idle leases are handed back report exactly the hits made', async (t) => {
  if (!servicesOk(t, env)) return;
  // The sweeper runs every millisecond and finds a lease idle as soon as its last hit is 1 ms old.
  const s = await open({ idleMs: 1 });
  const DAY = 86_400_000;
  try {
    for (let round = 0; round < 20; round++) {
      const key = `rl|handback-${round}`;
      // A second ago, but in today's window (which is not over, so the lease is not dropped).
      const clock = Date.now();
      const now = Math.max(clock - (clock % DAY), clock - 1000);
      for (let i = 0; i < 10; i++) assert.equal((await s.hit(key, DAY, LIMIT, 1, now)).allowed, true);
      for (let i = 0; i < 50; i++) assert.equal((await s.hit(key, DAY, LIMIT, 0, now)).count, 10, `round ${round}, read ${i}`);
    }
  } finally { await s.close(); }
});
