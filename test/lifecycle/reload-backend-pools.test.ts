// Backend connection pools across reloads: a backend whose spec is unchanged keeps its
// pool (the same upstream connection serves after the reload); a backend the reload
// removes has its pool closed (the upstream sees its connection close).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor, type TestUpstream } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';

function openConnections(up: TestUpstream): () => number {
  let open = 0;
  up.server.on('connection', (s) => { open++; s.once('close', () => { open--; }); });
  return () => open;
}

test('an unchanged backend keeps its pool and a removed one is closed', async (t) => {
  const a = await startUpstream();
  const b = await startUpstream();
  const openA = openConnections(a);
  const gw = await startGateway(gatewayYaml({ routes: { one: { path: '/one', backend: 'a' } }, backends: { a: a.url } }));
  t.after(async () => { await gw.close(); await a.close(); await b.close(); });
  const get = async (path: string) => {
    const r = await request(`${gw.url()}${path}`);
    await r.body.dump();
    return r.statusCode;
  };

  assert.equal(await get('/one'), 200);
  assert.equal(a.connections(), 1);

  // Routes change, backend a does not: the next request reuses the pooled connection.
  gw.writeConfig(gatewayYaml({ routes: { one: { path: '/one', backend: 'a' }, two: { path: '/two', backend: 'a' } }, backends: { a: a.url } }));
  assert.deepEqual(await gw.gw.reload(), { ok: true, changed: true });
  assert.equal(await get('/two'), 200);
  assert.equal(a.connections(), 1, 'no new connection: the pool was reused');
  assert.equal(openA(), 1);

  // Backend a is gone: its pool closes and with it the idle connection.
  gw.writeConfig(gatewayYaml({ routes: { one: { path: '/one', backend: 'b' } }, backends: { b: b.url } }));
  assert.deepEqual(await gw.gw.reload(), { ok: true, changed: true });
  await waitFor(() => openA() === 0, 5000, 'the removed backend\'s connection to close');
  assert.equal(await get('/one'), 200);
  assert.equal(b.connections(), 1);
});
