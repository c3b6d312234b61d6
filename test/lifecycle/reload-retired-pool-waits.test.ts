// Regression: a request routed before a reload, whose body arrives after it, used to meet
// a closed connection pool (the reload retired its backend at once) and fail with 502.
// A retired backend now closes only after its last request is done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';

const yaml = (url: string, retries: number) => `gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: api, match: { path: /api }, backend: up }
backends:
  up:
    http: { url: "${url}", retries: ${retries} }
`;

test('a request whose body arrives after a reload replaced its backend still reaches the upstream', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(yaml(up.url, 1));
  t.after(async () => { await gw.close(); await up.close(); });

  const body = '{"late":true}';
  const req = http.request({ port: gw.port(), path: '/api/x', method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': body.length } });
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => { text += c; }).once('end', () => resolve({ status: res.statusCode!, text }));
    }).once('error', reject);
  });
  req.flushHeaders(); // headers now, body later
  // The gateway has routed the request once it counts it as in flight.
  await waitFor(async () => (await gw.gw.metrics.inFlight.get()).values.some((v) => v.value === 1), 5000, 'the request to be in flight');

  gw.writeConfig(yaml(up.url, 0)); // a new spec: the old pool is retired
  assert.deepEqual(await gw.gw.reload(), { ok: true, changed: true });

  req.end(body);
  const res = await response;
  assert.equal(res.status, 200, res.text);
  assert.equal(up.received.at(-1)?.body.toString(), body);
});
