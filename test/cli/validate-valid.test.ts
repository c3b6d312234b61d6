// `agentedge validate FILE` on a valid file exits 0, says so on stdout, and writes no errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configFile, runCli } from './run-cli.js';

test('a valid file exits 0', async () => {
  const file = configFile(`gateway: { admin: off }
listeners:
  - name: edge
    port: \${PORT:-0}
    routes: [{ name: web, backend: app }]
backends:
  app: { http: { url: "\${UPSTREAM}" } }
`);
  const r = await runCli(['validate', file], { env: { UPSTREAM: 'http://127.0.0.1:9' } });
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${file}: valid\n`);
});
