// An upstream Anthropic 429 reaches the SDK as RateLimitError with retry-after and the
// provider's message in OpenAI shape; an overloaded 529 becomes a 502.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { setupAnthropic } from './anthropic-support.js';

test('anthropic: upstream 429 → RateLimitError, 529 → 502', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  fake.on((_req, res) => {
    res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '17' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit' } }));
  });
  const err = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.headers.get('retry-after'), '17');
  assert.equal((err.error as { type?: string }).type, 'rate_limit_error');
  assert.match(err.message, /per-minute rate limit/);

  fake.on((_req, res) => {
    res.writeHead(529, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
  });
  const over = await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(over instanceof OpenAI.APIError, String(over));
  assert.equal(over.status, 502);
});
