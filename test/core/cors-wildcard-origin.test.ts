// Wildcard origins end to end: "https://*.example.com" allows any subdomain over https,
// not the bare domain, another scheme or a look-alike; "*" allows every origin with "*".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('wildcard subdomain origins and "*"', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: app, match: { path: /app }, policies: [subdomains], backend: up }
      - { name: open, match: { path: /open }, policies: [anyone], backend: up }
backends:
  up: { http: { url: "${up.url}" } }
policies:
  subdomains: { cors: { allowOrigins: ["https://*.example.com"] } }
  anyone: { cors: { allowOrigins: ["*"] } }
`);
  t.after(async () => { await gw.close(); await up.close(); });

  const get = async (path: string, origin: string) => {
    const res = await request(`${gw.url()}${path}`, { headers: { origin } });
    await res.body.text();
    return { status: res.statusCode, allow: res.headers['access-control-allow-origin'] };
  };
  assert.deepEqual(await get('/app', 'https://a.example.com'), { status: 200, allow: 'https://a.example.com' });
  assert.deepEqual(await get('/app', 'https://A.B.Example.COM'), { status: 200, allow: 'https://A.B.Example.COM' });
  for (const origin of ['https://example.com', 'http://a.example.com', 'https://a.example.com.evil.test', 'https://evilexample.com']) {
    assert.equal((await get('/app', origin)).status, 403, origin);
  }
  assert.deepEqual(await get('/open', 'https://anything.test'), { status: 200, allow: '*' });

  const pre = await request(`${gw.url()}/app/x`, { method: 'OPTIONS', headers: { origin: 'https://deep.sub.example.com', 'access-control-request-method': 'PUT' } });
  assert.equal(pre.statusCode, 204);
  assert.equal(pre.headers['access-control-allow-origin'], 'https://deep.sub.example.com');
  await pre.body.text();
  assert.equal(up.received.length, 3);
});
