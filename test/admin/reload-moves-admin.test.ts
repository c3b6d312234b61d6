// A reload that changes gateway.admin moves the admin listener: the POST /reload that did
// it is still answered on the old socket, the new address serves, the old one refuses;
// a later reload to `admin: off` closes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { freePort, probePort } from '../lifecycle/support.js';

const yaml = (admin: string) => `gateway:
  admin: ${admin}
listeners:
  - name: edge
    port: 0
    routes:
      - { name: all, match: { path: / }, backend: up }
backends:
  up:
    http: { url: "http://127.0.0.1:9" }
`;

test('a reload moves or closes the admin listener', async (t) => {
  const gw = await startGateway(yaml('{ host: 127.0.0.1, port: 0 }'));
  t.after(() => gw.close());
  const oldPort = gw.gw.adminPort!;

  const newPort = await freePort();
  gw.writeConfig(yaml(`{ host: 127.0.0.1, port: ${newPort} }`));
  const r = await request(`http://127.0.0.1:${oldPort}/reload`, { method: 'POST' });
  assert.equal(r.statusCode, 200);
  assert.deepEqual(await r.body.json(), { ok: true, changed: true });

  assert.equal(gw.gw.adminPort, newPort);
  const health = await request(`http://127.0.0.1:${newPort}/healthz`);
  assert.equal(health.statusCode, 200);
  await health.body.dump();
  assert.equal(await probePort(oldPort), 'refused');

  gw.writeConfig(yaml('off'));
  assert.deepEqual(await gw.gw.reload(), { ok: true, changed: true });
  assert.equal(gw.gw.adminPort, null);
  assert.equal(await probePort(newPort), 'refused');
});
