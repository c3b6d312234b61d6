// The default state store (a config that names no gateway.state) is opened when something
// first uses it: a gateway that needs no state writes no file, and the first call that
// needs state creates ./data/agentedge.db next to the config.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

const TOKEN = 'admin-token-lazy-store-0123456789';

test('the default SQLite store is created at its first use, not at start', async (t) => {
  const up = await startUpstream();
  t.after(() => up.close());
  const gw = await startGateway(`gateway:
  admin: { host: 127.0.0.1, port: 0, token: ${TOKEN} }
listeners:
  - name: edge
    port: 0
    routes: [{ name: web, backend: app }]
backends:
  app: { http: { url: "${up.url}" } }
`);
  t.after(() => gw.close());
  const file = join(gw.dir, 'data', 'agentedge.db');
  const res = await fetch(`${gw.url()}/hello`);
  assert.equal(res.status, 200);
  await res.text();
  assert.equal(existsSync(join(gw.dir, 'data')), false, 'serving needed no state: no file');

  const created = await fetch(`${gw.adminUrl()}/keys`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'first' }),
  });
  assert.equal(created.status, 201, await created.clone().text());
  assert.equal(existsSync(file), true, 'the first key made the file');
  const listed = await fetch(`${gw.adminUrl()}/keys`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.deepEqual((await listed.json() as { keys: { name: string }[] }).keys.map((k) => k.name), ['first']);
});
