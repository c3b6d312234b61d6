// An upstream 429 keeps its status and retry-after, so the SDK raises RateLimitError; the
// provider's message is passed on with the backend key and upstream address scrubbed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { BACKEND_KEY, setup } from './support.js';

test('upstream 429 with retry-after → RateLimitError, nothing secret echoed', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setup(t);
  fake.on('/v1/chat/completions', (_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '7', 'x-ratelimit-remaining-requests': '0' });
    res.end(JSON.stringify({ error: { message: `Rate limit reached for key ${BACKEND_KEY} at ${fake.url}`, type: 'requests', param: null, code: 'rate_limit_exceeded' } }));
  });
  const err = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.status, 429);
  assert.equal(err.headers.get('retry-after'), '7');
  assert.equal(err.headers.get('x-agentedge-model'), 'fast');
  assert.equal(err.code, 'rate_limit_exceeded');
  assert.match(err.message, /Rate limit reached/);
  assert.ok(!err.message.includes(BACKEND_KEY), 'the backend key is not echoed');
  assert.ok(!err.message.includes(fake.url.replace('http://', '')), 'the upstream address is not echoed');
});

test('upstream 500 and 401 become a generic 502', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setup(t);
  let status = 500;
  fake.on('/v1/chat/completions', (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `internal detail ${BACKEND_KEY}`, type: 'server_error', param: null, code: null } }));
  });
  for (status of [500, 401]) {
    const err = await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 502);
    assert.doesNotMatch(err.message, /internal detail/);
  }
});
