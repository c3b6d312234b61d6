// The fake Anthropic sees the backend's key as x-api-key and an anthropic-version header,
// never the client's key (neither as Authorization nor anywhere else).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ANTHROPIC_KEY, CLIENT_KEY, setupAnthropic } from './anthropic-support.js';

test('anthropic: backend key as x-api-key, client key never forwarded', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setupAnthropic(t);
  await client.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-api-key': CLIENT_KEY, 'anthropic-beta': 'client-beta' } });
  const h = fake.received[0]!.headers;
  assert.equal(h['x-api-key'], ANTHROPIC_KEY);
  assert.equal(h['anthropic-version'], '2023-06-01');
  assert.equal(h.authorization, undefined);
  assert.equal(h['anthropic-beta'], undefined);
  assert.ok(!JSON.stringify(h).includes(CLIENT_KEY));
});
