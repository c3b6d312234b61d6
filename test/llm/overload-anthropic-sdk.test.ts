// RELIABILITY 20 on the Anthropic front: a model at its concurrency cap answers P/messages
// with a 503 in Anthropic's shape (overloaded_error) and retry-after, seen through the
// Anthropic SDK (JSON and stream), without reaching the upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';
import { callsFor, setupOverload } from './overload-support.js';

test('a capped model at its cap → Anthropic-shaped 503 overloaded_error with retry-after', { timeout: 30_000 }, async (t) => {
  const { fake, gate, gw, client } = await setupOverload(t, [
    { name: 'capped', upstream: 'held-model', extra: '          connections: 1\n          queue: { size: 0 }\n' },
  ]);
  const anthropic = new Anthropic({ baseURL: gw.url(), apiKey: 'sk-ant-client', maxRetries: 0, timeout: 20_000 });
  const held = client.chat.completions.create({ model: 'capped', messages: [{ role: 'user', content: 'hi' }] });
  await gate.arrivals(1);

  const body = { model: 'capped', max_tokens: 10, messages: [{ role: 'user' as const, content: 'hi' }] };
  for (const p of [anthropic.messages.create(body), anthropic.messages.stream(body).finalMessage()]) {
    const err = await p.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof Anthropic.APIError, String(err));
    assert.equal(err.status, 503);
    assert.equal(err.headers?.get('retry-after'), '1');
    const e = err.error as { type: string; error: { type: string; message: string } };
    assert.equal(e.type, 'error');
    assert.equal(e.error.type, 'overloaded_error');
    assert.match(e.error.message, /concurrency limit/);
  }
  assert.equal(callsFor(fake, 'held-model'), 1);

  gate.release();
  await held;
});
