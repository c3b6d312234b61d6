// SIGHUP reloads the config file of a running `agentedge serve` (file watching off).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { request } from 'undici';
import { startUpstream } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';
import { killQuietly, spawnServe, startedPorts } from './support.js';

test('SIGHUP applies the changed config file', async (t) => {
  const up = await startUpstream();
  const backends = { up: up.url };
  const gateway = '  reload: { watch: false }';
  const p = spawnServe(gatewayYaml({ routes: { a: { path: '/a' } }, backends, gateway }));
  t.after(async () => { killQuietly(p); await up.close(); });
  const { ports } = await startedPorts(p);
  const url = `http://127.0.0.1:${ports.edge!}`;

  const before = await request(`${url}/b`);
  assert.equal(before.statusCode, 404);
  await before.body.dump();

  writeFileSync(p.configPath, gatewayYaml({ routes: { a: { path: '/a' }, b: { path: '/b' } }, backends, gateway }));
  p.child.kill('SIGHUP');
  await p.waitForLine((l) => l.msg === 'config reloaded', 60_000, '"config reloaded"');

  const after = await request(`${url}/b`);
  assert.equal(after.statusCode, 200);
  await after.body.dump();

  p.child.kill('SIGTERM');
  assert.deepEqual(await p.exited, { code: 0, signal: null });
});
