// A simple (non-preflight) request from an allowed origin is proxied, and the response
// carries access-control-allow-origin (and expose headers), replacing any the upstream sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway, proxyConfig } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

test('simple request from an allowed origin gets access-control-allow-origin', async (t) => {
  const up = await startUpstream((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'access-control-allow-origin': 'https://upstream-choice.test' });
      res.end(JSON.stringify({ origin: req.headers.origin }));
    });
  });
  const gw = await startGateway(proxyConfig(up.url, {
    route: '        policies: [web]',
    policies: 'policies:\n  web:\n    cors: { allowOrigins: ["https://app.example.com"], exposeHeaders: [x-request-id] }\n',
  }));
  t.after(async () => { await gw.close(); await up.close(); });

  const res = await request(`${gw.url()}/v1/models`, { headers: { origin: 'https://app.example.com' } });
  assert.equal(res.statusCode, 200);
  assert.equal(res.headers['access-control-allow-origin'], 'https://app.example.com');
  assert.equal(res.headers['access-control-expose-headers'], 'x-request-id');
  assert.match(String(res.headers.vary), /Origin/);
  assert.equal(res.headers['access-control-allow-credentials'], undefined);
  // The upstream still sees the Origin header.
  assert.deepEqual(await res.body.json(), { origin: 'https://app.example.com' });
});
