// A request in flight across a reload finishes on the config it started with: the reload
// removes its route (and backend), yet the held response still completes 200, while new
// requests for that path get 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';

test('a request in flight completes on the old config after a reload removes its route', async (t) => {
  let arrived!: (res: ServerResponse) => void;
  const held = new Promise<ServerResponse>((r) => { arrived = r; });
  const slow = await startUpstream((req, res) => { req.resume(); arrived(res); });
  const other = await startUpstream();
  const gw = await startGateway(gatewayYaml({ routes: { slow: { path: '/slow', backend: 'slow' }, other: { path: '/other', backend: 'other' } }, backends: { slow: slow.url, other: other.url } }));
  t.after(async () => { await gw.close(); await slow.close(); await other.close(); });

  const inFlight = request(`${gw.url()}/slow`);
  const res = await held;

  gw.writeConfig(gatewayYaml({ routes: { other: { path: '/other', backend: 'other' } }, backends: { other: other.url } }));
  const r = await gw.gw.reload();
  assert.deepEqual(r, { ok: true, changed: true });

  const after = await request(`${gw.url()}/slow`);
  assert.equal(after.statusCode, 404);
  await after.body.dump();

  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('finished on the old config');
  const done = await inFlight;
  assert.equal(done.statusCode, 200);
  assert.equal(await done.body.text(), 'finished on the old config');
});
