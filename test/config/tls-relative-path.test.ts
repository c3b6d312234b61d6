// Relative TLS paths resolve against the config file's folder, not the process's cwd.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readRuntimeConfig } from '../../src/gateway/config.js';
import { tempDir } from './support.js';

const fixtures = fileURLToPath(new URL('../fixtures/tls/', import.meta.url));

test('./tls/cert.pem is read from beside the config file', () => {
  const dir = join(tempDir(), 'conf');
  mkdirSync(join(dir, 'tls'), { recursive: true });
  copyFileSync(join(fixtures, 'cert.pem'), join(dir, 'tls', 'cert.pem'));
  copyFileSync(join(fixtures, 'key.pem'), join(dir, 'tls', 'key.pem'));
  const file = join(dir, 'agentedge.yaml');
  writeFileSync(file, `gateway: { admin: off }
listeners:
  - name: secure
    port: 0
    tls: { cert: ./tls/cert.pem, key: tls/key.pem }
    routes: []
`);
  assert.notEqual(process.cwd(), dir);
  // Given relative to the cwd, as a user would type it.
  const rt = readRuntimeConfig(relative(process.cwd(), file), {});
  assert.equal(rt.baseDir, dir);
  const tls = rt.listeners[0]!.tls!;
  assert.deepEqual(tls.cert, readFileSync(join(fixtures, 'cert.pem')));
  assert.deepEqual(tls.key, readFileSync(join(fixtures, 'key.pem')));
});
