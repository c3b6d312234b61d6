// Secret leakage (RELIABILITY 27, logs and admin): an admin token given as ${ENV} never
// appears, raw, base64 or URL-encoded, in /config, in any log line, in a reload failure
// message or its admin answer, even when a client sends it in headers and in the path of a
// request that is access-logged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';

const TOKEN = 'Adm1n+Tok/en=with:odd@chars';
const OTHER = 'second+secret/value=xyz';
const forms = (s: string) => [...new Set([s, encodeURIComponent(s), Buffer.from(s).toString('base64'), Buffer.from(s).toString('base64url')])];

const yaml = (upstream: string, backendRef: string) => `gateway:
  admin: { host: 127.0.0.1, port: 0, token: "\${ADMIN_TOKEN}" }
listeners:
  - name: edge
    port: 0
    routes:
      - { name: api, match: { path: /api }, backend: ${backendRef} }
backends:
  up:
    http: { url: "${upstream}" }
`;

test('the admin token never leaks into logs, /config or reload errors', async (t) => {
  const up = await startUpstream();
  const gw = await startGateway(yaml(up.url, 'up'), { env: { ADMIN_TOKEN: TOKEN, OTHER_SECRET: OTHER } });
  t.after(async () => { await gw.close(); await up.close(); });
  const auth = { authorization: `Bearer ${TOKEN}` };

  // A client sends the secret in every way it can reach a log line.
  const r = await request(`${gw.url()}/api/${encodeURIComponent(TOKEN)}/${Buffer.from(TOKEN).toString('base64')}?key=${encodeURIComponent(TOKEN)}`, {
    headers: { ...auth, 'x-api-key': TOKEN, cookie: `session=${TOKEN}`, 'x-custom': Buffer.from(TOKEN).toString('base64') },
  });
  assert.equal(r.statusCode, 200);
  await r.body.dump();
  await waitFor(() => gw.logs.some((l) => l.access?.route === 'api'), 5000, 'the access line');

  const config = await request(`${gw.adminUrl()}/config`, { headers: auth });
  assert.equal(config.statusCode, 200);
  const configText = await config.body.text();

  // Reload failures whose messages quote the offending value: the current secret and a new one.
  const failures: string[] = [];
  for (const ref of ['"${ADMIN_TOKEN}"', '"${OTHER_SECRET}"']) {
    gw.writeConfig(yaml(up.url, ref));
    const reload = await request(`${gw.adminUrl()}/reload`, { method: 'POST', headers: auth });
    assert.equal(reload.statusCode, 400);
    failures.push(await reload.body.text());
  }
  assert.equal(gw.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('config reload failed')).length, 2);
  assert.match(failures[0]!, /unknown backend/);

  await gw.gw.close(1000);
  const logText = gw.logText();
  for (const f of [...forms(TOKEN), ...forms(OTHER)]) {
    assert.ok(!logText.includes(f), `log contains ${f}`);
    assert.ok(!configText.includes(f), `/config contains ${f}`);
    for (const body of failures) assert.ok(!body.includes(f), `reload answer contains ${f}`);
  }
  assert.match(logText, /\[redacted\]/, 'the access-logged path had the secret, now redacted');
});
