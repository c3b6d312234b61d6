// LLM retries stay within a budget per model (RELIABILITY 19): a model with `retries: 2`
// whose upstream answers 503 to everything gets about 1.2 calls per client call (plus a
// burst of 10), not 3. Retries still happen at first; a call the budget does not retry
// still fails over to a virtual model's next target; connection failures are budgeted too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { accessLine, closedPort } from '../http/support.js';
import { calls, failWith, setupRouting } from './routing-support.js';

const N = 50;
const RETRIES = '          retries: 2\n          retryBackoff: 1ms\n';
// Cool-down would move a failing target to the end of a failover plan; these tests keep it in front.
const NO_COOLDOWN = '      cooldown: { failures: 1000, duration: 1s }\n';

test(`an all-503 model with retries: 2 gets fewer than 2 calls per client call over ${N} calls`, { timeout: 60_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['one'], '', { modelKeys: RETRIES });
  fakes.one!.on('/v1/chat/completions', failWith(503));
  for (let i = 0; i < N; i++) {
    const err = await client.chat.completions.create({ model: 'one', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 502);
  }
  const upstream = calls(fakes.one!);
  assert.ok(upstream > N, `${upstream} upstream calls: retries still happen while the budget lasts`);
  assert.ok(upstream < 2 * N, `${upstream} upstream calls for ${N} client calls: retries are not budgeted`);
});

test('a call the budget does not retry still fails over to the next target', { timeout: 60_000 }, async (t) => {
  const smart = '        - name: smart\n          failover: [one, two]\n';
  const { fakes, client } = await setupRouting(t, ['one', 'two'], smart, { modelKeys: RETRIES, backendExtra: NO_COOLDOWN });
  fakes.one!.on('/v1/chat/completions', failWith(503));
  for (let i = 0; i < N; i++) {
    const r = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.choices[0]!.message.content, 'Hello world');
  }
  assert.equal(calls(fakes.two!), N, 'every call was answered by the next target');
  const first = calls(fakes.one!);
  assert.ok(first > N && first < 2 * N, `${first} calls to the failing target`);
});

test('connection failures are retried within the same budget', { timeout: 60_000 }, async (t) => {
  const port = await closedPort();
  const down = `        - name: down\n          provider: openai\n          apiKey: sk-x\n          baseUrl: http://127.0.0.1:${port}/v1\n${RETRIES}`;
  const { gw, client } = await setupRouting(t, [], down);
  let attempts = 0;
  for (let i = 0; i < N; i++) {
    const err = await client.chat.completions.create({ model: 'down', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': `down-${i}` } }).then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 502);
    attempts += (await accessLine(gw, `down-${i}`)).llm.attempts as number;
  }
  assert.ok(attempts > N && attempts < 2 * N, `${attempts} connection attempts for ${N} calls`);
});
