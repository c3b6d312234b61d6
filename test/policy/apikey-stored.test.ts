// Stored keys: looked up by hash in the state store, cached briefly (5 s found, 1 s not
// found), forgotten at once on forget(); synchronous and asynchronous stores; a store
// that fails answers "key store unavailable" and is not cached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RequestContext } from '../../src/core/context.js';
import { createApiKeyAuthenticator, generateApiKey, hashKey, KEY_STORE_UNAVAILABLE, type KeyLookup } from '../../src/policy/apikey.js';
import type { AuthResult } from '../../src/policy/types.js';
import type { StoredKey } from '../../src/state/types.js';

const ctx = (key: string): RequestContext => ({ req: { headers: { 'x-api-key': key } } }) as unknown as RequestContext;

function storedKey(name: string, metadata: Record<string, string> = {}): StoredKey {
  return { id: `key_${name}`, name, prefix: 'ae-xxxxxxx', metadata, createdAt: 1, revokedAt: null };
}

/** A fake store: a map from hash to key, counting lookups; `async` answers with promises. */
function fakeStore(async = false) {
  const byHash = new Map<string, StoredKey>();
  const store = {
    calls: 0,
    byHash,
    lookup: ((hash: string) => {
      store.calls++;
      const found = byHash.get(hash) ?? null;
      return async ? Promise.resolve(found) : found;
    }) as KeyLookup,
  };
  return store;
}

/** A synchronous store answers without a promise; getting one would be a bug. */
function syncAuth(auth: { authenticate(c: RequestContext): AuthResult | Promise<AuthResult> }, key: string): AuthResult {
  const r = auth.authenticate(ctx(key));
  assert.ok(!(r instanceof Promise), 'expected a synchronous result');
  return r;
}

const spec = { name: 'keys', stored: true, keys: [{ name: 'config-key', key: 'ae-config', metadata: {} }] };

test('a stored key: ok with its name and metadata, from a synchronous store without a promise', () => {
  const store = fakeStore();
  const { key, hash } = generateApiKey();
  store.byHash.set(hash, storedKey('runtime', { team: 'c' }));
  const auth = createApiKeyAuthenticator(spec, store.lookup);
  const r = auth.authenticate(ctx(key));
  assert.ok(!(r instanceof Promise));
  assert.deepEqual(r, { kind: 'ok', identity: { kind: 'apiKey', name: 'runtime', metadata: { team: 'c' }, claims: null, policy: 'keys' }, header: 'x-api-key' });
});

test('the cache: repeated requests with a stored key hit the store once', () => {
  const store = fakeStore();
  const { key, hash } = generateApiKey();
  store.byHash.set(hash, storedKey('runtime'));
  const auth = createApiKeyAuthenticator(spec, store.lookup);
  for (let i = 0; i < 100; i++) assert.equal(syncAuth(auth, key).kind, 'ok');
  assert.equal(store.calls, 1);
});

test('config keys never reach the store', () => {
  const store = fakeStore();
  const auth = createApiKeyAuthenticator(spec, store.lookup);
  assert.equal(syncAuth(auth, 'ae-config').kind, 'ok');
  assert.equal(store.calls, 0);
});

test('an unknown key is cached as unknown for 1 s; a found key for 5 s', (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const store = fakeStore();
  const { key, hash } = generateApiKey();
  store.byHash.set(hash, storedKey('runtime'));
  const auth = createApiKeyAuthenticator(spec, store.lookup);

  assert.deepEqual(syncAuth(auth, 'ae-nope'), { kind: 'invalid', reason: 'unknown key' });
  assert.deepEqual(syncAuth(auth, 'ae-nope'), { kind: 'invalid', reason: 'unknown key' });
  assert.equal(store.calls, 1);
  t.mock.timers.tick(1_001);
  syncAuth(auth, 'ae-nope');
  assert.equal(store.calls, 2);

  syncAuth(auth, key);
  assert.equal(store.calls, 3);
  t.mock.timers.tick(4_000);
  syncAuth(auth, key);
  assert.equal(store.calls, 3, 'still cached at 4 s');
  t.mock.timers.tick(1_001);
  syncAuth(auth, key);
  assert.equal(store.calls, 4, 'asked again after 5 s');
});

test('revoked, then forget(hash): refused at once', () => {
  const store = fakeStore();
  const { key, hash } = generateApiKey();
  store.byHash.set(hash, storedKey('runtime'));
  const auth = createApiKeyAuthenticator(spec, store.lookup);
  assert.equal(syncAuth(auth, key).kind, 'ok');

  store.byHash.delete(hash); // revoked in the store
  assert.equal(syncAuth(auth, key).kind, 'ok', 'still cached: a revoke elsewhere takes up to 5 s');
  auth.forget(hash);
  assert.deepEqual(syncAuth(auth, key), { kind: 'invalid', reason: 'unknown key' });
});

test('forget() without a hash drops every cached lookup; a key created after a miss works once forgotten', () => {
  const store = fakeStore();
  const auth = createApiKeyAuthenticator(spec, store.lookup);
  const { key, hash } = generateApiKey();
  assert.equal(syncAuth(auth, key).kind, 'invalid');
  store.byHash.set(hash, storedKey('late'));
  assert.equal(syncAuth(auth, key).kind, 'invalid', 'the miss is cached');
  auth.forget();
  assert.equal(syncAuth(auth, key).kind, 'ok');
});

test('a key the store returns as revoked is refused', () => {
  const { key } = generateApiKey();
  const auth = createApiKeyAuthenticator(spec, () => ({ ...storedKey('old'), revokedAt: 5 }));
  assert.deepEqual(syncAuth(auth, key), { kind: 'invalid', reason: 'unknown key' });
});

test('an asynchronous store: a promise on a miss, concurrent requests share one lookup, then synchronous from the cache', async () => {
  const store = fakeStore(true);
  const { key, hash } = generateApiKey();
  store.byHash.set(hash, storedKey('runtime'));
  const auth = createApiKeyAuthenticator(spec, store.lookup);
  const pending = [auth.authenticate(ctx(key)), auth.authenticate(ctx(key)), auth.authenticate(ctx(key))];
  assert.ok(pending.every((p) => p instanceof Promise));
  const results = await Promise.all(pending);
  assert.ok(results.every((r) => r.kind === 'ok' && r.identity.name === 'runtime'));
  assert.equal(store.calls, 1);
  const cached = auth.authenticate(ctx(key));
  assert.ok(!(cached instanceof Promise));
  assert.equal(cached.kind, 'ok');
});

test('forget() during a lookup: the stale answer is not cached', async () => {
  const store = fakeStore(true);
  const { key, hash } = generateApiKey();
  store.byHash.set(hash, storedKey('runtime'));
  const auth = createApiKeyAuthenticator(spec, store.lookup);
  const first = auth.authenticate(ctx(key));
  store.byHash.delete(hash);
  auth.forget(hash);
  assert.equal((await first).kind, 'ok', 'the request already under way may still pass');
  assert.deepEqual(await auth.authenticate(ctx(key)), { kind: 'invalid', reason: 'unknown key' });
  assert.equal(store.calls, 2);
});

test('a store that throws or rejects: invalid with "key store unavailable", not cached', async () => {
  const { key } = generateApiKey();
  let calls = 0;
  const throwing = createApiKeyAuthenticator(spec, () => { calls++; throw new Error('db gone'); });
  assert.deepEqual(syncAuth(throwing, key), { kind: 'invalid', reason: KEY_STORE_UNAVAILABLE });
  syncAuth(throwing, key);
  assert.equal(calls, 2);

  const rejecting = createApiKeyAuthenticator(spec, () => Promise.reject(new Error('db gone')));
  assert.deepEqual(await rejecting.authenticate(ctx(key)), { kind: 'invalid', reason: KEY_STORE_UNAVAILABLE });
});

test('the store is asked by the SHA-256 hex of the key, never the key', () => {
  const seen: string[] = [];
  const auth = createApiKeyAuthenticator(spec, (h) => { seen.push(h); return null; });
  syncAuth(auth, 'ae-some-key');
  assert.deepEqual(seen, [hashKey('ae-some-key')]);
});

test('the cache is bounded: a flood of made-up keys does not evict a working key', () => {
  const store = fakeStore();
  const { key, hash } = generateApiKey();
  store.byHash.set(hash, storedKey('runtime'));
  const auth = createApiKeyAuthenticator(spec, store.lookup);
  syncAuth(auth, key);
  for (let i = 0; i < 12_000; i++) syncAuth(auth, `ae-made-up-${i}`);
  const before = store.calls;
  assert.equal(syncAuth(auth, key).kind, 'ok');
  assert.equal(store.calls, before, 'the working key is still cached');
  syncAuth(auth, 'ae-made-up-0');
  assert.equal(store.calls, before + 1, 'the oldest miss was evicted');
});
