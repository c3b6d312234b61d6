// The Anthropic front over an anthropic model is a pass-through: the request reaches the
// upstream with only the model rewritten and the backend's key, the answer (JSON or
// SSE) comes back byte for byte, usage is read in passing, and count_tokens is forwarded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { accessLine } from '../http/support.js';
import { ANTHROPIC_BACKEND_KEY, CLIENT_KEY, setupAnthropicPass } from './messages-support.js';

test('anthropic pass-through: JSON byte for byte, unknown fields kept', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupAnthropicPass(t);
  const body = JSON.stringify({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], thinking: { type: 'enabled', budget_tokens: 1024 }, some_new_field: [1, 2] });
  const res = await request(`${gw.url()}/v1/messages`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, authorization: `Bearer ${CLIENT_KEY}`, 'anthropic-version': '2025-01-01', 'anthropic-beta': 'b1', 'x-request-id': 'pass-json-1' },
  });
  assert.equal(res.statusCode, 200);
  assert.equal(await res.body.text(), fake.sent.body);
  assert.equal(res.headers['request-id'], 'req_up');
  const up = fake.received[0]!;
  assert.equal(up.url, '/v1/messages');
  assert.deepEqual(up.body, { ...JSON.parse(body), model: 'claude-sonnet-4-5' });
  assert.equal(up.headers['x-api-key'], ANTHROPIC_BACKEND_KEY);
  assert.equal(up.headers.authorization, undefined);
  assert.equal(up.headers['anthropic-version'], '2025-01-01');
  assert.equal(up.headers['anthropic-beta'], 'b1');
  const line = await accessLine(gw, 'pass-json-1');
  assert.deepEqual(line.llm, { model: 'claude', target: 'claude', provider: 'anthropic', attempts: 1, inputTokens: 16, outputTokens: 6, cacheReadTokens: 4, cacheWriteTokens: 0, costUsd: 0.0001272 });

  // The SDK reads it too; a client without anthropic-version gets the default one upstream.
  const msg = await client.messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  assert.deepEqual(msg.content, [{ type: 'text', text: 'Bonjour' }]);
  await request(`${gw.url()}/v1/messages`, { method: 'POST', body, headers: { 'content-type': 'application/json' } }).then((r) => r.body.text());
  assert.equal(fake.received[2]!.headers['anthropic-version'], '2023-06-01');
});

test('anthropic pass-through: stream byte for byte, SDK stream works', { timeout: 30_000 }, async (t) => {
  const { fake, gw, client } = await setupAnthropicPass(t);
  const res = await request(`${gw.url()}/v1/messages`, {
    method: 'POST', body: JSON.stringify({ model: 'claude', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'x-request-id': 'pass-stream-1' },
  });
  assert.equal(await res.body.text(), fake.sent.body);
  assert.equal(fake.received[0]!.body.model, 'claude-sonnet-4-5');
  const line = await accessLine(gw, 'pass-stream-1');
  assert.deepEqual(line.llm, { model: 'claude', target: 'claude', provider: 'anthropic', attempts: 1, inputTokens: 12, outputTokens: 6, cacheReadTokens: 0, cacheWriteTokens: 0, costUsd: 0.000126 });

  const stream = client.messages.stream({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
  const deltas: string[] = [];
  stream.on('text', (d) => deltas.push(d));
  const final = await stream.finalMessage();
  assert.deepEqual(deltas, ['Bon', 'jour']);
  assert.equal(final.usage.output_tokens, 6);
});

test('anthropic pass-through: count_tokens', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropicPass(t);
  const r = await client.messages.countTokens({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] });
  assert.deepEqual(r, { input_tokens: 42 });
  const up = fake.received[0]!;
  assert.equal(up.url, '/v1/messages/count_tokens');
  assert.equal(up.body.model, 'claude-sonnet-4-5');
  assert.equal(up.headers['x-api-key'], ANTHROPIC_BACKEND_KEY);
});
