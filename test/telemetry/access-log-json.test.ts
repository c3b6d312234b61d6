// The JSON access log: exactly one line per request with time, requestId, method, path,
// route, backend, status, durationMs, bytesIn and bytesOut; the x-request-id response
// header is the logged requestId.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';

test('one JSON access line per request, matching the response', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: api, match: { path: /api }, backend: up }
backends:
  up:
    http: { url: "${up.url}" }
`);
  t.after(async () => { await gw.close(); await up.close(); });
  const access = () => gw.logs.filter((l) => l.access).map((l) => l.access);

  const payload = JSON.stringify({ hello: 'world' });
  const r = await request(`${gw.url()}/api/items?x=1`, { method: 'POST', body: payload, headers: { 'content-type': 'application/json' } });
  const body = await r.body.text();
  assert.equal(r.statusCode, 200);
  const miss = await request(`${gw.url()}/elsewhere`);
  await miss.body.dump();
  await waitFor(() => access().length === 2, 5000, 'two access lines');

  const [a, m] = access();
  assert.equal(a.requestId, r.headers['x-request-id']);
  assert.ok(!Number.isNaN(Date.parse(a.time)));
  assert.equal(a.method, 'POST');
  assert.equal(a.path, '/api/items');
  assert.equal(a.route, 'api');
  assert.equal(a.backend, 'up');
  assert.equal(a.status, 200);
  assert.equal(typeof a.durationMs, 'number');
  assert.ok(a.durationMs >= 0);
  assert.equal(a.bytesIn, Buffer.byteLength(payload));
  assert.equal(a.bytesOut, Buffer.byteLength(body));

  assert.equal(m.requestId, miss.headers['x-request-id']);
  assert.equal(m.status, 404);
  assert.equal(m.route, null);
  assert.equal(m.method, 'GET');

  // Exactly one line per request: no late duplicates.
  const again = await request(`${gw.url()}/api/again`);
  await again.body.dump();
  await waitFor(() => access().length === 3, 5000, 'the third access line');
  assert.equal(access().filter((l) => l.requestId === a.requestId).length, 1);
});
