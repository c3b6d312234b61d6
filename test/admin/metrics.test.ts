// /metrics is Prometheus text with the request counter (listener, route, status), the
// duration histogram, requests in flight per listener (read at scrape time), upstream
// errors and config reloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { freePort, metricValue } from '../lifecycle/support.js';

test('/metrics exposes requests, durations, in-flight, upstream errors and reloads', async (t) => {
  let arrived!: (res: ServerResponse) => void;
  const held = new Promise<ServerResponse>((r) => { arrived = r; });
  const up = await startUpstream((req, res) => {
    req.resume();
    if (req.url === '/api/slow') arrived(res);
    else res.end('ok');
  });
  const dead = await freePort();
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0 }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: api, match: { path: /api }, backend: up }
      - { name: broken, match: { path: /broken }, backend: dead }
backends:
  up:
    http: { url: "${up.url}" }
  dead:
    http: { url: "http://127.0.0.1:${dead}", retries: 0 }
`);
  t.after(async () => { await gw.close(); await up.close(); });
  const scrape = async () => {
    const r = await request(`${gw.adminUrl()}/metrics`);
    assert.equal(r.statusCode, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    return r.body.text();
  };
  const call = async (path: string) => { const r = await request(`${gw.url()}${path}`); await r.body.dump(); return r.statusCode; };

  assert.equal(await call('/api/a'), 200);
  assert.equal(await call('/api/b'), 200);
  assert.equal(await call('/nowhere'), 404);
  assert.equal(await call('/broken'), 502);
  const inFlight = request(`${gw.url()}/api/slow`);
  const res = await held;
  assert.equal((await gw.gw.reload()).ok, true);

  let text = await scrape();
  assert.equal(metricValue(text, 'agentedge_requests_total', { listener: 'edge', route: 'api', status: '200' }), 2);
  assert.equal(metricValue(text, 'agentedge_requests_total', { listener: 'edge', route: '-', status: '404' }), 1);
  assert.equal(metricValue(text, 'agentedge_requests_total', { listener: 'edge', route: 'broken', status: '502' }), 1);
  assert.equal(metricValue(text, 'agentedge_request_duration_seconds_count', { listener: 'edge', route: 'api' }), 2);
  assert.equal(metricValue(text, 'agentedge_request_duration_seconds_bucket', { listener: 'edge', route: 'api', le: '+Inf' }), 2);
  assert.match(text, /# TYPE agentedge_request_duration_seconds histogram/);
  assert.equal(metricValue(text, 'agentedge_requests_in_flight', { listener: 'edge' }), 1);
  assert.equal(metricValue(text, 'agentedge_upstream_errors_total', { backend: 'dead', code: 'AE_UPSTREAM_UNAVAILABLE' }), 1);
  // The file did not change, so the reload was a no-op success; both results are exported from the start.
  assert.equal(metricValue(text, 'agentedge_config_reloads_total', { result: 'ok' }), 0);
  assert.equal(metricValue(text, 'agentedge_config_reloads_total', { result: 'failed' }), 0);
  assert.equal(metricValue(text, 'agentedge_config_last_reload_success'), 1);

  res.end('done');
  const done = await inFlight;
  await done.body.dump();
  text = await scrape();
  assert.equal(metricValue(text, 'agentedge_requests_in_flight', { listener: 'edge' }), 0);
  assert.equal(metricValue(text, 'agentedge_requests_total', { listener: 'edge', route: 'api', status: '200' }), 3);
});
