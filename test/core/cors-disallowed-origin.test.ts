// A request from an origin the CORS policy does not allow is refused with a 403 JSON
// error, preflight or not, and never reaches the upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('disallowed origin → 403 AE_CORS_REJECTED; upstream not contacted', async (t) => {
  const up = await startUpstream();
  // On the listener this time: listener policies apply to every route.
  const gw = await startGateway(proxyConfig(up.url, {
    listener: '    policies: [web]',
    policies: 'policies:\n  web:\n    cors: { allowOrigins: ["https://app.example.com", "https://*.example.org"] }\n',
  }));
  t.after(async () => { await gw.close(); await up.close(); });

  const attempts: { method: 'GET' | 'POST' | 'OPTIONS'; headers: Record<string, string> }[] = [
    { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } },
    { method: 'POST', headers: { origin: 'https://evil.example', 'content-type': 'text/plain' } },
    { method: 'GET', headers: { origin: 'https://app.example.com.evil.example' } },
    { method: 'GET', headers: { origin: 'http://app.example.com' } },
    { method: 'GET', headers: { origin: 'null' } },
  ];
  for (const a of attempts) {
    const res = await request(`${gw.url()}/api`, { method: a.method, headers: a.headers, body: a.method === 'POST' ? 'x' : null });
    assert.equal(res.statusCode, 403, JSON.stringify(a));
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
    const body = await res.body.json() as { error: { code: string; type: string; request_id: string } };
    assert.equal(body.error.code, 'AE_CORS_REJECTED');
    assert.equal(body.error.type, 'permission_error');
    assert.equal(body.error.request_id, res.headers['x-request-id']);
  }
  assert.equal(up.connections(), 0);
});
