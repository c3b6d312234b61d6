// A reference that cannot be read the same in every YAML style (here a quote in its
// default) is left to YAML as written; inside { } it is then a syntax error, and the
// message says to quote it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError } from './support.js';

test('an unquoted reference with a quote in its default inside a flow mapping gets a hint', () => {
  const err = configError('listeners:\n  - { name: edge, port: 0, routes: [], host: ${HOST:-it\'s} }\n', {});
  assert.equal(err.issues.length, 1, err.message);
  assert.match(err.issues[0]!.message, /quote values that contain \$\{\.\.\.\}/);
});
