// A model that keeps failing leaves the rotation of virtual models for the cool-down; when
// every target is cooling down they are all tried anyway (a call is never refused for it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { calls, failWith, setupRouting } from './routing-support.js';

const SMART = `        - name: smart
          failover: [primary, backup]
`;
const COOLDOWN = '      cooldown: { failures: 2, duration: 60s }\n';

test('cool-down: after 2 failures in a row the failing target is tried last, then not at all while the next one answers', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['primary', 'backup'], SMART, { backendExtra: COOLDOWN });
  fakes.primary!.on('/v1/chat/completions', failWith(503));
  for (let i = 0; i < 2; i++) await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(calls(fakes.primary!), 2);
  for (let i = 0; i < 3; i++) await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(calls(fakes.primary!), 2, 'primary is out of rotation');
  assert.equal(calls(fakes.backup!), 5);
  // Named directly, a cooling model is still called: cool-down only shapes virtual models.
  const err = await client.chat.completions.create({ model: 'primary', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.APIError);
  assert.equal(calls(fakes.primary!), 3);
});

test('cool-down: never all at once: with every target cooling, the call still tries them in order', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['primary', 'backup'], SMART, { backendExtra: '      cooldown: { failures: 1, duration: 60s }\n' });
  fakes.primary!.on('/v1/chat/completions', failWith(500));
  fakes.backup!.on('/v1/chat/completions', failWith(500));
  const first = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(first instanceof OpenAI.APIError);
  // Both are cooling down now; the backup recovers.
  fakes.backup!.on('/v1/chat/completions', (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: req.body.model, choices: [{ index: 0, message: { role: 'assistant', content: 'back' }, finish_reason: 'stop' }] }));
  });
  const r = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r.choices[0]!.message.content, 'back');
  assert.equal(calls(fakes.primary!), 2);
  assert.equal(calls(fakes.backup!), 2);
});

test('cool-down: a success puts the model back in rotation', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['primary', 'backup'], SMART, { backendExtra: COOLDOWN });
  let failing = true;
  const fail = failWith(503);
  fakes.primary!.on('/v1/chat/completions', (req, res, raw) => {
    if (failing) return fail(req, res, raw);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: req.body.model, choices: [{ index: 0, message: { role: 'assistant', content: 'primary' }, finish_reason: 'stop' }] }));
  });
  // One failure (below the threshold of 2), then a success: the count starts again.
  await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
  failing = false;
  const r1 = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(r1.choices[0]!.message.content, 'primary');
  failing = true;
  await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
  // Had the earlier failure still counted, primary would be cooling now and skipped.
  await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(calls(fakes.primary!), 4);
});
