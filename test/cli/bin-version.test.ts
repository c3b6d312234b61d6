// The installed entry point, bin/agentedge.js, runs with plain node and prints the version.
// It imports dist/; `npm test` builds dist/ first. A missing build is a failure, not a skip,
// so a broken bin cannot pass unnoticed.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, runCli } from './run-cli.js';

const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };

test('bin/agentedge.js --version', async () => {
  const built = join(REPO, 'dist/src/cli/main.js');
  assert.ok(existsSync(built), `${built} is missing: run \`npm run build\` (npm test does) before this test`);
  const r = await runCli(['--version'], { bin: true });
  assert.equal(r.stderr, '');
  assert.equal(r.code, 0);
  assert.equal(r.stdout, `${version}\n`);
});
