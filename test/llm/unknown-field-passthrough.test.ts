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
