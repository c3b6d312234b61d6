// loadBalance spreads calls over its targets by weight; weight 0 is a fallback only; a
// failed call moves on to the other targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { calls, failWith, setupRouting } from './routing-support.js';

test('loadBalance: equal weights reach both targets', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['a', 'b'], `        - name: spread
          loadBalance: [{ model: a }, { model: b }]
`);
  for (let i = 0; i < 40; i++) await client.chat.completions.create({ model: 'spread', messages: [{ role: 'user', content: 'hi' }] });
  // The chance that 40 fair draws all land on one side is 2^-39.
  assert.ok(calls(fakes.a!) > 0 && calls(fakes.b!) > 0, `a=${calls(fakes.a!)} b=${calls(fakes.b!)}`);
  assert.equal(calls(fakes.a!) + calls(fakes.b!), 40);
});

test('loadBalance: weight 0 takes no share but serves when the others fail', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['a', 'b'], `        - name: spread
          loadBalance: [{ model: a, weight: 5 }, { model: b, weight: 0 }]
`);
  for (let i = 0; i < 10; i++) await client.chat.completions.create({ model: 'spread', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(calls(fakes.a!), 10);
  assert.equal(calls(fakes.b!), 0);
  fakes.a!.on('/v1/chat/completions', failWith(502));
  const r = await client.chat.completions.create({ model: 'spread', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.choices[0]!.message.content, 'Hello world');
  assert.equal(calls(fakes.b!), 1);
});
