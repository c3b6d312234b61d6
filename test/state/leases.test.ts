// Leases (src/state/leases.ts): replicas admit from slices of a window or budget leased
// from Redis, so a call waits for Redis only when its replica's slice cannot cover it, and
// the replicas together still never admit more than the limit. Real Redis and Postgres.
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { LeasedStore, openState, type LeaseOptions, type StateStore } from '../../src/state/index.js';
import { isolate, servicesOk, REDIS_URL, type Isolated } from './services.js';

let env: Isolated;
before(async () => { env = await isolate(); });
after(() => env.cleanup());

async function open(leaseOptions: LeaseOptions = {}): Promise<LeasedStore> {
  const s = await openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: env.postgresUrl, prefix: env.prefix }, { leaseOptions });
  assert.ok(s instanceof LeasedStore, 'leases are the default');
  return s;
}

/** The same state without leases: what Redis itself holds. */
const openRaw = (): Promise<StateStore> =>
  openState({ kind: 'redis+postgres', redisUrl: REDIS_URL, postgresUrl: env.postgresUrl, prefix: env.prefix, leases: false });

async function spentInPostgres(bucket: string): Promise<number> {
  const client = new pg.Client({ connectionString: env.postgresUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ usd_micros: string }>('SELECT usd_micros FROM budget_spend WHERE bucket = $1', [bucket]);
    return rows[0] ? Number(rows[0].usd_micros) : 0;
  } finally { await client.end(); }
}

const W = 60_000;

/**
 * The `now` a test's hits carry: one fixed time, so that all of them fall in one window
 * however slow the machine is, and in the next window rather than this one. A test that
 * held the current time used to depend on its pace: past the end of the window (a test
 * running across a minute boundary) the store forgets the window's lease and a read starts
 * from a fresh one; and a lease whose last hit is over a second old is handed back as idle
 * although the test is still hitting it.
 */
const steadyNow = (): number => Date.now() + W;
const DAY = 86_400_000;

test('leases: 2,000 hits on a large limit wait for Redis a handful of times, and the window counts them all', async (t) => {
  if (!servicesOk(t, env)) return;
  const s = await open();
  const raw = await openRaw();
  try {
    const key = 'rl|many';
    const now = steadyNow();
    for (let i = 0; i < 2000; i++) {
      const hit = await s.hit(key, W, 1_000_000, 1, now);
      assert.equal(hit.allowed, true);
    }
    assert.ok(s.stats.waited <= 3, `calls waited for Redis ${s.stats.waited} times`);
    assert.ok(s.stats.background < 100, `background steps: ${s.stats.background}`);
    // Redis counts the leases, this replica what it used of them.
    const counted = (await raw.hit(key, W, 1_000_000, 0, now)).count;
    assert.ok(counted >= 2000, `Redis counts ${counted}`);
    assert.equal((await s.hit(key, W, 1_000_000, 0, now)).count, 2000);
  } finally { await s.close(); await raw.close(); }
});

test('leases: two replicas, 3,000 concurrent hits against a limit of 1,000 admit exactly 1,000', async (t) => {
  if (!servicesOk(t, env)) return;
  const [a, b] = [await open(), await open()];
  try {
    const key = 'rl|race';
    const now = steadyNow();
    const hits = await Promise.all(Array.from({ length: 3000 }, async (_, i) => (i % 2 ? a : b).hit(key, W, 1000, 1, now)));
    assert.equal(hits.filter((h) => h.allowed).length, 1000);
    assert.ok(a.stats.waited + b.stats.waited < 3000, 'leases served some calls without a round trip each');
  } finally { await a.close(); await b.close(); }
});

test('leases: what a replica leased and did not use is handed back when idle, so the other can use it', async (t) => {
  if (!servicesOk(t, env)) return;
  const a = await open({ idleMs: 50 });
  const b = await open({ idleMs: 50 });
  const raw = await openRaw();
  try {
    const key = 'rl|idle';
    // This test wants the lease to look idle: a past `now`, in a day-long window (W would end
    // under a test running across a minute boundary).
    const now = Date.now();
    // Replica a takes a lease far beyond the 10 calls it makes.
    for (let i = 0; i < 10; i++) assert.equal((await a.hit(key, DAY, 10_000, 1, now)).allowed, true);
    assert.ok((await raw.hit(key, DAY, 10_000, 0, now)).count > 10, 'a holds a lease');
    await waitFor(async () => (await raw.hit(key, DAY, 10_000, 0, now)).count === 10, 'a hands its unused lease back');
    // All of the rest is b's to use.
    let admitted = 0;
    for (let i = 0; i < 10_000; i++) if ((await b.hit(key, DAY, 10_000, 1, now)).allowed) admitted++;
    assert.equal(admitted, 9_990);
  } finally { await a.close(); await b.close(); await raw.close(); }
});

test('leases: a token true-up of a leased call stays in the lease (a refund is used again, no Redis call)', async (t) => {
  if (!servicesOk(t, env)) return;
  const s = await open();
  try {
    const key = 'rl|tokens';
    const now = steadyNow();
    const start = now - (now % W);
    assert.equal((await s.hit(key, W, 1_000_000, 500, now)).count, 500);
    const before = s.stats.waited + s.stats.background;
    await s.adjust(key, W, start, -380); // the call used 120 of the 500 estimated
    assert.equal((await s.hit(key, W, 1_000_000, 0, now)).count, 120);
    await s.adjust(key, W, start, 1000); // an overrun is counted too
    assert.equal((await s.hit(key, W, 1_000_000, 0, now)).count, 1120);
    assert.equal(s.stats.waited + s.stats.background - before, 2, 'only the two reads went to Redis');
  } finally { await s.close(); }
});

test('leases: budget calls reserve and release in memory; settles spend exactly in Postgres; close hands the lease back', async (t) => {
  if (!servicesOk(t, env)) return;
  const s = await open();
  const raw = await openRaw();
  const bucket = 'budget|lease';
  try {
    let ok = 0;
    for (let i = 0; i < 500; i++) {
      const r = await s.reserve(bucket, 100, 0.01, `c${i}`, 60_000);
      assert.equal(r.ok, true);
      ok++;
      if (i % 5 === 0) await s.release(bucket, `c${i}`); // failed calls: nothing spent
      else await s.settle(bucket, `c${i}`, 0.004);
    }
    assert.equal(ok, 500);
    assert.ok(s.stats.waited <= 3, `calls waited for Redis ${s.stats.waited} times`);
    assert.deepEqual(await s.budget(bucket), { spentUsd: 1.6, reservedUsd: 0 });
    const held = (await raw.budget(bucket)).reservedUsd;
    assert.ok(held > 0, 'Redis holds the lease');
  } finally { await s.close(); }
  try {
    assert.equal(await spentInPostgres(bucket), 1_600_000);
    assert.deepEqual(await raw.budget(bucket), { spentUsd: 1.6, reservedUsd: 0 }, 'nothing is held after close');
  } finally { await raw.close(); }
});

test('leases: two replicas, 300 concurrent reserves against a budget for 100 admit exactly 100', async (t) => {
  if (!servicesOk(t, env)) return;
  const [a, b] = [await open(), await open()];
  const bucket = 'budget|race';
  try {
    const results = await Promise.all(Array.from({ length: 300 }, async (_, i) =>
      (i % 2 ? a : b).reserve(bucket, 10, 0.1, `r${i}`, 60_000)));
    assert.equal(results.filter((r) => r.ok).length, 100);
    // Settling them all at a tenth of the reservation spends exactly that.
    await Promise.all(results.map(async (r, i) => r.ok ? (i % 2 ? a : b).settle(bucket, `r${i}`, 0.01) : undefined));
  } finally { await a.close(); await b.close(); }
  assert.equal(await spentInPostgres(bucket), 1_000_000);
});

test('leases: a replica that dies holding a budget lease frees it when the lease expires', async (t) => {
  if (!servicesOk(t, env)) return;
  const dead = await open({ leaseTtlMs: 200, renewMs: 60_000, idleMs: 60_000 });
  const live = await open();
  const raw = await openRaw();
  const bucket = 'budget|dead';
  try {
    for (let i = 0; i < 20; i++) assert.equal((await dead.reserve(bucket, 100, 0.5, `d${i}`, 60_000)).ok, true);
    const held = (await raw.budget(bucket)).reservedUsd;
    assert.ok(held >= 10, `held ${held}`);
    // "Dies": never settles, never renews.
    await waitFor(async () => (await raw.budget(bucket)).reservedUsd === 0, 'the lease expires');
    assert.equal((await live.reserve(bucket, 100, 99, 'big', 60_000)).ok, true, 'the whole budget is free again');
  } finally { await live.close(); await raw.close(); await dead.close(); }
});

test('leases: a lease Redis lost (restart) is noticed at the next step and the calls in flight are held again', async (t) => {
  if (!servicesOk(t, env)) return;
  const s = await open({ renewMs: 50 });
  const raw = await openRaw();
  const bucket = 'budget|lost';
  try {
    for (let i = 0; i < 10; i++) assert.equal((await s.reserve(bucket, 1000, 1, `l${i}`, 60_000)).ok, true);
    assert.ok((await raw.budget(bucket)).reservedUsd >= 10);
    await env.deleteRedisKeys(); // Redis restarted: holds gone, spend reloads from Postgres
    assert.equal((await raw.budget(bucket)).reservedUsd, 0);
    // The next renewal finds the hold gone; the calls still in flight become a debt that the
    // next call's step pays, so Redis holds them again.
    let live = 10;
    await waitFor(async () => {
      assert.equal((await s.reserve(bucket, 1000, 1, `more-${live}`, 60_000)).ok, true);
      live++;
      return (await raw.budget(bucket)).reservedUsd >= live;
    }, 'Redis holds the calls in flight again');
    // Closing hands back only the unused part: what stays held is exactly the calls in flight.
    await s.close();
    assert.deepEqual(await raw.budget(bucket), { spentUsd: 0, reservedUsd: live });
  } finally { await s.close(); await raw.close(); }
});

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const until = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > until) assert.fail(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('leases: with Redis unreachable a replica admits what its lease covers, refuses with an error beyond it, and does not flood the log', async (t) => {
  if (!servicesOk(t, env)) return;
  // A relay in front of Redis that the test can cut.
  const redisPort = Number(new URL(REDIS_URL).port || 6379);
  const sockets = new Set<Socket>();
  const relay = createServer((client) => {
    const upstream = connect(redisPort, new URL(REDIS_URL).hostname);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => { client.destroy(); upstream.destroy(); };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>((r) => { relay.listen(0, '127.0.0.1', r); });
  const errors: unknown[] = [];
  const s = await openState({
    kind: 'redis+postgres', redisUrl: `redis://127.0.0.1:${(relay.address() as AddressInfo).port}`,
    postgresUrl: env.postgresUrl, prefix: env.prefix,
  }, { onError: (err) => { errors.push(err); } });
  try {
    const key = 'rl|outage';
    const now = steadyNow();
    // A lease far beyond one call: the steady state of a busy replica.
    for (let i = 0; i < 200; i++) assert.equal((await s.hit(key, W, 1_000_000, 1, now)).allowed, true);
    relay.close();
    for (const sock of sockets) sock.destroy();
    let admitted = 0;
    let failed = 0;
    for (let i = 0; i < 100_000 && failed === 0; i++) {
      try {
        if ((await s.hit(key, W, 1_000_000, 1, now)).allowed) admitted++;
      } catch {
        failed++;
      }
    }
    assert.ok(admitted > 0, 'the lease kept serving');
    assert.equal(failed, 1, 'a call the lease could not cover failed');
    assert.ok(errors.length < 20, `${errors.length} errors reported`);
  } finally {
    await Promise.race([s.close().catch(() => undefined), new Promise((r) => setTimeout(r, 3000))]);
  }
});

test('leases: a limit or budget lowered by a reload applies at once: the unused lease goes back', async (t) => {
  if (!servicesOk(t, env)) return;
  const s = await open();
  try {
    const key = 'rl|lowered';
    const now = steadyNow();
    for (let i = 0; i < 200; i++) assert.equal((await s.hit(key, W, 1_000_000, 1, now)).allowed, true);
    const hit = await s.hit(key, W, 100, 1, now);
    assert.equal(hit.allowed, false, 'the window already counts 200 of the new 100');
    assert.equal(hit.count, 200);

    const bucket = 'budget|lowered';
    for (let i = 0; i < 50; i++) assert.equal((await s.reserve(bucket, 1000, 1, `b${i}`, 60_000)).ok, true);
    const r = await s.reserve(bucket, 50, 1, 'over', 60_000);
    assert.equal(r.ok, false, '50 reserved of the new 50');
  } finally { await s.close(); }
});
