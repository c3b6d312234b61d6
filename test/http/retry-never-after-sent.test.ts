// Nothing is retried once the upstream may have seen the request (RELIABILITY 19): a 503
// is passed through as the upstream's answer, and an upstream that drops the connection
// after reading the request gets exactly one copy of it, whatever `retries` says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startRawUpstream, startUpstream } from '../helpers/upstream.js';
import { metric } from './support.js';

test('503 from the upstream is passed through, not retried', { timeout: 30_000 }, async (t) => {
  let calls = 0;
  const up = await startUpstream((_req, res) => {
    calls++;
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '7' });
    res.end('{"upstream":"busy"}');
  });
  const gw = await startGateway(proxyConfig(up.url, { backend: '      retries: 5' }));
  t.after(async () => { await gw.close(); await up.close(); });

  for (const method of ['GET', 'POST']) {
    const res = await request(`${gw.url()}/x`, { method, body: method === 'POST' ? '{}' : null });
    assert.equal(res.statusCode, 503);
    assert.equal(res.headers['retry-after'], '7');
    assert.equal(await res.body.text(), '{"upstream":"busy"}');
  }
  assert.equal(calls, 2);
  assert.equal(await metric(gw, 'agentedge_upstream_retries_total', { backend: 'up' }), 0);
});

test('connection dropped after the request was read → 502, sent once', { timeout: 30_000 }, async (t) => {
  let copies = 0;
  const up = await startRawUpstream((socket) => socket.once('data', () => { copies++; socket.destroy(); }));
  const gw = await startGateway(proxyConfig(up.url, { backend: '      retries: 5' }));
  t.after(async () => { await gw.close(); await up.close(); });

  for (const method of ['GET', 'POST']) {
    const res = await request(`${gw.url()}/x`, { method, body: method === 'POST' ? '{"charge":1}' : null });
    await res.body.text();
    assert.equal(res.statusCode, 502);
  }
  assert.equal(copies, 2);
  assert.equal(await metric(gw, 'agentedge_upstream_retries_total', { backend: 'up' }), 0);
});
