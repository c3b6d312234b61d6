// A reload that adds a second listener binds it and serves its routes; the first listener
// keeps its socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';

test('a reload that adds a listener binds it', async (t) => {
  const up = await startUpstream();
  const base = gatewayYaml({ routes: { all: { path: '/' } }, backends: { up: up.url } });
  const gw = await startGateway(base);
  t.after(async () => { await gw.close(); await up.close(); });
  const firstPort = gw.port('edge');

  gw.writeConfig(base.replace('backends:', `  - name: second
    port: 0
    routes:
      - { name: two, match: { path: /two }, backend: up }
backends:`));
  assert.deepEqual(await gw.gw.reload(), { ok: true, changed: true });
  assert.deepEqual(gw.gw.listenerNames().sort(), ['edge', 'second']);
  assert.equal(gw.port('edge'), firstPort);

  const r = await request(`${gw.url('second')}/two/x`);
  assert.equal(r.statusCode, 200);
  assert.equal((await r.body.json() as { url: string }).url, '/two/x');
  const miss = await request(`${gw.url('second')}/other`);
  assert.equal(miss.statusCode, 404);
  await miss.body.dump();
  const first = await request(`${gw.url('edge')}/other`);
  assert.equal(first.statusCode, 200);
  await first.body.dump();
});
