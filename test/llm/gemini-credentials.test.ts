// The fake Gemini sees the backend's key as x-goog-api-key, no key in the URL, and never the
// client's key (neither as Authorization, x-goog-api-key nor anywhere else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_KEY, GEMINI_KEY, setupGemini } from './gemini-support.js';

test('gemini: backend key as x-goog-api-key, never in the URL, client key never forwarded', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupGemini(t);
  await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-goog-api-key': CLIENT_KEY, 'x-api-key': CLIENT_KEY } });
  const stream = await client.chat.completions.create({ model: 'gem', messages: [{ role: 'user', content: 'hi' }], stream: true });
  for await (const _ of stream) { /* drain */ }
  assert.equal(fake.received.length, 2);
  for (const r of fake.received) {
    assert.equal(r.headers['x-goog-api-key'], GEMINI_KEY);
    assert.equal(r.headers.authorization, undefined);
    assert.ok(!r.url.includes('key='), r.url);
    assert.ok(!r.url.includes(GEMINI_KEY), r.url);
    assert.ok(!JSON.stringify(r.headers).includes(CLIENT_KEY));
    assert.ok(!JSON.stringify(r.body).includes(CLIENT_KEY));
  }
});
