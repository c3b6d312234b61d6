// A body that is not JSON, not an object, or has a "__proto__" key is a 400 in the OpenAI
// error shape, and never reaches the upstream; no parser message or stack is echoed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { setup } from './support.js';

for (const [what, body] of [
  ['broken JSON', '{"model": "fast", "messages": ['],
  ['a JSON array', '[1, 2]'],
  ['a __proto__ key', '{"model": "fast", "messages": [], "x": {"__proto__": {"polluted": true}}}'],
] as const) {
  test(`${what} → 400 in OpenAI shape`, { timeout: 30_000 }, async (t) => {
    const { fake, gw } = await setup(t);
    const res = await request(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const text = await res.body.text();
    assert.equal(res.statusCode, 400);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    const json = JSON.parse(text) as { error: Record<string, unknown> };
    assert.deepEqual(Object.keys(json.error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal(json.error.type, 'invalid_request_error');
    assert.doesNotMatch(text, /at |SyntaxError|position/);
    assert.equal(fake.received.length, 0);
  });
}
