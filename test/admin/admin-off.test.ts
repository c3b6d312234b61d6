// `admin: off` binds no admin socket: the gateway listens on its listener and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';

const listeningSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;

test('admin: off binds no admin port', async (t) => {
  const up = await startUpstream();
  const before = listeningSockets();
  const gw = await startGateway(`gateway:
  admin: off
listeners:
  - name: edge
    port: 0
    routes:
      - { name: all, match: { path: / }, backend: up }
backends:
  up:
    http: { url: "${up.url}" }
`);
  t.after(async () => { await gw.close(); await up.close(); });

  assert.equal(gw.gw.adminPort, null);
  assert.equal(listeningSockets(), before + 1, 'one listening socket: the listener');
  const started = gw.logs.find((l) => l.msg === 'agentedge started');
  assert.equal(started?.admin, null);
  const r = await request(`${gw.url()}/x`);
  assert.equal(r.statusCode, 200);
  await r.body.dump();
});
