// Regression: a TLS path naming a device or FIFO (/dev/zero, /dev/stdin) would have made
// the loader read forever. Only regular files are read.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('/dev/zero as a cert file is refused without reading it', { skip: !existsSync('/dev/zero') && 'no /dev/zero here' }, () => {
  const err = configError('gateway: { admin: off }\nlisteners:\n  - { name: edge, port: 0, tls: { cert: /dev/zero, key: /dev/zero }, routes: [] }\n');
  assert.match(issueAt(err, 'listeners[0].tls.cert').message, /is not a regular file$/);
});
