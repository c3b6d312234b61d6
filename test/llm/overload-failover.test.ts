// A concrete model at its concurrency cap is a failure before anything was sent: a virtual
// model moves on to its next target at once, the capped model's own retries do not spin
// on it (nor does it go into cool-down), and when every target is full the client gets
// the 503 with retry-after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { accessLine } from '../http/support.js';
import { callsFor, setupOverload } from './overload-support.js';

const CAPPED = '          connections: 1\n          queue: { size: 0 }\n          retries: 3\n';

test('failover: [capped, other] → a call finding capped full is served by other, with no retry of capped', { timeout: 30_000 }, async (t) => {
  const { fake, gate, gw, client } = await setupOverload(t, [
    { name: 'capped', upstream: 'held-model', extra: CAPPED },
    { name: 'other', upstream: 'other-model' },
  ], '        - { name: smart, failover: [capped, other] }\n');
  const messages = [{ role: 'user' as const, content: 'hi' }];
  // The first call through the virtual model takes capped's only slot and is held there.
  const held = client.chat.completions.create({ model: 'smart', messages });
  await gate.arrivals(1);

  for (let i = 0; i < 4; i++) {
    const { data, response } = await client.chat.completions.create({ model: 'smart', messages }, { headers: { 'x-request-id': `fo-${i}` } }).withResponse();
    assert.equal(data.choices[0]!.message.content, 'Hello world');
    assert.equal(response.headers.get('x-agentedge-model'), 'other');
    assert.equal((await accessLine(gw, `fo-${i}`)).llm.target, 'other');
  }
  assert.equal(callsFor(fake, 'held-model'), 1, 'capped was never called again (no retries on a full model)');
  assert.equal(callsFor(fake, 'other-model'), 4);

  gate.release();
  assert.equal((await held).choices[0]!.message.content, 'Hello world');
  // Not in cool-down: with capped free again, the next call goes to it first.
  const { response } = await client.chat.completions.create({ model: 'smart', messages }).withResponse();
  assert.equal(response.headers.get('x-agentedge-model'), 'capped');
});

test('failover: every target at its cap → 503 AE_UPSTREAM_OVERLOADED with retry-after', { timeout: 30_000 }, async (t) => {
  const { fake, gate, client } = await setupOverload(t, [
    { name: 'a', upstream: 'held-model', extra: CAPPED },
    { name: 'b', upstream: 'held-model', extra: CAPPED },
  ], '        - { name: smart, failover: [a, b] }\n');
  const messages = [{ role: 'user' as const, content: 'hi' }];
  const held = [client.chat.completions.create({ model: 'a', messages }), client.chat.completions.create({ model: 'b', messages })];
  await gate.arrivals(2);
  const err = await client.chat.completions.create({ model: 'smart', messages }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.APIError, String(err));
  assert.equal(err.status, 503);
  assert.equal(err.headers.get('retry-after'), '1');
  assert.equal((err.error as { code: string }).code, 'AE_UPSTREAM_OVERLOADED');
  assert.equal(callsFor(fake, 'held-model'), 2);
  gate.release();
  await Promise.all(held);
});
