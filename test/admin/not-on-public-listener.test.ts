// The admin endpoints are never served by a public listener: there, /metrics, /config,
// /healthz and /reload are ordinary paths, routed (or 404) like any other.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('admin paths on a public listener are routed like any path', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: api, match: { path: /api }, backend: up }
  - name: open
    port: 0
    routes:
      - { name: all, match: { path: / }, backend: up }
backends:
  up:
    http: { url: "${up.url}" }
`);
  t.after(async () => { await gw.close(); await up.close(); });

  for (const path of ['/metrics', '/config', '/healthz', '/readyz']) {
    const r = await request(`${gw.url('edge')}${path}`);
    assert.equal(r.statusCode, 404, path);
    assert.equal((await r.body.json() as { error: { code: string } }).error.code, 'AE_ROUTE_NOT_FOUND');
  }
  const post = await request(`${gw.url('edge')}/reload`, { method: 'POST' });
  assert.equal(post.statusCode, 404);
  await post.body.dump();

  // With a catch-all route the path goes to the upstream, not to the admin handler.
  const r = await request(`${gw.url('open')}/metrics`);
  assert.equal(r.statusCode, 200);
  const body = await r.body.text();
  assert.doesNotMatch(body, /agentedge_requests_total/);
  assert.equal(up.received.at(-1)?.url, '/metrics');
});
