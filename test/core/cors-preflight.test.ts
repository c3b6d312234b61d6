// A CORS preflight from an allowed origin is answered by the gateway: 204 with the
// access-control-* headers, no body, and the upstream never contacted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('preflight from an allowed origin → 204 with CORS headers; upstream not contacted', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(proxyConfig(up.url, {
    route: '        policies: [web]',
    policies: `policies:
  web:
    cors:
      allowOrigins: ["https://app.example.com"]
      allowMethods: [get, POST]
      allowHeaders: [content-type, authorization]
      allowCredentials: true
      maxAge: 10m
`,
  }));
  t.after(async () => { await gw.close(); await up.close(); });

  const res = await request(`${gw.url()}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type', 'x-request-id': 'pre-1' },
  });
  assert.equal(res.statusCode, 204);
  assert.equal(await res.body.text(), '');
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com');
  assert.equal(res.headers['access-control-allow-methods'], 'GET, POST');
  assert.equal(res.headers['access-control-allow-headers'], 'content-type, authorization');
  assert.equal(res.headers['access-control-allow-credentials'], 'true');
  assert.equal(res.headers['access-control-max-age'], '600');
  assert.match(String(res.headers.vary), /Origin/);
  assert.equal(res.headers['x-request-id'], 'pre-1');
  assert.equal(res.headers['content-length'], undefined, 'a 204 has no Content-Length');
  assert.equal(up.connections(), 0);

  // An OPTIONS that is not a preflight (no Access-Control-Request-Method) is proxied.
  const plain = await request(`${gw.url()}/x`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com' } });
  assert.equal(plain.statusCode, 200);
  await plain.body.text();
  assert.equal(plain.headers['access-control-allow-origin'], 'https://app.example.com');
  assert.equal(up.received.length, 1);
});
