// RELIABILITY 20 on an llm route: a model with `connections: 1` and no queue, one call held
// upstream: the next calls to it (chat JSON and stream, responses, embeddings) get a 503
// in OpenAI's shape with retry-after, seen through the OpenAI SDK, and never reach the
// upstream; another model on the same upstream origin answers meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { metric } from '../http/support.js';
import { callsFor, setupOverload } from './overload-support.js';

test('a capped model at its cap → OpenAI-shaped 503 with retry-after; another model unaffected', { timeout: 30_000 }, async (t) => {
  const { fake, gate, gw, client } = await setupOverload(t, [
    { name: 'capped', upstream: 'held-model', extra: '          connections: 1\n          queue: { size: 0 }\n' },
    { name: 'free', upstream: 'free-model' },
  ]);
  const messages = [{ role: 'user' as const, content: 'hi' }];
  const held = client.chat.completions.create({ model: 'capped', messages });
  await gate.arrivals(1);

  const refusals = [
    client.chat.completions.create({ model: 'capped', messages }),
    client.chat.completions.create({ model: 'capped', messages, stream: true }),
    client.responses.create({ model: 'capped', input: 'hi' }),
    client.embeddings.create({ model: 'capped', input: 'hi' }),
  ];
  for (const p of refusals) {
    const err = await p.then(() => null, (e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, String(err));
    assert.equal(err.status, 503);
    assert.equal(err.headers.get('retry-after'), '1');
    assert.deepEqual(err.error, { message: 'The upstream service is at its concurrency limit; retry after the time in retry-after.', type: 'overloaded_error', param: null, code: 'AE_UPSTREAM_OVERLOADED' });
  }
  assert.equal(callsFor(fake, 'held-model'), 1, 'refused calls never reached the upstream');
  assert.equal(fake.received.filter((r) => !r.url.startsWith('/v1/chat/completions')).length, 0);
  assert.equal(await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'models', target: 'capped', reason: 'queue_full' }), 4);

  // The other model shares the upstream origin, not the cap.
  const free = await client.chat.completions.create({ model: 'free', messages });
  assert.equal(free.choices[0]!.message.content, 'Hello world');

  gate.release();
  assert.equal((await held).choices[0]!.message.content, 'Hello world');
  // The slot is back: the capped model answers again.
  assert.equal((await client.chat.completions.create({ model: 'capped', messages })).choices[0]!.message.content, 'Hello world');
});
