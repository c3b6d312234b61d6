// The apiKey authenticator with keys from config: missing, wrong, right, malformed; the
// identity it gives; synchronous answers; key generation and hashing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { RequestContext } from '../../src/core/context.js';
import { createApiKeyAuthenticator, generateApiKey, hashKey, type ApiKeySpec } from '../../src/policy/apikey.js';
import type { AuthResult } from '../../src/policy/types.js';

const ctx = (headers: Record<string, string>): RequestContext => ({ req: { headers } }) as unknown as RequestContext;

const spec: ApiKeySpec = {
  name: 'keys',
  stored: false,
  keys: [
    { name: 'team-a', key: 'ae-team-a-secret', metadata: { team: 'a', tier: 'gold' } },
    { name: 'team-b', key: 'ae-team-b-secret', metadata: {} },
  ],
};

/** Config keys never need a promise; getting one here would be a bug. */
function sync(r: AuthResult | Promise<AuthResult>): AuthResult {
  assert.ok(!(r instanceof Promise), 'expected a synchronous result');
  return r;
}

test('no key: none', () => {
  const auth = createApiKeyAuthenticator(spec, null);
  assert.deepEqual(sync(auth.authenticate(ctx({}))), { kind: 'none' });
  assert.deepEqual(sync(auth.authenticate(ctx({ authorization: 'Basic eDp5' }))), { kind: 'none' });
});

test('wrong key: invalid, and the reason does not contain the key', () => {
  const auth = createApiKeyAuthenticator(spec, null);
  const r = sync(auth.authenticate(ctx({ 'x-api-key': 'ae-team-a-secreT' })));
  assert.deepEqual(r, { kind: 'invalid', reason: 'unknown key' });
});

test('malformed key: invalid with its own reason', () => {
  const auth = createApiKeyAuthenticator(spec, null);
  assert.deepEqual(sync(auth.authenticate(ctx({ authorization: 'Bearer ae-team-a-secret extra' }))), { kind: 'invalid', reason: 'malformed key' });
});

test('right key, from each header: ok with the key name, metadata and policy', () => {
  const auth = createApiKeyAuthenticator(spec, null);
  assert.equal(auth.kind, 'apiKey');
  assert.equal(auth.name, 'keys');
  assert.match(auth.challenge, /^Bearer /);
  const headerSets: Record<string, string>[] = [{ authorization: 'Bearer ae-team-a-secret' }, { 'x-api-key': 'ae-team-a-secret' }, { 'api-key': 'ae-team-a-secret' }];
  for (const headers of headerSets) {
    const r = sync(auth.authenticate(ctx(headers)));
    // The header is named when it is not Authorization (a passthrough model must not forward it).
    const header = Object.keys(headers)[0]!;
    assert.deepEqual(r, { kind: 'ok', identity: { kind: 'apiKey', name: 'team-a', metadata: { team: 'a', tier: 'gold' }, claims: null, policy: 'keys' }, ...(header === 'authorization' ? {} : { header }) });
  }
  const b = sync(auth.authenticate(ctx({ 'x-api-key': 'ae-team-b-secret' })));
  assert.equal(b.kind === 'ok' && b.identity.name, 'team-b');
});

test('the identity cannot be changed by a later phase', () => {
  const auth = createApiKeyAuthenticator(spec, null);
  const r = sync(auth.authenticate(ctx({ 'x-api-key': 'ae-team-a-secret' })));
  assert.ok(r.kind === 'ok');
  assert.ok(Object.isFrozen(r.identity) && Object.isFrozen(r.identity.metadata));
});

test('config keys that could never be presented, or repeat another key, are refused at creation without echoing the key', () => {
  for (const key of ['', 'has space', 'x'.repeat(4097), 'naïve']) {
    assert.throws(() => createApiKeyAuthenticator({ name: 'p', stored: false, keys: [{ name: 'k', key, metadata: {} }] }, null),
      (e: Error) => e instanceof TypeError && e.message.includes('"k"') && (key === '' || !e.message.includes(key)));
  }
  assert.throws(() => createApiKeyAuthenticator({ name: 'p', stored: false, keys: [
    { name: 'one', key: 'same-secret', metadata: {} }, { name: 'two', key: 'same-secret', metadata: {} },
  ] }, null), (e: Error) => e.message.includes('"one"') && e.message.includes('"two"') && !e.message.includes('same-secret'));
});

test('a stored-looking key is unknown when stored keys are off, even with a lookup function', () => {
  let calls = 0;
  const auth = createApiKeyAuthenticator({ ...spec, stored: false }, () => { calls++; return null; });
  assert.deepEqual(sync(auth.authenticate(ctx({ 'x-api-key': 'ae-other' }))), { kind: 'invalid', reason: 'unknown key' });
  assert.equal(calls, 0);
});

test('hashKey is the lower-case hex SHA-256 of the key', () => {
  assert.equal(hashKey('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(hashKey('ae-x'), createHash('sha256').update('ae-x').digest('hex'));
});

test('generateApiKey: ae- and 32 random bytes, its prefix, hash and id', () => {
  const g = generateApiKey();
  assert.match(g.key, /^ae-[A-Za-z0-9_-]{43}$/);
  assert.equal(g.prefix, g.key.slice(0, 10));
  assert.equal(g.hash, hashKey(g.key));
  assert.match(g.id, /^key_[0-9a-f]{24}$/);
  const h = generateApiKey();
  assert.notEqual(g.key, h.key);
  assert.notEqual(g.id, h.id);
});

test('a generated key works as a config key, from any header', () => {
  const { key } = generateApiKey();
  const auth = createApiKeyAuthenticator({ name: 'p', stored: false, keys: [{ name: 'gen', key, metadata: {} }] }, null);
  assert.equal(sync(auth.authenticate(ctx({ authorization: `Bearer ${key}` }))).kind, 'ok');
});

test('a provider key in Authorization and the gateway key in x-api-key: the gateway key is found, and its header named', () => {
  const auth = createApiKeyAuthenticator(spec, null);
  const r = sync(auth.authenticate(ctx({ authorization: 'Bearer sk-provider-key', 'x-api-key': 'ae-team-a-secret' })));
  assert.equal(r.kind === 'ok' && r.identity.name, 'team-a');
  assert.equal(r.kind === 'ok' && r.header, 'x-api-key');
  // Neither header holds a gateway key: the first failure is the answer.
  assert.deepEqual(sync(auth.authenticate(ctx({ authorization: 'Bearer sk-provider-key', 'x-api-key': 'sk-other' }))), { kind: 'invalid', reason: 'unknown key' });
});
