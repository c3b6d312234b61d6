// `agentedge validate` on a file that does not exist exits 1 and says which file and why.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { runCli } from './run-cli.js';

test('a missing file exits 1 with a clear message', async () => {
  const file = join(tmpdir(), `agentedge-missing-${process.pid}.yaml`);
  const r = await runCli(['validate', file]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid configuration\n`));
  assert.match(r.stderr, /cannot read the config file: file not found/);
});

test('validate without a file prints usage and exits 2', async () => {
  const r = await runCli(['validate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /usage: agentedge validate FILE/);
});
