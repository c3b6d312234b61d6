// Editors often save by writing a temp file and renaming it over the config (a new inode).
// The watch is on the folder, so that save reloads too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startGateway } from '../helpers/gateway.js';
import { startUpstream, waitFor } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';

async function status(url: string): Promise<number> {
  const r = await request(url);
  await r.body.dump();
  return r.statusCode;
}

test('a save by rename over the config file reloads it', async (t) => {
  const up = await startUpstream();
  const backends = { up: up.url };
  const gw = await startGateway(gatewayYaml({ routes: { a: { path: '/a' } }, backends }), { watch: true });
  t.after(async () => { await gw.close(); await up.close(); });

  assert.equal(await status(`${gw.url()}/b`), 404);
  const tmp = join(gw.dir, '.agentedge.yaml.swp');
  writeFileSync(tmp, gatewayYaml({ routes: { a: { path: '/a' }, b: { path: '/b' } }, backends }));
  renameSync(tmp, gw.configPath);
  await waitFor(async () => (await status(`${gw.url()}/b`)) === 200, 20_000, 'the new route /b to serve');
});
