// /config shows the effective config with gateway.admin.token and every other secret
// redacted (here a key given through ${VAR} inside a backend URL), in no encoded form either.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';

const TOKEN = 'admin+token/ABC=0123456789';
const KEY = 'upstream-key+/=42';
const forms = (s: string) => [s, encodeURIComponent(s), Buffer.from(s).toString('base64')];

test('/config redacts the admin token and secrets from the environment', async (t) => {
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0, token: "\${ADMIN_TOKEN}" }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: all, match: { path: / }, backend: up }
backends:
  up:
    http: { url: "http://127.0.0.1:9/keys/\${UPSTREAM_KEY}" }
`, { env: { ADMIN_TOKEN: TOKEN, UPSTREAM_KEY: KEY } });
  t.after(() => gw.close());

  const r = await request(`${gw.adminUrl()}/config`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(r.statusCode, 200);
  const text = await r.body.text();
  const config = JSON.parse(text);
  assert.equal(config.gateway.admin.token, '[redacted]');
  assert.equal(config.gateway.admin.host, '127.0.0.1');
  assert.equal(config.listeners[0].routes[0].backend, 'up');
  assert.match(config.backends.up.http.url, /^http:\/\/127\.0\.0\.1:9\/keys\/.*\[redacted\]/);
  for (const f of [...forms(TOKEN), ...forms(KEY)]) assert.ok(!text.includes(f), `/config contains ${f}`);
});
