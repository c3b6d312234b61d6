// A client that disconnects mid-response aborts the upstream request (RELIABILITY 10):
// the upstream sees its response closed, the access log says 499 and aborted, and no
// promise rejection goes unhandled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { accessLine, failOnUnhandledRejection, metric, signal } from './support.js';

test('client disconnect mid-response closes the upstream request', { timeout: 30_000 }, async (t) => {
  failOnUnhandledRejection(t);
  const upstreamClosed = signal();
  const up = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('data: first\n\n');
    // Never ends by itself; only the gateway's abort closes it.
    res.once('close', () => upstreamClosed.resolve());
  });
  const gw = await startGateway(proxyConfig(up.url));
  t.after(async () => { await gw.close(); await up.close(); });

  await new Promise<void>((resolve, reject) => {
    const req = http.get(`${gw.url()}/stream`, { headers: { 'x-request-id': 'abort-mid' } }, (res) => {
      res.once('data', () => { req.destroy(); resolve(); });
    });
    req.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'ECONNRESET') reject(err); });
  });

  await upstreamClosed.wait();
  const line = await accessLine(gw, 'abort-mid');
  assert.equal(line.status, 499);
  assert.equal(line.aborted, true);
  assert.equal(await metric(gw, 'agentedge_upstream_errors_total', { backend: 'up' }), 0, 'a client abort is not an upstream error');
});
