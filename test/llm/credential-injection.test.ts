// The upstream sees the backend's key, never the client's Authorization, x-api-key or
// api-key; a model without a key sends no Authorization at all; configured headers are added.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { BACKEND_KEY, setup } from './support.js';

test('the backend key is injected and client credentials are not forwarded', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setup(t);
  await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-api-key': 'client-x-api-key', 'api-key': 'client-api-key' } });
  const h = fake.received[0]!.headers;
  assert.equal(h.authorization, `Bearer ${BACKEND_KEY}`);
  assert.equal(h['x-api-key'], undefined);
  assert.equal(h['api-key'], undefined);

  const res = await request(`${gw.url()}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer client-token', cookie: 'session=1' },
    body: JSON.stringify({ model: 'local', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.body.json();
  assert.equal(res.statusCode, 200);
  const h2 = fake.received[1]!.headers;
  assert.equal(h2.authorization, undefined, 'a model without apiKey sends no Authorization');
  assert.equal(h2.cookie, undefined);
  assert.equal(h2['x-extra'], 'from-config');
  assert.ok(!JSON.stringify(fake.received.map((r) => r.headers)).includes('client'), 'no client credential reached the upstream');
});
