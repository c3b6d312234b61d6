// TLS files are checked when the config loads: not PEM, or a key that does not belong to
// the certificate, is a config error at its key rather than a failure when binding.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readRuntimeConfig } from '../../src/gateway/config.js';
import { errorOf, issueAt, tempDir } from './support.js';

const cert = fileURLToPath(new URL('../fixtures/tls/cert.pem', import.meta.url));

function loadWith(certPath: string, keyPem: string) {
  const dir = tempDir();
  writeFileSync(join(dir, 'key.pem'), keyPem);
  writeFileSync(join(dir, 'agentedge.yaml'), `gateway: { admin: off }
listeners:
  - name: secure
    port: 0
    tls: { cert: "${certPath}", key: ./key.pem }
    routes: []
`);
  return () => readRuntimeConfig(join(dir, 'agentedge.yaml'), {});
}

test('a key that does not match the certificate is reported at tls.key', () => {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const err = errorOf(loadWith(cert, other));
  assert.match(issueAt(err, 'listeners[0].tls.key').message, /does not match the certificate/);
});

test('files that are not PEM are reported at each key', () => {
  const err = errorOf(loadWith('./key.pem', 'not a key'));
  assert.match(issueAt(err, 'listeners[0].tls.cert').message, /is not a PEM certificate/);
  assert.match(issueAt(err, 'listeners[0].tls.key').message, /is not an unencrypted PEM private key/);
});
