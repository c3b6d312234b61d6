// A request no route matches gets a 404 JSON error and never reaches an upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('no matching route → 404 AE_ROUTE_NOT_FOUND with the request id', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: v1, match: { path: /v1, methods: [GET] }, backend: up }
backends:
  up: { http: { url: "${up.url}" } }
`);
  t.after(async () => { await gw.close(); await up.close(); });

  for (const [method, path] of [['GET', '/v2'], ['GET', '/v10'], ['POST', '/v1'], ['GET', '/']] as const) {
    const res = await request(`${gw.url()}${path}`, { method, headers: { 'x-request-id': 'req-404' } });
    assert.equal(res.statusCode, 404, `${method} ${path}`);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['x-request-id'], 'req-404');
    const body = await res.body.json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body), ['error']);
    const error = body.error as Record<string, unknown>;
    assert.deepEqual(Object.keys(error).sort(), ['code', 'message', 'request_id', 'type']);
    assert.equal(error.code, 'AE_ROUTE_NOT_FOUND');
    assert.equal(error.type, 'not_found_error');
    assert.equal(error.request_id, 'req-404');
    assert.equal(typeof error.message, 'string');
  }
  assert.equal(up.connections(), 0);
});
