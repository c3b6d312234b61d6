// Every way an llm call can end gives its model's slot back exactly once: upstream error
// answers, a reset before the answer, a stream cut by the upstream, clients that leave
// before and during a stream. After all of them a model with connections: 2 and no queue
// still admits exactly two calls at once: a burst of two reaches the upstream (no slot
// leaked) and a third is refused (no slot given back twice).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { holdGate } from '../helpers/held-upstream.js';
import { waitFor } from '../helpers/upstream.js';
import { failOnUnhandledRejection, metric } from '../http/support.js';
import { answerChat, setupOverload } from './overload-support.js';

test('connections: 2, queue 0: after errors and aborts a burst of 2 is admitted and a third refused', { timeout: 60_000 }, async (t) => {
  failOnUnhandledRejection(t);
  const { fake, gw, client } = await setupOverload(t, [
    { name: 'capped', upstream: 'capped-model', extra: '          connections: 2\n          queue: { size: 0 }\n' },
  ]);
  const burstGate = holdGate();
  let started = 0;
  fake.on('/v1/chat/completions', (req, res) => {
    const chunk = (content: string) => `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
    switch (req.body.messages[0].content) {
      case 'fail': res.writeHead(500, { 'content-type': 'application/json' }); res.end('{"error":{"message":"boom","type":"server_error"}}'); return;
      case 'limited': res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '30' }); res.end('{"error":{"message":"slow down","type":"requests"}}'); return;
      case 'reset': res.socket!.destroy(); return;
      case 'cut': res.writeHead(200, { 'content-type': 'text/event-stream' }); res.write(chunk('part')); res.socket!.end(); return;
      case 'endless': started++; res.writeHead(200, { 'content-type': 'text/event-stream' }); res.write(chunk('part')); return;
      case 'silent': started++; return;
      default: void burstGate.hold().then(() => answerChat(req, res));
    }
  });
  const call = (content: string, stream = false, signal?: AbortSignal) =>
    client.chat.completions.create({ model: 'capped', stream, messages: [{ role: 'user', content }] } as OpenAI.ChatCompletionCreateParamsNonStreaming, signal ? { signal } : {});
  const failed = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e);

  const status = async (content: string) => { const e = await failed(call(content)); return e instanceof OpenAI.APIError ? e.status : e; };
  assert.equal(await status('fail'), 502);
  assert.equal(await status('limited'), 429);
  assert.equal(await status('reset'), 502);
  // Cut by the upstream (before or after the stream's first event reached the client).
  assert.ok(await failed((async () => { for await (const _ of await call('cut', true) as unknown as AsyncIterable<unknown>) { /* until the error */ } })()) instanceof Error);

  // Clients that leave: mid-stream, and before the upstream answered.
  const ac1 = new AbortController();
  const endless = await call('endless', true, ac1.signal) as unknown as AsyncIterable<unknown>;
  const reading = failed((async () => { for await (const _ of endless) ac1.abort(); })());
  const ac2 = new AbortController();
  const silent = failed(call('silent', false, ac2.signal));
  await waitFor(() => started === 2, 10_000, 'both calls upstream');
  ac2.abort();
  await reading;
  await silent;
  await waitFor(async () => await metric(gw, 'agentedge_requests_in_flight', { listener: 'edge' }) === 0, 10_000, 'every call ended');

  // A burst: exactly two reach the upstream at once, a third is refused.
  const burst = [call('hi'), call('hi')];
  await burstGate.arrivals(2);
  const third = await failed(call('hi'));
  assert.ok(third instanceof OpenAI.APIError, String(third));
  assert.equal(third.status, 503, 'the cap still holds: no slot was given back twice');
  burstGate.release();
  for (const r of await Promise.all(burst)) assert.equal(r.choices[0]!.message.content, 'Hello world');
  assert.equal(await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'models', target: 'capped', reason: 'queue_full' }), 1);
});
