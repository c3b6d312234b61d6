// A request over an http backend's cap waits in its queue at most `queue.timeout`; then it
// gets a 503 AE_UPSTREAM_OVERLOADED with retry-after (reason queue_timeout), never
// reaching the upstream, while the request holding the connection carries on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { holdGate } from '../helpers/held-upstream.js';
import { startUpstream } from '../helpers/upstream.js';
import { metric } from './support.js';

test('a queued request whose wait runs out → 503 with retry-after; the held one then completes', { timeout: 30_000 }, async (t) => {
  const gate = holdGate();
  const up = await startUpstream((_req, res) => { void gate.hold().then(() => res.end('ok')); });
  t.after(async () => { gate.release(); await up.close(); });
  const gw = await startGateway(proxyConfig(up.url, { backend: '      connections: 1\n      queue: { size: 5, timeout: 100ms }' }));
  t.after(() => gw.close());

  const held = request(`${gw.url()}/first`);
  await gate.arrivals(1);
  const waited = await request(`${gw.url()}/second`);
  assert.equal(waited.statusCode, 503);
  assert.equal(waited.headers['retry-after'], '1');
  assert.equal(JSON.parse(await waited.body.text()).error.code, 'AE_UPSTREAM_OVERLOADED');
  assert.equal(gate.arrived, 1);
  assert.equal(await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'up', reason: 'queue_timeout' }), 1);
  assert.equal(await metric(gw, 'agentedge_upstream_overloaded_total', { backend: 'up', reason: 'queue_full' }), 0);

  gate.release();
  const first = await held;
  assert.equal(first.statusCode, 200);
  assert.equal(await first.body.text(), 'ok');
});
