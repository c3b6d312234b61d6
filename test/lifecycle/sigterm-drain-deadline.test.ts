// SIGTERM with a request that never ends: the drain stops waiting at gateway.drainTimeout,
// cuts the connection and the process still exits 0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startUpstream } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';
import { killQuietly, spawnServe, startedPorts } from './support.js';

test('SIGTERM exits 0 at the drain deadline when a request never ends', async (t) => {
  let arrived!: () => void;
  const held = new Promise<void>((r) => { arrived = r; });
  // Headers and a first chunk, then nothing, ever.
  const up = await startUpstream((req, res) => { req.resume(); res.writeHead(200, { 'content-type': 'text/plain' }); res.write('partial'); arrived(); });
  const p = spawnServe(gatewayYaml({ routes: { all: { path: '/' } }, backends: { up: up.url }, gateway: '  drainTimeout: 300ms\n  reload: { watch: false }' }));
  t.after(async () => { killQuietly(p); await up.close(); });
  const { ports } = await startedPorts(p);

  const r = await request(`http://127.0.0.1:${ports.edge!}/forever`);
  assert.equal(r.statusCode, 200);
  // The response must be cut, not ended as if complete.
  const cut = assert.rejects(r.body.text());
  await held;

  p.child.kill('SIGTERM');
  const exit = await p.exited;
  assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${p.stderr()}`);
  await cut;
  assert.ok(p.lines.some((l) => l.msg === 'agentedge stopped'));
});
