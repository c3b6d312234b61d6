// `agentedge --help` prints the usage on stdout and exits 0.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli } from './run-cli.js';

test('--help exits 0 and lists the commands', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /Usage:/);
  for (const cmd of ['serve', 'validate FILE', '--version']) assert.ok(r.stdout.includes(cmd), cmd);
});
