// With gateway.admin.token set, /config and POST /reload need `Authorization: Bearer
// <token>` (401 with WWW-Authenticate otherwise); /healthz, /readyz and /metrics stay open.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';

const TOKEN = 'a-long-enough-admin-token-0001';

test('the admin token guards /config and /reload, not the probes', async (t) => {
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0, token: "\${ADMIN_TOKEN}" }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: all, match: { path: / }, backend: up }
backends:
  up:
    http: { url: "http://127.0.0.1:9" }
`, { env: { ADMIN_TOKEN: TOKEN } });
  t.after(() => gw.close());
  const admin = async (path: string, method: 'GET' | 'POST' = 'GET', authorization?: string) => {
    const r = await request(`${gw.adminUrl()}${path}`, { method, headers: authorization ? { authorization } : {} });
    const body = await r.body.text();
    return { status: r.statusCode, auth: r.headers['www-authenticate'], body };
  };

  for (const [path, method] of [['/config', 'GET'], ['/reload', 'POST']] as const) {
    for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, TOKEN]) {
      const r = await admin(path, method, authorization);
      assert.equal(r.status, 401, `${method} ${path} with ${authorization ?? 'no header'}`);
      assert.match(String(r.auth), /^Bearer realm=/);
      assert.equal(JSON.parse(r.body).error.code, 'AE_ADMIN_UNAUTHORIZED');
    }
  }
  assert.equal((await admin('/config', 'GET', `Bearer ${TOKEN}`)).status, 200);
  const reload = await admin('/reload', 'POST', `Bearer ${TOKEN}`);
  assert.equal(reload.status, 200);
  assert.deepEqual(JSON.parse(reload.body), { ok: true, changed: false });

  for (const path of ['/healthz', '/readyz', '/metrics']) assert.equal((await admin(path)).status, 200, path);
});
