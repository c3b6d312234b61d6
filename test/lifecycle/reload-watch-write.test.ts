// With `watch: true`, writing the config file in place reloads it: a route the new file
// adds serves without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';

async function status(url: string): Promise<number> {
  const r = await request(url);
  await r.body.dump();
  return r.statusCode;
}

test('a config written in place adds a route that then serves', async (t) => {
  const up = await startUpstream();
  const backends = { up: up.url };
  const gw = await startGateway(gatewayYaml({ routes: { a: { path: '/a' } }, backends }), { watch: true });
  t.after(async () => { await gw.close(); await up.close(); });

  assert.equal(await status(`${gw.url()}/b`), 404);
  gw.writeConfig(gatewayYaml({ routes: { a: { path: '/a' }, b: { path: '/b' } }, backends }));
  await waitFor(async () => (await status(`${gw.url()}/b`)) === 200, 20_000, 'the new route /b to serve');
  assert.equal(await status(`${gw.url()}/a`), 200);
  assert.ok(gw.logs.some((l) => l.msg === 'config reloaded'));
});
