// The Anthropic SDK sends its key as x-api-key, or as Authorization: Bearer with
// `authToken`; both are accepted, and neither reaches the upstream, which gets the
// backend's key (and no anthropic-* headers, on an OpenAI upstream).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BACKEND_KEY } from './support.js';
import { CLIENT_KEY, setupMessages } from './messages-support.js';

for (const authToken of [false, true]) {
  test(`client credentials via ${authToken ? 'Authorization: Bearer' : 'x-api-key'} never reach the upstream`, { timeout: 30_000 }, async (t) => {
    const { fake, client } = await setupMessages(t, { authToken });
    const msg = await client.messages.create({ model: 'fast', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(msg.content[0]!.type, 'text');
    const h = fake.received[0]!.headers;
    assert.equal(h.authorization, `Bearer ${BACKEND_KEY}`);
    assert.equal(h['x-api-key'], undefined);
    assert.equal(h['anthropic-version'], undefined);
    assert.ok(!JSON.stringify(h).includes(CLIENT_KEY));
  });
}
