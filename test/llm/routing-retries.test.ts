// Retries of one model: after a 5xx or 429 the same model is tried again, waiting at least
// what retry-after asks; a retry-after beyond maxRetryWait ends the retries at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { accessLine } from '../http/support.js';
import { calls, failWith, setupRouting } from './routing-support.js';
import type { FakeHandler } from './support.js';

/** Fails with `status` `times` times, then hands over to the default answer; records when each call came. */
function flaky(times: number, status: number, headers: Record<string, string>, arrivals: number[], then: FakeHandler | null = null): FakeHandler {
  let n = 0;
  const fail = failWith(status, headers);
  return (req, res, raw) => {
    arrivals.push(performance.now());
    if (n++ < times) return fail(req, res, raw);
    if (then !== null) return then(req, res, raw);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: 'c', object: 'chat.completion', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, message: { role: 'assistant', content: 'third time lucky' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 } }));
  };
}

test('retries: two 503s then success, with the model\'s retries: 2', { timeout: 30_000 }, async (t) => {
  const { fakes, gw, client } = await setupRouting(t, ['one'], '', { modelKeys: '          retries: 2\n          retryBackoff: 1ms\n' });
  const arrivals: number[] = [];
  fakes.one!.on('/v1/chat/completions', flaky(2, 503, {}, arrivals));
  const r = await client.chat.completions.create({ model: 'one', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'retry-1' } });
  assert.equal(r.choices[0]!.message.content, 'third time lucky');
  assert.equal(calls(fakes.one!), 3);
  const log = await accessLine(gw, 'retry-1');
  assert.equal(log.llm.attempts, 3);
});

test('retries: the wait honours retry-after-ms (OpenAI) and retry-after', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['one'], '', { modelKeys: '          retries: 2\n          retryBackoff: 1ms\n' });
  const arrivals: number[] = [];
  let n = 0;
  const answers: FakeHandler[] = [failWith(429, { 'retry-after-ms': '150' }), failWith(503, { 'retry-after': '1' })];
  const ok = flaky(0, 200, {}, []);
  fakes.one!.on('/v1/chat/completions', (req, res, raw) => {
    arrivals.push(performance.now());
    const h = answers[n++];
    if (h !== undefined) h(req, res, raw);
    else ok(req, res, raw);
  });
  await client.chat.completions.create({ model: 'one', messages: [{ role: 'user', content: 'hi' }] });
  assert.equal(arrivals.length, 3);
  // Timers never fire early by more than a millisecond's rounding.
  assert.ok(arrivals[1]! - arrivals[0]! >= 145, `waited ${arrivals[1]! - arrivals[0]!} ms for retry-after-ms 150`);
  assert.ok(arrivals[2]! - arrivals[1]! >= 995, `waited ${arrivals[2]! - arrivals[1]!} ms for retry-after 1`);
});

test('retries: a retry-after beyond maxRetryWait is not waited for: the 429 goes to the client', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['one'], '', { modelKeys: '          retries: 3\n          maxRetryWait: 2s\n' });
  fakes.one!.on('/v1/chat/completions', failWith(429, { 'retry-after': '60' }));
  const err = await client.chat.completions.create({ model: 'one', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.RateLimitError, String(err));
  assert.equal(err.headers.get('retry-after'), '60');
  assert.equal(calls(fakes.one!), 1);
});

test('retries: none by default', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['one'], '');
  fakes.one!.on('/v1/chat/completions', failWith(503));
  const err = await client.chat.completions.create({ model: 'one', messages: [{ role: 'user', content: 'hi' }] }).then(() => null, (e: unknown) => e);
  assert.ok(err instanceof OpenAI.APIError);
  assert.equal(err.status, 502);
  assert.equal(calls(fakes.one!), 1);
});

test('retries: a client that goes away during the wait ends the call; nothing more is sent', { timeout: 30_000 }, async (t) => {
  const { fakes, client } = await setupRouting(t, ['one'], '', { modelKeys: '          retries: 1\n          retryBackoff: 60ms\n' });
  const arrivals: number[] = [];
  fakes.one!.on('/v1/chat/completions', flaky(5, 503, {}, arrivals));
  const ac = new AbortController();
  const p = client.chat.completions.create({ model: 'one', messages: [{ role: 'user', content: 'hi' }] }, { signal: ac.signal }).then(() => null, (e: unknown) => e);
  while (arrivals.length === 0) await new Promise((r) => setImmediate(r));
  ac.abort();
  assert.ok((await p) instanceof Error);
  // The backoff is 30–60 ms: had the wait not ended with the client, a second call would be here by now.
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(arrivals.length, 1);
});
