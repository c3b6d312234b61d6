// Gemini HTTP errors ({"error":{"code","message","status"}}) reach the SDK in OpenAI shape:
// 429 → RateLimitError with retry-after and the provider's message; 400 kept; 403 (the
// backend's key) → 502; a 500 → 502. The backend's key never appears in a body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { GEMINI_KEY, setupGemini } from './gemini-support.js';

test('gemini: upstream 429 → RateLimitError, 400 kept, 403/500 → 502', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  const call = () => client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  const answer = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) => fake.on((_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers });
    res.end(JSON.stringify({ error: { code: status, ...error } }));
  });

  answer(429, { message: 'Resource has been exhausted (e.g. check quota).', status: 'RESOURCE_EXHAUSTED' }, { 'retry-after': '17' });
  const rl = await call();
  assert.ok(rl instanceof OpenAI.RateLimitError, String(rl));
  assert.equal(rl.headers.get('retry-after'), '17');
  assert.match(rl.message, /Resource has been exhausted/);

  answer(400, { message: `Invalid value at 'contents[0]' for key ${GEMINI_KEY}`, status: 'INVALID_ARGUMENT' });
  const b = await call();
  assert.ok(b instanceof OpenAI.BadRequestError, String(b));
  assert.match(b.message, /Invalid value at 'contents\[0\]'/);
  assert.ok(!b.message.includes(GEMINI_KEY));

  for (const status of [403, 500]) {
    answer(status, { message: 'Permission denied', status: 'PERMISSION_DENIED' });
    const e = await call();
    assert.ok(e instanceof OpenAI.APIError, String(e));
    assert.equal(e.status, 502);
    assert.ok(!e.message.includes('Permission denied'));
  }
});
