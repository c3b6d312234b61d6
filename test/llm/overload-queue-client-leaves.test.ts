// A client that leaves while its call waits in a model's queue frees its place at once:
// the call never reaches the upstream, and the next call takes the place (with a queue of
// one, a place still taken would make it a 503) and is served when the slot frees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/upstream.js';
import { accessLine, failOnUnhandledRejection, metric } from '../http/support.js';
import { callsFor, setupOverload } from './overload-support.js';

test('connections: 1, queue of 1: a waiting client leaves → nothing sent upstream, its place is free', { timeout: 30_000 }, async (t) => {
  failOnUnhandledRejection(t);
  const { fake, gate, gw, client } = await setupOverload(t, [
    { name: 'capped', upstream: 'held-model', extra: '          connections: 1\n          queue: { size: 1, timeout: 0 }\n' },
  ]);
  const waiting = () => metric(gw, 'agentedge_upstream_queue_waiting', { backend: 'models', target: 'capped' });
  const messages = [{ role: 'user' as const, content: 'hi' }];
  const held = client.chat.completions.create({ model: 'capped', messages });
  await gate.arrivals(1);

  const ac = new AbortController();
  const leaver = client.chat.completions.create({ model: 'capped', messages, stream: true }, { signal: ac.signal, headers: { 'x-request-id': 'leaver-1' } }).then(() => null, (e: unknown) => e);
  await waitFor(async () => await waiting() === 1, 10_000, 'the call queued');
  ac.abort();
  assert.ok(await leaver instanceof Error);
  await waitFor(async () => await waiting() === 0, 10_000, 'the queue emptied');
  assert.equal((await accessLine(gw, 'leaver-1')).status, 499);

  const next = client.chat.completions.create({ model: 'capped', messages });
  await waitFor(async () => await waiting() === 1, 10_000, 'the next call queued');
  gate.release();
  assert.equal((await held).choices[0]!.message.content, 'Hello world');
  assert.equal((await next).choices[0]!.message.content, 'Hello world');
  assert.equal(callsFor(fake, 'held-model'), 2, 'the call whose client left never reached the upstream');
  assert.equal(await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'models', target: 'capped', reason: 'queue_full' }), 0);
});
