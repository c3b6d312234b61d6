// Requests over an http backend's cap wait in its queue and get the connections as they
// free up, first come first served, with nothing refused while the queue has room.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { metric } from './support.js';

test('connections: 1, queue of 3 with no time limit: all four are served, in arrival order', { timeout: 30_000 }, async (t) => {
  const order: string[] = [];
  const pending: http.ServerResponse[] = [];
  const up = await startUpstream((req, res) => { order.push(req.url!); pending.push(res); });
  t.after(() => up.close());
  const gw = await startGateway(proxyConfig(up.url, { backend: '      connections: 1\n      queue: { size: 3, timeout: 0 }' }));
  t.after(() => gw.close());

  const first = request(`${gw.url()}/1`);
  await waitFor(() => order.length === 1, 10_000, 'first request upstream');
  // Queued one at a time, so their order in the queue is known.
  const rest: ReturnType<typeof request>[] = [];
  for (const n of [2, 3, 4]) {
    rest.push(request(`${gw.url()}/${n}`));
    await waitFor(async () => await metric(gw, 'agentedge_upstream_queue_waiting', { backend: 'up' }) === n - 1, 10_000, `${n - 1} queued`);
  }
  assert.deepEqual(order, ['/1'], 'the others wait in the gateway, not upstream');

  // Each answer frees the connection for the next in line.
  for (let i = 1; i <= 4; i++) {
    await waitFor(() => pending.length >= i, 10_000, `request ${i} upstream`);
    pending[i - 1]!.end(`answer ${i}`);
  }
  const bodies = await Promise.all([first, ...rest].map(async (p) => { const r = await p; return `${r.statusCode} ${await r.body.text()}`; }));
  assert.deepEqual(bodies, ['200 answer 1', '200 answer 2', '200 answer 3', '200 answer 4']);
  assert.deepEqual(order, ['/1', '/2', '/3', '/4']);
  assert.equal(await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'up', reason: 'queue_full' }), 0);
});
