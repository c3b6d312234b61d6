// A `${` that is not a well-formed reference is an error, so a typo such as a missing `}`
// is caught instead of being sent upstream as a literal API key.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configError, issueAt } from './support.js';

test('an unterminated reference is reported at its value', () => {
  const err = configError(`listeners:
  - name: edge
    port: 0
    routes: []
    host: "\${HOST"
`, { HOST: '0.0.0.0' });
  const issue = issueAt(err, 'listeners[0].host');
  assert.deepEqual([issue.line, issue.column], [5, 11]);
  assert.match(issue.message, /invalid variable reference/);
});

test('a reference to an invalid variable name is reported', () => {
  const err = configError('listeners:\n  - { name: edge, port: 0, routes: [], host: "${1HOST}" }\n');
  assert.match(issueAt(err, 'listeners[0].host').message, /invalid variable reference/);
});
