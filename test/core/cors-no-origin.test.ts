// Without an Origin header a request is not a browser's cross-origin request: the CORS
// policy leaves it alone, OPTIONS included, and adds no access-control-* header.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('no Origin → passed through untouched', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url, {
    route: '        policies: [web]',
    policies: 'policies:\n  web:\n    cors: { allowOrigins: ["https://app.example.com"] }\n',
  }));
  t.after(async () => { await gw.close(); await up.close(); });

  for (const method of ['GET', 'POST', 'OPTIONS'] as const) {
    const res = await request(`${gw.url()}/x`, { method, headers: method === 'OPTIONS' ? { 'access-control-request-method': 'GET' } : {}, body: method === 'POST' ? 'b' : null });
    assert.equal(res.statusCode, 200, method);
    await res.body.text();
    for (const name of Object.keys(res.headers)) assert.ok(!name.startsWith('access-control-') && name !== 'vary', `${method}: ${name}`);
  }
  assert.deepEqual(up.received.map((r) => r.method), ['GET', 'POST', 'OPTIONS']);
});
