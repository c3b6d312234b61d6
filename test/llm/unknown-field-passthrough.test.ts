// Fields the gateway does not know reach the upstream untouched (STYLE 6): only "model"
// is rewritten.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setup } from './support.js';

test('unknown request fields pass through untouched', { timeout: 30_000 }, async (t) => {
  const { fake, client } = await setup(t);
  const extra = { future_knob: { nested: [1, 'two', null, { deep: true }] }, temperature: 0.3, seed: 7 };
  await client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }], ...extra } as Parameters<typeof client.chat.completions.create>[0] & { stream?: false });
  const { model, messages, ...rest } = fake.received[0]!.body;
  assert.equal(model, 'gpt-4o-mini');
  assert.deepEqual(messages, [{ role: 'user', content: 'hi' }]);
  assert.deepEqual(rest, extra);
});

test('a body that needs no change reaches the upstream byte for byte', { timeout: 30_000 }, async (t) => {
  const { fake, gw } = await setup(t);
  // "local" has no upstream model name of its own: nothing to rewrite. Odd spacing, key
  // order, escapes and a number format JSON.stringify would normalise all survive.
  const body = '{ "messages" : [{"role":"user","content":"h\\u00e9 \\/ 1e2"}],\n  "n": 1.0, "model":"local", "x_future": {"a" :[1,2]} }';
  const res = await fetch(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer sk-client' }, body });
  assert.equal(res.status, 200);
  await res.json();
  assert.equal(fake.received[0]!.raw, body);
  // A stream whose client did not ask for usage is re-serialised (include_usage is added).
  const streamBody = '{"model":"local","stream":true,"messages":[{"role":"user","content":"hi"}]}';
  const s = await fetch(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: streamBody });
  await s.text();
  assert.notEqual(fake.received[1]!.raw, streamBody);
  assert.deepEqual(fake.received[1]!.body.stream_options, { include_usage: true });
  // With usage asked for, the stream body passes as sent too.
  const asked = '{"model":"local","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}';
  const a = await fetch(`${gw.url()}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: asked });
  await a.text();
  assert.equal(fake.received[2]!.raw, asked);
});
