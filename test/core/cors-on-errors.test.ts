// Errors made by the gateway after the CORS filter ran (here a 502 from a dead upstream)
// still carry access-control-allow-origin, or a browser could not read them; and the
// upstream's own `vary` is merged with the filter's, not replaced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

const cors = {
  route: '        policies: [web]',
  policies: 'policies:\n  web:\n    cors: { allowOrigins: ["https://app.example.com"] }\n',
};

test('a 502 from the backend carries the CORS headers', async (t) => {
  const gw = await startGateway(proxyConfig('http://127.0.0.1:1', { ...cors, backend: '      retries: 0' }));
  t.after(() => gw.close());
  const res = await request(`${gw.url()}/x`, { headers: { origin: 'https://app.example.com' } });
  assert.equal(res.statusCode, 502);
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com');
  assert.equal((await res.body.json() as { error: { code: string } }).error.code, 'AE_UPSTREAM_UNAVAILABLE');
});

test('the upstream vary header is merged with Origin', async (t) => {
  const up = await startUpstream((req, res) => { req.resume(); res.writeHead(200, { vary: 'Accept-Encoding' }); res.end('ok'); });
  const gw = await startGateway(proxyConfig(up.url, cors));
  t.after(async () => { await gw.close(); await up.close(); });
  const res = await request(`${gw.url()}/x`, { headers: { origin: 'https://app.example.com' } });
  await res.body.text();
  assert.equal(res.headers.vary, 'Accept-Encoding, Origin');
});
