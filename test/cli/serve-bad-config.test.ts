// RELIABILITY case 30: a bad config at start exits non-zero before any port is bound, with
// path, line and column. The listener's port is held by this test: had the gateway tried to
// bind before validating, it would fail with "cannot listen" instead of the config error.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { test } from 'node:test';
import { configFile, ISSUE_LINE, runCli } from './run-cli.js';

test('serve with a bad config exits 1 with the issues, before binding', { timeout: 60_000 }, async (t) => {
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => holder.close());
  const port = (holder.address() as AddressInfo).port;
  const file = configFile(`gateway: { admin: off }
listeners:
  - name: edge
    port: ${port}
    routes: [{ name: web, backend: ap }]
backends:
  app: { http: { url: "http://127.0.0.1:9" } }
`);
  const r = await runCli(['serve', '--config', file]);
  assert.equal(r.code, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /cannot listen/);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines[0], `${file}: invalid configuration`);
  assert.equal(lines[1], 'listeners[0].routes[0].backend (line 5, column 36): unknown backend "ap"; did you mean "app"?');
  assert.match(lines[1], ISSUE_LINE);
});
