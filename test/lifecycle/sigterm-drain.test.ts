// SIGTERM drains (RELIABILITY 23), in a real `agentedge serve` process: a slow request
// started before the signal completes 200, new connections are refused from the moment the
// drain starts, and the process exits 0 as soon as the last request is done, long before
// its drain deadline (300s here; the wait below is bounded well under that).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { startUpstream } from '../helpers/upstream.js';
import { gatewayYaml } from './configs.js';
import { killQuietly, probePort, spawnServe, startedPorts } from './support.js';

test('SIGTERM lets the in-flight request finish, refuses new connections and exits 0', async (t) => {
  let arrived!: (res: ServerResponse) => void;
  const held = new Promise<ServerResponse>((r) => { arrived = r; });
  const up = await startUpstream((req, res) => { req.resume(); arrived(res); });
  const p = spawnServe(gatewayYaml({ routes: { all: { path: '/' } }, backends: { up: up.url }, gateway: '  drainTimeout: 300s\n  reload: { watch: false }' }));
  t.after(async () => { killQuietly(p); await up.close(); });
  const { ports, admin } = await startedPorts(p);
  const port = ports.edge!;

  const inFlight = request(`http://127.0.0.1:${port}/slow`);
  const res = await held;

  p.child.kill('SIGTERM');
  await p.waitForLine((l) => l.msg === 'draining', 60_000, '"draining"');
  assert.equal(await probePort(port), 'refused');
  const ready = await request(`http://127.0.0.1:${admin}/readyz`);
  assert.equal(ready.statusCode, 503);
  await ready.body.dump();

  res.end('finished while draining');
  const done = await inFlight;
  assert.equal(done.statusCode, 200);
  assert.equal(await done.body.text(), 'finished while draining');

  const exit = await Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), 120_000).unref())]);
  assert.deepEqual(exit, { code: 0, signal: null }, `stderr: ${p.stderr()}`);
});
