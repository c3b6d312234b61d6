// An upstream that accepts the request and never answers gets a 504 at
// `timeouts.response`, and its connection is closed (RELIABILITY 14).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startRawUpstream } from '../helpers/upstream.js';
import { accessLine, metric, signal } from './support.js';

test('silent upstream → 504 AE_UPSTREAM_TIMEOUT and the upstream socket closed', { timeout: 30_000 }, async (t) => {
  const upstreamClosed = signal();
  let requests = 0;
  const up = await startRawUpstream((socket) => {
    socket.on('data', () => { requests++; }); // reads, never answers
    socket.once('close', () => upstreamClosed.resolve());
  });
  const gw = await startGateway(proxyConfig(up.url, { backend: '      timeouts: { response: 300ms }' }));
  t.after(async () => { await gw.close(); await up.close(); });

  const res = await request(`${gw.url()}/x`, { headers: { 'x-request-id': 'silent-1' } });
  const body = await res.body.json() as { error: { code: string } };
  assert.equal(res.statusCode, 504);
  assert.equal(body.error.code, 'AE_UPSTREAM_TIMEOUT');
  await upstreamClosed.wait();
  assert.equal(requests, 1, 'a request the upstream received is not retried');
  assert.equal((await accessLine(gw, 'silent-1')).error, 'AE_UPSTREAM_TIMEOUT');
  assert.equal(await metric(gw, 'agentedge_upstream_errors_total', { backend: 'up', code: 'AE_UPSTREAM_TIMEOUT' }), 1);
});
