// A reload that moves a listener to another port: the new port serves, the old one stops
// accepting at once, and a request in flight on the old one still finishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';
import { freePort, probePort } from './support.js';

test('moving a listener to a new port serves there, refuses the old one and finishes in-flight requests', async (t) => {
  let arrived!: (res: ServerResponse) => void;
  const held = new Promise<ServerResponse>((r) => { arrived = r; });
  const up = await startUpstream((req, res) => {
    req.resume();
    if (req.url === '/slow') arrived(res);
    else res.end('fast');
  });
  const backends = { up: up.url };
  const routes = { all: { path: '/' } };
  const gw = await startGateway(gatewayYaml({ routes, backends }));
  t.after(async () => { await gw.close(); await up.close(); });
  const oldPort = gw.port();

  const inFlight = request(`http://127.0.0.1:${oldPort}/slow`);
  const res = await held;

  const newPort = await freePort();
  gw.writeConfig(gatewayYaml({ routes, backends, port: newPort }));
  assert.deepEqual(await gw.gw.reload(), { ok: true, changed: true });
  assert.equal(gw.port('edge'), newPort);

  const r = await request(`http://127.0.0.1:${newPort}/x`);
  assert.equal(r.statusCode, 200);
  assert.equal(await r.body.text(), 'fast');
  assert.equal(await probePort(oldPort), 'refused');

  res.end('slow done');
  const done = await inFlight;
  assert.equal(done.statusCode, 200);
  assert.equal(await done.body.text(), 'slow done');
});
