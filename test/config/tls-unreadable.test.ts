// A TLS file that cannot be read is a config error at its key, naming the resolved path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('missing cert and key files are both reported with their positions', () => {
  const err = configError(`gateway: { admin: off }
listeners:
  - name: edge
    port: 0
    tls:
      cert: ./missing-cert.pem
      key: ./missing-key.pem
    routes: []
`);
  const cert = issueAt(err, 'listeners[0].tls.cert');
  assert.deepEqual([cert.line, cert.column], [6, 13]);
  assert.match(cert.message, /^cannot read cert file "\.\/missing-cert\.pem" \(\/.*\/missing-cert\.pem\): file not found$/);
  assert.match(issueAt(err, 'listeners[0].tls.key').message, /^cannot read key file .*: file not found$/);
});

test('a folder given as a cert file says so', () => {
  const err = configError(`gateway: { admin: off }
listeners:
  - { name: edge, port: 0, tls: { cert: ./, key: ./ }, routes: [] }
`);
  assert.match(issueAt(err, 'listeners[0].tls.cert').message, /is a folder, not a file/);
});
