// The admin API's keys: POST /keys creates a key shown once (only its hash is stored), GET
// /keys lists keys without key or hash, DELETE /keys/<id or name> revokes at once. All of
// it behind the admin token, from config or from AGENTEDGE_ADMIN_TOKEN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI from 'openai';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { startFakeOpenAI } from '../llm/support.js';
import { hashKey } from '../../src/policy/apikey.js';
import { ADMIN_TOKEN, adminClient, hi, keysConfig, openai } from './state-support.js';

async function setup(t: { after(fn: () => Promise<void>): void }, admin = `, token: "${ADMIN_TOKEN}"`, env?: Record<string, string>): Promise<TestGateway> {
  const fake = await startFakeOpenAI();
  const gw = await startGateway(keysConfig(fake, admin), env === undefined ? {} : { env });
  t.after(async () => { await gw.close(); await fake.close(); });
  return gw;
}

const ENDPOINTS = [['POST', '/keys'], ['GET', '/keys'], ['DELETE', '/keys/nope'], ['GET', '/usage']] as const;

test('the admin token from config guards /keys and /usage: none or a wrong one → 401', async (t) => {
  const gw = await setup(t);
  for (const token of [null, 'wrong-token-wrong-token-wrong']) {
    const call = adminClient(gw.adminUrl(), token);
    for (const [method, path] of ENDPOINTS) {
      const r = await call(method, path, method === 'POST' ? { name: 'x' } : undefined);
      assert.equal(r.status, 401, `${method} ${path} with ${token ?? 'no token'}`);
      assert.equal(r.body.error.code, 'AE_ADMIN_UNAUTHORIZED');
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer realm=/);
    }
  }
  const listed = await adminClient(gw.adminUrl(), null)('GET', '/keys');
  assert.equal(listed.status, 401);
  // Nothing was created by the refused POSTs.
  assert.deepEqual((await adminClient(gw.adminUrl(), ADMIN_TOKEN)('GET', '/keys')).body, { keys: [] });
});

test('AGENTEDGE_ADMIN_TOKEN guards the key API when the config sets no token', async (t) => {
  const envToken = 'a-token-from-the-environment-0002';
  const gw = await setup(t, '', { AGENTEDGE_ADMIN_TOKEN: envToken });
  assert.equal((await adminClient(gw.adminUrl(), null)('POST', '/keys', { name: 'x' })).status, 401);
  assert.equal((await adminClient(gw.adminUrl(), ADMIN_TOKEN)('GET', '/keys')).status, 401);
  const created = await adminClient(gw.adminUrl(), envToken)('POST', '/keys', { name: 'x' });
  assert.equal(created.status, 201);
});

test('a created key works for an LLM call at once, is listed without key or hash, and gets 401 at once after a revoke', { timeout: 30_000 }, async (t) => {
  const gw = await setup(t);
  const admin = adminClient(gw.adminUrl(), ADMIN_TOKEN);
  const before = Date.now();
  const created = await admin('POST', '/keys', { name: 'team-a-app', metadata: { team: 'a', org: 'acme' } });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('cache-control'), 'no-store');
  const { id, name, prefix, metadata, createdAt, key } = created.body;
  assert.deepEqual(Object.keys(created.body).sort(), ['createdAt', 'id', 'key', 'metadata', 'name', 'prefix']);
  assert.match(id, /^key_/);
  assert.equal(name, 'team-a-app');
  assert.deepEqual(metadata, { team: 'a', org: 'acme' });
  assert.match(key, /^ae-[A-Za-z0-9_-]{43}$/);
  assert.ok(key.startsWith(prefix));
  assert.ok(Date.parse(createdAt) >= before - 1 && Date.parse(createdAt) <= Date.now());

  const client = openai(gw.url(), key);
  const answer = await client.chat.completions.create({ model: 'fast', ...hi });
  assert.equal(answer.choices[0]!.message.content, 'Hello world');

  const listed = await admin('GET', '/keys');
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body, { keys: [{ id, name, prefix, metadata, createdAt, revokedAt: null }] });
  const text = JSON.stringify(listed.body);
  assert.ok(!text.includes(key), 'the key is never listed');
  assert.ok(!text.includes(hashKey(key)), 'nor its hash');
  // Only the hash is stored: the key itself is nowhere in the database file.
  const db = ['agentedge.db', 'agentedge.db-wal'].map((f) => join(gw.dir, 'data', f)).filter((f) => existsSync(f)).map((f) => readFileSync(f).toString('latin1')).join('');
  assert.ok(!db.includes(key), 'the key is not in the database');
  assert.ok(db.includes(hashKey(key)), 'its hash is');

  const revoked = await admin('DELETE', `/keys/${id}`);
  assert.equal(revoked.status, 200);
  assert.deepEqual(revoked.body, { revoked: true, id });
  // The key was cached as good a moment ago: the revoke drops the cache, so 401 at once.
  await assert.rejects(client.chat.completions.create({ model: 'fast', ...hi }), (e: unknown) => e instanceof OpenAI.AuthenticationError);

  assert.deepEqual((await admin('GET', '/keys')).body, { keys: [] });
  const all = await admin('GET', '/keys?includeRevoked=true');
  assert.equal(all.body.keys.length, 1);
  assert.ok(Date.parse(all.body.keys[0].revokedAt) >= Date.parse(createdAt));
  // Revoking again: there is no live key with that id.
  const again = await admin('DELETE', `/keys/${id}`);
  assert.equal(again.status, 404);
  assert.equal(again.body.error.code, 'AE_KEY_NOT_FOUND');
});

test('a duplicate live name is a 409 conflict; revoked by name, the name is free again', async (t) => {
  const gw = await setup(t);
  const admin = adminClient(gw.adminUrl(), ADMIN_TOKEN);
  const first = await admin('POST', '/keys', { name: 'ci bot' });
  assert.equal(first.status, 201);
  const dup = await admin('POST', '/keys', { name: 'ci bot', metadata: { team: 'b' } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, 'AE_KEY_CONFLICT');
  assert.match(dup.body.error.message, /ci bot/);
  // By name, percent-encoded in the path.
  const revoked = await admin('DELETE', `/keys/${encodeURIComponent('ci bot')}`);
  assert.deepEqual(revoked.body, { revoked: true, id: first.body.id });
  const second = await admin('POST', '/keys', { name: 'ci bot' });
  assert.equal(second.status, 201);
  assert.notEqual(second.body.id, first.body.id);
  assert.equal((await admin('GET', '/keys?includeRevoked=true')).body.keys.length, 2);
  const unknown = await admin('DELETE', '/keys/no-such-key');
  assert.equal(unknown.status, 404);
  assert.equal(unknown.body.error.code, 'AE_KEY_NOT_FOUND');
});

test('GET /keys filters by metadata (all filters must match) and hides revoked keys unless asked', async (t) => {
  const gw = await setup(t);
  const admin = adminClient(gw.adminUrl(), ADMIN_TOKEN);
  for (const [name, metadata] of [['a1', { team: 'a', org: 'acme' }], ['a2', { team: 'a', org: 'other' }], ['b1', { team: 'b', org: 'acme' }], ['none', {}]] as const) {
    assert.equal((await admin('POST', '/keys', { name, metadata })).status, 201);
  }
  const names = async (query: string) => ((await admin('GET', `/keys${query}`)).body.keys as { name: string }[]).map((k) => k.name).sort();
  assert.deepEqual(await names(''), ['a1', 'a2', 'b1', 'none']);
  assert.deepEqual(await names('?metadata.team=a'), ['a1', 'a2']);
  assert.deepEqual(await names('?metadata.team=a&metadata.org=acme'), ['a1']);
  assert.deepEqual(await names('?metadata.org=acme'), ['a1', 'b1']);
  assert.deepEqual(await names('?metadata.team=c'), []);
  await admin('DELETE', '/keys/a2');
  assert.deepEqual(await names('?metadata.team=a'), ['a1']);
  assert.deepEqual(await names('?metadata.team=a&includeRevoked=true'), ['a1', 'a2']);
});

test('bad input answers 400 naming the field; a body over 64 KiB answers 413', async (t) => {
  const gw = await setup(t);
  const admin = adminClient(gw.adminUrl(), ADMIN_TOKEN);
  const bad: [unknown, RegExp][] = [
    ['{"name": ', /^body is not valid JSON/],
    [[], /^body must be a JSON object/],
    [{}, /^name must be a string of 1 to 128/],
    [{ name: '' }, /^name must be/],
    [{ name: 7 }, /^name must be/],
    [{ name: 'x'.repeat(129) }, /^name must be/],
    [{ name: 'bad\nname' }, /^name must be/],
    [{ name: 'x', metadata: 'team=a' }, /^metadata must be an object/],
    [{ name: 'x', metadata: ['a'] }, /^metadata must be an object/],
    [{ name: 'x', metadata: { team: 1 } }, /^metadata\.team value must be a string/],
    [{ name: 'x', metadata: { team: 'v'.repeat(1025) } }, /^metadata\.team value must be a string of at most 1024/],
    [{ name: 'x', metadata: { ['k'.repeat(65)]: 'v' } }, /key must be 1 to 64/],
    [{ name: 'x', metadata: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`k${i}`, 'v'])) }, /^metadata must have at most 32 entries/],
    [{ name: 'x', meta: {} }, /^meta is not a known field/],
  ];
  for (const [body, message] of bad) {
    const r = await admin('POST', '/keys', body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(r.body.error.code, 'AE_BAD_REQUEST');
    assert.match(r.body.error.message, message);
  }
  // 32 entries and the longest name are fine.
  const edge = await admin('POST', '/keys', { name: 'n'.repeat(128), metadata: Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`k${i}`, 'v'])) });
  assert.equal(edge.status, 201);

  const huge = await admin('POST', '/keys', { name: 'x', metadata: { pad: 'p'.repeat(70 * 1024) } });
  assert.equal(huge.status, 413);
  assert.equal(huge.body.error.code, 'AE_BODY_TOO_LARGE');

  for (const [query, message] of [['?includeRevoked=yes', /^includeRevoked must be true or false/], ['?team=a', /^team is not a known parameter/], ['?metadata.team=a&metadata.team=b', /^metadata\.team is given more than once/]] as const) {
    const r = await admin('GET', `/keys${query}`);
    assert.equal(r.status, 400, query);
    assert.match(r.body.error.message, message);
  }
  const encoded = await admin('DELETE', '/keys/%E0%A4%A');
  assert.equal(encoded.status, 400);
  assert.match(encoded.body.error.message, /^path /);
  // Only the one good key was created.
  assert.equal((await admin('GET', '/keys')).body.keys.length, 1);
});
