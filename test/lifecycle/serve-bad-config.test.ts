// Bad config at start (RELIABILITY 30): `agentedge serve` exits non-zero with path, line
// and column on stderr, and binds nothing. The listener port in the bad file is held by
// this test: had the gateway tried to bind before validating, it would have failed with
// EADDRINUSE instead of the config error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { freePort, probePort, spawnServe } from './support.js';

test('serve with an invalid file exits non-zero before binding any port', async (t) => {
  const held = net.createServer();
  await new Promise<void>((r) => held.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => held.close(() => r())));
  const heldPort = (held.address() as net.AddressInfo).port;
  const adminPort = await freePort();

  const p = spawnServe(`gateway:
  admin: { host: 127.0.0.1, port: ${adminPort} }
listeners:
  - name: edge
    port: ${heldPort}
    routes:
      - { name: all, match: { path: / }, backend: up, retires: 2 }
backends:
  up:
    http: { url: "http://127.0.0.1:9" }
`);
  const exit = await p.exited;
  assert.notEqual(exit.code, 0);
  assert.equal(exit.signal, null);
  const stderr = p.stderr();
  assert.match(stderr, /listeners\[0\]\.routes\[0\]\.retires \(line 7, column \d+\): unknown key "retires"/);
  assert.doesNotMatch(stderr, /EADDRINUSE|cannot listen/);
  assert.ok(!p.lines.some((l) => l.msg === 'agentedge started'));
  assert.equal(await probePort(adminPort), 'refused');
});
