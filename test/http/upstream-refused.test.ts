// A refused upstream connection is a 502 in the client's shape that names no upstream
// host, IP or port (RELIABILITY 13), counted in agentedge_upstream_errors_total and
// logged with its error code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { accessLine, closedPort, failOnUnhandledRejection, metric } from './support.js';

test('connection refused → 502 AE_UPSTREAM_UNAVAILABLE without upstream details', { timeout: 30_000 }, async (t) => {
  failOnUnhandledRejection(t);
  const port = await closedPort();
  const gw = await startGateway(proxyConfig(`http://127.0.0.1:${port}`));
  t.after(() => gw.close());

  const res = await request(`${gw.url()}/x`, { headers: { 'x-request-id': 'refused-1' } });
  const text = await res.body.text();
  assert.equal(res.statusCode, 502);
  assert.equal(res.headers['x-request-id'], 'refused-1');
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'AE_UPSTREAM_UNAVAILABLE');
  for (const leak of ['127.0.0.1', 'localhost', String(port), 'ECONNREFUSED']) assert.ok(!text.includes(leak), `body leaks ${leak}: ${text}`);

  const line = await accessLine(gw, 'refused-1');
  assert.equal(line.status, 502);
  assert.equal(line.error, 'AE_UPSTREAM_UNAVAILABLE');
  assert.equal(await metric(gw, 'agentedge_upstream_errors_total', { backend: 'up', code: 'AE_UPSTREAM_UNAVAILABLE' }), 1);
});
