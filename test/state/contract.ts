// The StateStore contract as tests, run against every backend (sqlite-contract.test.ts,
// redis-postgres-contract.test.ts). Each test uses names of its own, so tests share one
// database per file; `open` may be called more than once to get a second replica.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { StateConflictError, type NewKey, type StateStore, type UsageEntry } from '../../src/state/index.js';

export interface Harness {
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** False when the test cannot run here (it has then been skipped, or failed in CI). */
  available(t: TestContext): boolean;
  /** A new store instance on the shared state: calling it twice gives two replicas. */
  open(): Promise<StateStore>;
  /**
   * Whether windows and reservations are shared by instances (replicas). The SQLite store
   * keeps them in its process: its "two instances" tests run on one instance, and its
   * reservations do not outlive it.
   */
  readonly sharedLive: boolean;
  /**
   * Leased admission (src/state/leases.ts): the two budget tests that read exact reserved
   * figures right after a call admitted from a lease, and a per-call reservation ttl, are
   * the strict store's contract only; leases.test.ts has the leased store's own.
   */
  readonly leased?: boolean;
}

const uid = () => randomBytes(5).toString('hex');

function newKey(name: string, metadata: Record<string, string>, createdAt: number): NewKey {
  const id = `key_${uid()}`;
  return { id, name, prefix: `ae-${id.slice(4, 8)}`, hash: randomBytes(32).toString('hex'), metadata, createdAt };
}

function entry(over: Partial<UsageEntry>): UsageEntry {
  return {
    time: Date.UTC(2026, 0, 1, 12), requestId: `req_${uid()}`, identityKind: 'apiKey', identity: 'alice', metadata: {},
    route: 'llm', model: 'gpt', target: 'gpt-4o-mini', provider: 'openai', inputTokens: 10, outputTokens: 5,
    costUsd: 0.01, status: 200, latencyMs: 12.5, estimated: false, ...over,
  };
}

export function contract(name: string, h: Harness): void {
  describe(`${name}${h.leased ? ' (leases)' : ''} state store contract`, () => {
    before(() => h.setup());
    after(() => h.teardown());

    /** A test given `open`; every store it opens is closed at the end. */
    const test = (title: string, fn: (open: () => Promise<StateStore>) => Promise<void>): void => {
      it(title, async (t) => {
        if (!h.available(t)) return;
        const opened: StateStore[] = [];
        try {
          await fn(async () => { const s = await h.open(); opened.push(s); return s; });
        } finally {
          for (const s of opened) await s.close();
        }
      });
    };

    test('keys: insert, find by hash, list by metadata, revoke by id and by name', async (open) => {
      const s = await open();
      const team = uid();
      const a = newKey(`a-${team}`, { team, tier: 'gold' }, 1000);
      const b = newKey(`b-${team}`, { team }, 2000);
      await s.insertKey(a);
      await s.insertKey(b);
      assert.equal(s.kind, name);

      assert.deepEqual(await s.findKeyByHash(a.hash),
        { id: a.id, name: a.name, prefix: a.prefix, metadata: a.metadata, createdAt: 1000, revokedAt: null });
      assert.equal(await s.findKeyByHash('0'.repeat(64)), null);
      assert.deepEqual((await s.listKeys({ metadata: { team } })).map((k) => k.name), [a.name, b.name]);
      assert.deepEqual((await s.listKeys({ metadata: { team, tier: 'gold' } })).map((k) => k.name), [a.name]);
      assert.ok((await s.listKeys()).some((k) => k.id === b.id));

      assert.equal(await s.revokeKey(a.id), true);
      assert.equal(await s.revokeKey(b.name), true);
      assert.equal(await s.revokeKey(b.name), false, 'already revoked');
      assert.equal(await s.revokeKey(`nobody-${team}`), false);
      assert.equal(await s.findKeyByHash(a.hash), null);
      assert.deepEqual(await s.listKeys({ metadata: { team } }), []);
      const all = await s.listKeys({ metadata: { team }, includeRevoked: true });
      assert.deepEqual(all.map((k) => k.name), [a.name, b.name]);
      assert.ok(all.every((k) => typeof k.revokedAt === 'number'));
    });

    test('keys: a live name is unique (StateConflictError); a revoked name can be reused', async (open) => {
      const s = await open();
      const name = `dup-${uid()}`;
      const first = newKey(name, {}, 1);
      await s.insertKey(first);
      await assert.rejects(async () => s.insertKey(newKey(name, {}, 2)), StateConflictError);
      await assert.rejects(async () => s.insertKey({ ...newKey(`other-${uid()}`, {}, 3), hash: first.hash }), StateConflictError);
      assert.equal(await s.revokeKey(name), true);
      const second = newKey(name, { v: '2' }, 4);
      await s.insertKey(second);
      assert.equal((await s.findKeyByHash(second.hash))?.id, second.id);
    });

    test('counters: a fixed window allows up to the limit; amount 0 reads; the next window starts over', async (open) => {
      const s = await open();
      const key = `rl-${uid()}`;
      const w = 60_000;
      const start = Math.floor(Date.now() / w) * w;
      const now = start + 10;
      assert.deepEqual(await s.hit(key, w, 5, 2, now), { allowed: true, count: 2, resetAt: start + w });
      assert.deepEqual(await s.hit(key, w, 5, 3, now + 5), { allowed: true, count: 5, resetAt: start + w });
      assert.deepEqual(await s.hit(key, w, 5, 1, now + 6), { allowed: false, count: 5, resetAt: start + w });
      assert.deepEqual(await s.hit(key, w, 5, 0, now + 7), { allowed: true, count: 5, resetAt: start + w });
      assert.deepEqual(await s.hit(key, w, 5, 1, now + w), { allowed: true, count: 1, resetAt: start + 2 * w });
    });

    test('counters: adjust trues up a window, never below 0, and leaves a missing window alone', async (open) => {
      const s = await open();
      const key = `adj-${uid()}`;
      const w = 60_000;
      const start = Math.floor(Date.now() / w) * w;
      await s.hit(key, w, 100, 40, start + 1);
      await s.adjust(key, w, start, -15);
      assert.equal((await s.hit(key, w, 100, 0, start + 2)).count, 25);
      await s.adjust(key, w, start, 90); // whatever the limit
      assert.equal((await s.hit(key, w, 100, 0, start + 3)).count, 115);
      assert.equal((await s.hit(key, w, 100, 1, start + 3)).allowed, false);
      await s.adjust(key, w, start, -1000);
      assert.equal((await s.hit(key, w, 100, 0, start + 4)).count, 0);
      await s.adjust(key, w, start - w, 7); // a window nobody hit
      assert.equal((await s.hit(key, w, 100, 0, start - w + 1)).count, 0);
    });

    test('counters: 100 concurrent hits from two instances with limit 37 allow exactly 37', async (open) => {
      const a = await open();
      const b = h.sharedLive ? await open() : a;
      const key = `race-${uid()}`;
      const w = 60_000;
      const now = Date.now();
      const hits = await Promise.all(Array.from({ length: 100 }, async (_, i) => (i % 2 ? a : b).hit(key, w, 37, 1, now)));
      assert.equal(hits.filter((x) => x.allowed).length, 37);
      assert.equal((await a.hit(key, w, 37, 0, now)).count, 37);
    });

    if (!h.leased) test('budget: reserve holds, settle spends the actual cost exactly, release frees', async (open) => {
      const s = await open();
      const bucket = `budget|${uid()}`;
      assert.deepEqual(await s.budget(bucket), { spentUsd: 0, reservedUsd: 0 });
      assert.deepEqual(await s.reserve(bucket, 1, 0.4, 'r1', 60_000), { ok: true, spentUsd: 0, reservedUsd: 0.4 });
      assert.deepEqual(await s.reserve(bucket, 1, 0.5, 'r2', 60_000), { ok: true, spentUsd: 0, reservedUsd: 0.9 });
      assert.deepEqual(await s.reserve(bucket, 1, 0.2, 'r3', 60_000), { ok: false, spentUsd: 0, reservedUsd: 0.9 });
      assert.deepEqual(await s.budget(bucket), { spentUsd: 0, reservedUsd: 0.9 });

      await s.settle(bucket, 'r1', 0.25);
      assert.deepEqual(await s.budget(bucket), { spentUsd: 0.25, reservedUsd: 0.5 });
      await s.release(bucket, 'r2');
      assert.deepEqual(await s.budget(bucket), { spentUsd: 0.25, reservedUsd: 0 });

      assert.deepEqual(await s.reserve(bucket, 1, 0.2, 'r3', 60_000), { ok: true, spentUsd: 0.25, reservedUsd: 0.2 });
      // The same id again replaces its hold instead of adding a second one.
      assert.deepEqual(await s.reserve(bucket, 1, 0.3, 'r3', 60_000), { ok: true, spentUsd: 0.25, reservedUsd: 0.3 });
      await s.settle(bucket, 'r3', 0.1);
      await s.settle(bucket, 'never-reserved', 0.2); // a call that ran is spent, hold or not
      await s.release(bucket, 'never-reserved');
      assert.deepEqual(await s.budget(bucket), { spentUsd: 0.55, reservedUsd: 0 });
      assert.equal((await s.reserve(bucket, 1, 0.45, 'r4', 60_000)).ok, true, 'exactly up to the limit');
      assert.equal((await s.reserve(bucket, 1, 0.000001, 'r5', 60_000)).ok, false);
    });

    if (!h.leased) test('budget: a reservation not settled within its ttl expires', async (open) => {
      const s = await open();
      const bucket = `ttl|${uid()}`;
      assert.equal((await s.reserve(bucket, 1, 0.8, 'stuck', 50)).ok, true);
      assert.equal((await s.reserve(bucket, 1, 0.5, 'next', 60_000)).ok, false);
      await sleep(120);
      assert.deepEqual(await s.budget(bucket), { spentUsd: 0, reservedUsd: 0 });
      assert.deepEqual(await s.reserve(bucket, 1, 0.5, 'next', 60_000), { ok: true, spentUsd: 0, reservedUsd: 0.5 });
      await s.settle(bucket, 'stuck', 0.3); // the late answer of the stuck call still counts
      assert.deepEqual(await s.budget(bucket), { spentUsd: 0.3, reservedUsd: 0.5 });
    });

    test('budget: 50 concurrent reserves from two instances against a budget for 10 admit exactly 10', async (open) => {
      const a = await open();
      const b = h.sharedLive ? await open() : a;
      const bucket = `race|${uid()}`;
      await a.settle(bucket, 'earlier', 0.5); // some spend already there: 0.5 + 10 × 0.1 = 1.5
      const results = await Promise.all(Array.from({ length: 50 }, async (_, i) =>
        (i % 2 ? a : b).reserve(bucket, 1.5, 0.1, `call-${i}`, 60_000)));
      assert.equal(results.filter((r) => r.ok).length, 10);
      assert.deepEqual(await b.budget(bucket), { spentUsd: 0.5, reservedUsd: 1 });
    });

    test('usage: filters by time, identity, model and metadata; newest first; limit', async (open) => {
      const s = await open();
      const run = uid();
      const day = Date.UTC(2026, 0, 1, 12);
      const e1 = entry({ time: day, metadata: { run, team: 'a' } });
      const e2 = entry({ time: day + 1000, identity: 'bob', model: 'claude', metadata: { run, team: 'b' },
        inputTokens: null, outputTokens: null, costUsd: null, estimated: true, status: 502, identityKind: 'jwt' });
      const e3 = entry({ time: day + 86_400_000, metadata: { run, team: 'a' }, inputTokens: 1, outputTokens: 2, costUsd: 0.02 });
      for (const e of [e1, e2, e3]) s.recordUsage(e);

      assert.deepEqual(await s.queryUsage({ metadata: { run } }), [e3, e2, e1]);
      assert.deepEqual(await s.queryUsage({ metadata: { run }, limit: 2 }), [e3, e2]);
      assert.deepEqual(await s.queryUsage({ metadata: { run }, from: day + 1, to: day + 86_400_000 }), [e2]);
      assert.deepEqual(await s.queryUsage({ metadata: { run }, identity: 'alice' }), [e3, e1]);
      assert.deepEqual(await s.queryUsage({ metadata: { run }, model: 'claude' }), [e2]);
      assert.deepEqual(await s.queryUsage({ metadata: { run, team: 'a' } }), [e3, e1]);
      assert.deepEqual(await s.queryUsage({ metadata: { run, team: 'c' } }), []);
    });

    test('usage: groupBy day, model and key sum tokens and known costs and count unpriced calls', async (open) => {
      const s = await open();
      const run = uid();
      const day = Date.UTC(2026, 0, 1, 23, 59, 59, 999);
      s.recordUsage(entry({ time: day, metadata: { run } }));
      s.recordUsage(entry({ time: day + 1, identity: 'bob', model: 'claude', metadata: { run }, inputTokens: null, outputTokens: null, costUsd: null }));
      s.recordUsage(entry({ time: day + 2, metadata: { run }, inputTokens: 1, outputTokens: 2, costUsd: 0.02 }));

      assert.deepEqual(await s.queryUsage({ metadata: { run }, groupBy: 'day' }), [
        { group: '2026-01-01', calls: 1, inputTokens: 10, outputTokens: 5, costUsd: 0.01, unpricedCalls: 0 },
        { group: '2026-01-02', calls: 2, inputTokens: 1, outputTokens: 2, costUsd: 0.02, unpricedCalls: 1 },
      ]);
      assert.deepEqual(await s.queryUsage({ metadata: { run }, groupBy: 'model' }), [
        { group: 'claude', calls: 1, inputTokens: 0, outputTokens: 0, costUsd: 0, unpricedCalls: 1 },
        { group: 'gpt', calls: 2, inputTokens: 11, outputTokens: 7, costUsd: 0.03, unpricedCalls: 0 },
      ]);
      assert.deepEqual(await s.queryUsage({ metadata: { run }, groupBy: 'key', model: 'gpt' }), [
        { group: 'alice', calls: 2, inputTokens: 11, outputTokens: 7, costUsd: 0.03, unpricedCalls: 0 },
      ]);
    });

    test('usage: without a limit at most 1000 entries, and never more than 10000', async (open) => {
      const s = await open();
      const run = uid();
      for (let i = 0; i < 1005; i++) s.recordUsage(entry({ time: 1_000_000 + i, metadata: { run } }));
      const page = await s.queryUsage({ metadata: { run } }) as UsageEntry[];
      assert.equal(page.length, 1000);
      assert.equal(page[0]!.time, 1_001_004);
      assert.equal((await s.queryUsage({ metadata: { run }, limit: 1_000_000 })).length, 1005);
    });

    test('spend, keys, usage (and shared holds) survive close and reopen; migrations run again as a no-op', async (open) => {
      const s = await open();
      const bucket = `reopen|${uid()}`;
      const run = uid();
      const key = newKey(`k-${run}`, { run }, 5);
      await s.insertKey(key);
      await s.reserve(bucket, 10, 1, 'a', 60_000);
      await s.reserve(bucket, 10, 2, 'b', 60_000);
      await s.settle(bucket, 'a', 0.75);
      s.recordUsage(entry({ metadata: { run } }));
      await s.close(); // writes the batched usage

      const again = await open();
      // A hold is a call in flight: shared holds outlive an instance, in-process ones end with it.
      assert.deepEqual(await again.budget(bucket), { spentUsd: 0.75, reservedUsd: h.sharedLive ? 2 : 0 });
      assert.equal((await again.findKeyByHash(key.hash))?.name, key.name);
      assert.equal((await again.queryUsage({ metadata: { run } })).length, 1);
    });
  });
}
